"""`nexus cost`: renders `cdktf_app.cost.estimate` / `compare`; all the work is in the library."""
from __future__ import annotations

import json
from pathlib import Path

import click

from . import render
from .options import chosen_format, is_stdout, output_file_option, output_format_option

OUTPUTS = ("table", "json", "markdown")
DERIVED_MARK = " *"     # after a charge whose price was worked out rather than read from its source


class _CostGroup(click.Group):
    """`nexus cost TARGET` estimates; `nexus cost catalogue ...` looks after the price catalogue. A subcommand's
    name is read as such before TARGET (a spec file named `catalogue` is ./catalogue); options may follow TARGET
    as they do on any command."""

    allow_interspersed_args = True

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args[:1] and args[0] in self.commands:
            click.Command.parse_args(self, ctx, [])
            ctx._protected_args, ctx.args = args[:1], args[1:]     # click keeps the subcommand name apart
            return ctx.args
        return super().parse_args(ctx, args)


@click.group(cls=_CostGroup, invoke_without_command=True)
@click.argument("target", type=click.Path(path_type=Path), default="nexus.yaml")
@click.option("--compare", "other", type=click.Path(path_type=Path),
              help="A second spec, out dir or plan: show the monthly delta from TARGET to it (the cost impact).")
@output_format_option(OUTPUTS, "table", "table for people, json for machines, markdown for pull requests.")
@output_file_option("Write the json or markdown estimate to this file.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="When TARGET is a spec: where to synthesize it (default: cdktf.out beside the spec).")
@click.option("--all", "show_all", is_flag=True, help="Also list the resources that have no charge of their own.")
@click.pass_context
def cost(ctx: click.Context, target: Path, other: Path | None, output_format: str | None, output_file: Path | None,
         out_dir: Path | None, show_all: bool) -> None:
    """Estimate the monthly cost of TARGET: per resource, per stack and in total (USD, on-demand list prices).

    \b
    TARGET is a spec, an out dir, a plan JSON, a state file or a directory of .tf files. Prices come from the
    catalogue shipped with Nexus, each with its source and the day it was read from it, or the rule it was
    derived by (charges at a derived price are marked *); usage that cannot be read from the resources (hours,
    GB stored, requests...) comes from the spec's `cost:` section or the stated defaults.
    Resources the catalogue cannot price are listed as unpriced with the reason: never counted as $0.
    \b
    Examples:
      nexus cost nexus.yaml
      nexus cost nexus.yaml --compare nexus.next.yaml      # what the change adds per month
      terraform show -json plan.tfplan > plan.json && nexus cost plan.json --output json
      nexus cost catalogue refresh                         # re-read the prices from the providers' lists
    """
    from ..cost import compare, estimate
    from ..errors import UsageError

    if ctx.invoked_subcommand:
        return
    obj = ctx.obj
    output = chosen_format(obj, output_format, "table", OUTPUTS)
    if output == "table" and not is_stdout(output_file):
        raise UsageError("-o/--output-file needs a file format: --output json|markdown")
    if other is not None:
        delta = compare(target, other, out_dir=None)
        if output == "table":
            _print_delta_table(delta)
        else:
            render.document(_delta_json(delta) if output == "json" else _delta_markdown(delta), output_file, obj)
        return
    result = estimate(target, out_dir=out_dir)
    if output == "table":
        _print_table(result, show_all)
    else:
        render.document((_json if output == "json" else _markdown)(result, show_all), output_file, obj)


def _money(amount: float | None) -> str:
    return "—" if amount is None else f"${amount:,.2f}"


def _signed(amount: float) -> str:
    return f"{'+' if amount >= 0 else '-'}${abs(amount):,.2f}"


def _json(result, show_all: bool) -> str:
    return json.dumps(result.as_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _shown(result, show_all: bool):
    return [line for line in result.lines if show_all or line.charges]


def _print_table(result, show_all: bool) -> None:
    from rich.table import Table

    console = render.console()
    table = Table(title=f"Monthly estimate of {result.target} ({result.currency}, on-demand list prices)")
    for column in ("stack", "resource", "component", "region", "monthly", "how"):
        table.add_column(column, justify="right" if column == "monthly" else "left")
    for line in _shown(result, show_all):
        table.add_row(line.stack, line.address, line.component or "", line.region, _money(line.monthly), _how(line))
    console.print(table)
    for stack, amount in result.by_stack.items():
        console.print(f"  {stack}: {_money(amount)}")
    free = sum(1 for line in result.lines if not line.charges)
    console.print(f"[bold]Total: {_money(result.total_monthly)} / month[/] ({len(result.lines) - free} priced, "
                  f"{free} without a charge of their own, {len(result.unpriced)} unpriced)")
    if result.unpriced:
        console.print("[yellow]Unpriced (not counted in the total):[/]")
        for item in result.unpriced:
            console.print(f"  {item.stack} {item.address}: {item.reason}")
    _secure_default_notes(lambda text: console.print(text, markup=False), result)
    _derived_notes(lambda text: console.print(text, markup=False), result)
    _print_assumptions(console.print, result)


def _how(line) -> str:
    return "; ".join(charge.description + (DERIVED_MARK if charge.price.derived else "")
                     for charge in line.charges) or line.free_reason or ""


def _derived_notes(say, result, code=str, bullet: str = "  ") -> None:
    """The prices marked *: worked out (a regional uplift, a look-alike SKU...) rather than read from their source."""
    prices = result.derived_prices
    if not prices:
        return
    say(f"{DERIVED_MARK.strip()} Derived prices ({len(prices)}), worked out rather than read from their source:")
    for price in prices:
        where = " ".join(part for part in (price.key, price.sku, price.region) if part)
        say(f"{bullet}{code(where)} ${price.amount:g}/{price.unit}: {price.derived_from}")


def _secure_default_notes(say, result, code=str, bullet: str = "  ") -> None:
    """Which charges Nexus's secure defaults bring, from the catalogue's secure_default notes."""
    driven = result.secure_defaults
    if not driven:
        return
    total = sum(amount for lines in driven.values() for _, amount in lines)
    say(f"Driven by Nexus's secure defaults: {_money(total)} of the total")
    for reason, lines in driven.items():
        say(f"{bullet}{_money(sum(amount for _, amount in lines))}: {reason} — "
            + ", ".join(code(line.address) for line, _ in lines))


def _print_assumptions(say, result) -> None:
    usage = ", ".join(f"{key}={'auto' if value is None else format(value, 'g')}"
                      for key, value in result.usage.model_dump().items())
    say(f"Usage assumed (override in the spec's cost: section): {usage}")
    for assumption in result.assumptions:
        say(f"Assumed: {assumption}")


def _markdown(result, show_all: bool) -> str:
    lines = [f"## Monthly cost estimate: {_money(result.total_monthly)} ({result.currency})", "",
             "| stack | resource | component | monthly | how |", "| --- | --- | --- | ---: | --- |"]
    for line in _shown(result, show_all):
        how = _how(line).replace("*", "\\*")
        lines.append(f"| {line.stack} | `{line.address}` | {line.component or ''} | {_money(line.monthly)} | {how} |")
    lines += ["", *(f"- {stack}: {_money(amount)}" for stack, amount in result.by_stack.items())]
    if result.unpriced:
        lines += ["", f"**Unpriced ({len(result.unpriced)}, not in the total):**", ""]
        lines += [f"- {item.stack} `{item.address}`: {item.reason}" for item in result.unpriced]
    lines.append("")
    _secure_default_notes(lines.append, result, code=lambda address: f"`{address}`", bullet="- ")
    _derived_notes(lambda text: lines.append(text.replace("* Derived", "\\* Derived", 1)), result,
                   code=lambda where: f"`{where}`", bullet="- ")
    if result.derived_prices:
        lines.append("")          # the list ends here, not in the next paragraph
    _print_assumptions(lines.append, result)
    return "\n".join(lines) + "\n"


def _delta_json(delta) -> str:
    return json.dumps(delta.as_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n"


def _total(amount: float, estimate) -> str:
    """A side's total: a lower bound when some of its resources are unpriced."""
    return f"at least {_money(amount)}" if estimate.unpriced else _money(amount)


def _delta_cell(line) -> str:
    if line.unpriced_before:
        return "unknown (unpriced before)"
    if line.unpriced_after:
        return "unknown (unpriced after)"
    return _signed(line.delta)


def _price_cell(amount: float | None, unpriced: str | None) -> str:
    return "unpriced" if unpriced else _money(amount)


def _unpriced_sides(delta) -> list[tuple[str, list]]:
    return [(side, estimate.unpriced) for side, estimate in (("before", delta.before), ("after", delta.after))
            if estimate.unpriced]


def _delta_markdown(delta) -> str:
    rows = [f"| {line.stack} | `{line.address}` | {_price_cell(line.before, line.unpriced_before)} | "
            f"{_price_cell(line.after, line.unpriced_after)} | {_delta_cell(line)} |" for line in delta.lines]
    lines = [f"## Cost impact: {delta.headline()}", "",
             f"{_total(delta.total_before, delta.before)} → {_total(delta.total_after, delta.after)} "
             f"({delta.after.currency})", "",
             "| stack | resource | before | after | delta |", "| --- | --- | ---: | ---: | ---: |", *rows]
    for side, items in _unpriced_sides(delta):
        lines += ["", f"**Unpriced {side} ({len(items)}, not in the {side} total):**", ""]
        lines += [f"- {item.stack} `{item.address}`: {item.reason}" for item in items]
    return "\n".join(lines) + "\n"


def _print_delta_table(delta) -> None:
    from rich.table import Table

    console = render.console()
    table = Table(title=f"Cost impact: {delta.before.target} → {delta.after.target}")
    for column in ("stack", "resource", "before", "after", "delta"):
        table.add_column(column, justify="left" if column in ("stack", "resource") else "right")
    for line in delta.lines:
        table.add_row(line.stack, line.address, _price_cell(line.before, line.unpriced_before),
                      _price_cell(line.after, line.unpriced_after), _delta_cell(line))
    console.print(table)
    console.print(f"[bold]Total: {_total(delta.total_before, delta.before)} → "
                  f"{_total(delta.total_after, delta.after)} ({delta.headline()})[/]")
    for side, items in _unpriced_sides(delta):
        console.print(f"[yellow]Unpriced {side} ({len(items)}, not in the {side} total):[/]")
        for item in items:
            console.print(f"  {item.stack} {item.address}: {item.reason}")


@cost.group()
def catalogue() -> None:
    """The price catalogue: each price with its source and the day it was read, or the rule it was derived by."""


REFRESH_OUTPUTS = ("text", "json")


@catalogue.command("refresh")
@click.option("--cloud", "clouds", type=click.Choice(("aws", "gcp", "azure")), multiple=True,
              help="Refresh only this cloud's prices (repeatable; default: all three).")
@click.option("--price", "keys", multiple=True, metavar="KEY",
              help="Refresh only this catalogue entry, e.g. ec2_instance (repeatable; default: every entry with a "
                   "price_list).")
@click.option("--aws-endpoint", metavar="URL", help="AWS Price List host (default: NEXUS_AWS_PRICE_LIST_URL, "
                                                    "else https://pricing.us-east-1.amazonaws.com).")
@click.option("--gcp-endpoint", metavar="URL", help="Cloud Billing Catalog host (default: NEXUS_GCP_PRICE_LIST_URL, "
                                                    "else https://cloudbilling.googleapis.com).")
@click.option("--azure-endpoint", metavar="URL", help="Retail Prices API host (default: NEXUS_AZURE_PRICE_LIST_URL, "
                                                      "else https://prices.azure.com).")
@output_format_option(REFRESH_OUTPUTS, "text", "text for people, json for machines.")
@click.pass_obj
def catalogue_refresh(obj: dict, clouds: tuple[str, ...], keys: tuple[str, ...], aws_endpoint: str | None,
                      gcp_endpoint: str | None, azure_endpoint: str | None, output_format: str | None) -> None:
    """Rebuild the price catalogue from the providers' machine-readable price lists: the AWS Price List bulk
    offer files, the GCP Cloud Billing Catalog (needs NEXUS_GCP_API_KEY) and the Azure Retail Prices API.

    \b
    Each entry with a price_list selector is re-read SKU by SKU and region by region; an amount found becomes
    verified today, one not found keeps its amount and provenance and is listed with the reason. The files of
    the catalogue in use (NEXUS_PRICE_CATALOGUE_DIR, else Nexus's own) are validated and written atomically;
    a list that cannot be reached is exit 4 with the catalogue untouched.
    \b
    Examples:
      nexus cost catalogue refresh
      nexus cost catalogue refresh --cloud azure --price vm
    """
    from ..cost.catalogue import CLOUDS
    from ..cost.refresh import refresh_catalogue

    endpoints = {cloud: url for cloud, url in (("aws", aws_endpoint), ("gcp", gcp_endpoint),
                                               ("azure", azure_endpoint)) if url}
    outcomes = refresh_catalogue(clouds or CLOUDS, keys or None, endpoints)
    if chosen_format(obj, output_format, "text", REFRESH_OUTPUTS) == "json":
        click.echo(json.dumps([outcome.as_dict() for outcome in outcomes], indent=2, sort_keys=True))
        return
    for outcome in outcomes:
        written = f"written to {outcome.file}" if outcome.verified else "file unchanged"
        click.echo(f"{outcome.cloud}: {len(outcome.verified)} price(s) verified from the price list, "
                   f"{len(outcome.kept)} kept as they were; {written}")
        for reason in outcome.kept:
            click.echo(f"  kept {reason}")
