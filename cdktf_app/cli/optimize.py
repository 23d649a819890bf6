"""`nexus optimize`: renders `cdktf_app.optimize.optimize`; all the work is in the library."""
from __future__ import annotations

import json
from pathlib import Path

import click

from ..errors import UsageError
from ..nli import DEFAULT_MODEL
from . import render
from .options import chosen_format, is_stdout, output_file_option, output_format_option

OUTPUTS = ("table", "json", "markdown")


@click.command()
@click.argument("spec", type=click.Path(path_type=Path), default="nexus.yaml")
@click.option("--env", "environment", default="dev", show_default=True,
              help="The environment to optimize: one of the spec's environments.")
@click.option("--utilisation", "utilisation", type=click.Path(path_type=Path),
              help="Observed use per component (YAML or JSON: components: {api: {cpu_p95: 12, memory_p95: 30}}, "
                   "per cent at the 95th percentile), for the rules that right-size from it.")
@click.option("--apply", "apply_edits", is_flag=True,
              help="Write the recommended edits into SPEC (comments kept, each marked `# nexus optimize: <rule>`).")
@click.option("--model", metavar="M", default=DEFAULT_MODEL, show_default=True,
              help="Model that explains each recommendation in plain words (OPENAI_API_KEY or --base-url).")
@click.option("--base-url", metavar="URL",
              help="Any OpenAI-compatible server (Ollama, vLLM, Azure OpenAI); default: $OPENAI_BASE_URL.")
@click.option("--offline", is_flag=True, help="Explanations from the rules' templates, not a model.")
@output_format_option(OUTPUTS, "table", "table for people, json for machines, markdown for pull requests.")
@output_file_option("Write the json or markdown report to this file.")
@click.pass_obj
def optimize(obj: dict, spec: Path, environment: str, utilisation: Path | None, apply_edits: bool, model: str,
             base_url: str | None, offline: bool, output_format: str | None, output_file: Path | None) -> None:
    """Find monthly savings for one environment as edits of SPEC, each priced and still passing the gate.

    \b
    Rules are data (cdktf_app/optimize/rules/*.yaml): oversized sizes, standby databases, replicas and
    copies beyond one outside production, and (with --utilisation) CPU and memory that observed use leaves
    idle. Each edit is tried on top of the ones before it: priced with the
    catalogue of `nexus cost` (the saving is `nexus cost --compare` of before and after, to the cent) and
    checked at the spec's compliance.gate; an edit that fails the gate is never recommended. The spec has no
    per-environment values, so a dev-only rule is skipped (with the reason) when the spec also builds prod.
    Each recommendation is explained in plain words: by a model when one is configured (OPENAI_API_KEY or
    --base-url; its text is only shown), else from the rule's template.
    \b
    Exit codes: 0 done (with or without savings), 2 usage or spec error, 4 a check or price that could not run.
    Examples:
      nexus optimize nexus.yaml --env dev
      nexus optimize nexus.yaml --env dev --apply
      nexus optimize nexus.yaml --env prod --utilisation utilisation.yaml
      nexus optimize nexus.yaml --output markdown -o savings.md
    """
    from ..nli.pipeline import model_settings_from_environment
    from ..optimize import optimize as run
    from ..optimize.explain import explain_with_model

    output = chosen_format(obj, output_format, "table", OUTPUTS)
    if output == "table" and not is_stdout(output_file):
        raise UsageError("-o/--output-file needs a file format: --output json|markdown")
    result = run(spec, environment, apply=apply_edits, utilisation=utilisation)
    settings = model_settings_from_environment(model, base_url)
    if not offline and (settings.api_key or settings.base_url):
        explain_with_model(result, settings)
    if output == "table":
        _print_table(result)
    elif output == "json":
        render.document(json.dumps(result.as_dict(), indent=2, sort_keys=True, allow_nan=False) + "\n",
                        output_file, obj)
    else:
        render.document(_markdown(result), output_file, obj)


def _money(amount: float) -> str:
    return f"${amount:,.2f}"


def _headline(result) -> str:
    verb = "applied to" if result.applied else "for"
    unpriced = len(result.before.unpriced)
    partial = f" (partial: {unpriced} unpriced resource(s) not counted; see `nexus cost`)" if unpriced else ""
    return (f"{len(result.recommendations)} saving(s) {verb} {result.spec} ({result.environment}): "
            f"{_money(result.before.total_monthly)} → {_money(result.after.total_monthly)} / month, "
            f"saves {_money(result.monthly_saving)}{partial}")


def _print_table(result) -> None:
    from rich.table import Table

    console = render.console()
    if result.recommendations:
        table = Table(title=f"Savings for {result.spec} ({result.environment}, gate {result.gate})")
        for column in ("rule", "spec path", "edit", "saves / month", "risk"):
            table.add_column(column, justify="right" if column == "saves / month" else "left")
        for item in result.recommendations:
            table.add_row(item.rule.id, ".".join(item.edit.path), _settings(item), _money(item.saving),
                          item.rule.risk)
        console.print(table)
    console.print(_headline(result), style="bold", markup=False)
    for item in result.recommendations:
        console.print(f"  {item.rule.id} on {item.component}: {item.explanation}", markup=False, highlight=False)
    for item in result.skipped:
        console.print(f"  skipped {item.rule} on {item.component}: {item.reason}", markup=False)
    if result.recommendations and not result.applied:
        console.print("Run again with --apply to write these edits into the spec.")


def _settings(item) -> str:
    return ", ".join(f"{key}: {json.dumps(value)}" for key, value in item.edit.values)


def _markdown(result) -> str:
    from ..review.render import inert

    lines = [f"## {_headline(result)}", "", "| rule | spec path | edit | saves / month | risk |",
             "| --- | --- | --- | ---: | --- |"]
    lines += [f"| {item.rule.id} | `{'.'.join(item.edit.path)}` | `{_settings(item)}` | {_money(item.saving)} | "
              f"{item.rule.risk} |" for item in result.recommendations]
    if result.recommendations:
        lines += ["", f"**In plain words** (by {result.explained_by}):", ""]
        lines += [f"- {item.rule.id} on `{item.component}`: {inert(item.explanation)}"
                  for item in result.recommendations]
    if result.skipped:
        lines += ["", "**Skipped:**", ""]
        lines += [f"- {item.rule} on `{item.component}`: {item.reason}" for item in result.skipped]
    if result.diff:
        lines += ["", "```diff", result.diff.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"
