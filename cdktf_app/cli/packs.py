"""`nexus packs list|show`: the standards packs under compliance/packs (library: cdktf_app.compliance.packs)."""
from __future__ import annotations

import json

import click

from . import render
from .options import chosen_format, output_format_option

OUTPUTS = ("table", "json")
OUTPUT = output_format_option(OUTPUTS, "table", "table for people, json for machines.")


@click.group()
def packs() -> None:
    """Compliance packs: standards (CIS, PCI-DSS, HIPAA, SOC 2, ...) mapped to the checks that evidence them.

    \b
    Each control of a pack has its public id, a severity, a rationale and the checkov or Nexus checks that
    evidence it; a control that no scan can evidence (a policy, a contract) is manual. `nexus check` takes
    severities and control ids from here. NEXUS_COMPLIANCE_DIR points Nexus at another compliance folder.
    """


@packs.command("list")
@OUTPUT
@click.pass_obj
def packs_list(obj: dict, output_format: str | None) -> None:
    """List the packs with their counts: controls, automated, manual and distinct checks cited."""
    from ..compliance.packs import load_packs

    rows = [pack.summary() for pack in sorted(load_packs().values(), key=lambda pack: pack.id)]
    if chosen_format(obj, output_format, "table", OUTPUTS) == "json":
        click.echo(json.dumps({"packs": rows}, indent=2, sort_keys=True))
        return
    from rich.table import Table

    table = Table(title="Nexus compliance packs")
    columns = ("id", "version", "clouds", "controls", "automated", "manual", "checks", "nexus_checks", "title")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right" if column in columns[3:8] else "left",
                         no_wrap=column in ("id", "clouds"))
    for row in rows:
        table.add_row(*(", ".join(row[c]) if c == "clouds" else str(row[c]) for c in columns))
    render.console().print(table)


@packs.command("show")
@click.argument("name")
@click.option("--manual", "only_manual", is_flag=True, help="Only the manual controls.")
@click.option("--check", "check_id", metavar="CHECK_ID", help="Only the controls that cite this check.")
@click.option("--rationale", is_flag=True, help="Also print each control's rationale.")
@OUTPUT
@click.pass_obj
def packs_show(obj: dict, name: str, only_manual: bool, check_id: str | None, rationale: bool,
               output_format: str | None) -> None:
    """Show one pack's controls: id, severity, title, the checks that evidence each one (or "manual").

    \b
    Examples:
      nexus packs show hipaa
      nexus packs show pci-dss --check CKV_AWS_19      # which PCI controls cite a check
      nexus packs show cis-aws --manual                 # what an auditor must review by hand
    """
    from ..compliance.packs import get_pack

    pack = get_pack(name)
    controls = [control for control in pack.controls
                if (not only_manual or control.manual) and (check_id is None or check_id in control.checks)]
    if chosen_format(obj, output_format, "table", OUTPUTS) == "json":
        data = pack.as_dict()
        data["controls"] = [item for item in data["controls"] if item["id"] in {c.id for c in controls}]
        click.echo(json.dumps(data, indent=2, sort_keys=True))
        return
    from rich.markup import escape
    from rich.table import Table

    summary = pack.summary()
    console = render.console()
    console.print(f"[bold]{escape(pack.title)}[/] ({pack.id}, {escape(pack.version)}) — {summary['controls']} "
                  f"controls: {summary['automated']} automated, {summary['manual']} manual; source {pack.source}")
    table = Table(show_lines=rationale)
    for column in ("control", "severity", "checks", "title"):
        table.add_column(column, no_wrap=column == "control", overflow="fold")
    for control in controls:
        title = escape(control.title) + (f"\n[dim]{escape(control.rationale)}[/]" if rationale else "")
        table.add_row(escape(control.id), control.severity,
                      "manual" if control.manual else ", ".join(control.checks), title)
    console.print(table)


@packs.command("checks")
@click.option("--check", "check_ids", metavar="CHECK_ID", multiple=True, help="Only these checks (repeatable).")
@OUTPUT
@click.pass_obj
def packs_checks(obj: dict, check_ids: tuple[str, ...], output_format: str | None) -> None:
    """The check index: each check id with where it comes from (a Nexus check file or checkov), its fix file and
    the packs that cite it. Exits 2 when the catalogues disagree (a fix or a pack naming a check that does not
    exist, a Nexus check no pack cites).

    \b
    Examples:
      nexus packs checks
      nexus packs checks --check NEXUS_AWS_RDS_CMK --output json
    """
    from ..compliance.check_index import check_index, index_problems
    from ..errors import DataFileError, UsageError

    index = check_index()
    problems = index_problems(index)
    if problems:
        raise DataFileError("the check index is inconsistent", problems)
    unknown = [check for check in check_ids if check not in index]
    if unknown:
        raise UsageError(f"no check {', '.join(unknown)} in the index (nexus packs checks lists them)")
    rows = [entry.as_dict() for check, entry in index.items() if not check_ids or check in check_ids]
    if chosen_format(obj, output_format, "table", OUTPUTS) == "json":
        click.echo(json.dumps({"checks": rows}, indent=2, sort_keys=True))
        return
    from rich.table import Table

    table = Table(title=f"Nexus check index ({len(rows)} checks)")
    for column in ("id", "cloud", "source", "fix_file", "packs"):
        table.add_column(column.replace("_", " "), no_wrap=column == "id", overflow="fold")
    for row in rows:
        table.add_row(row["id"], row["cloud"] or "", row["source"], row["fix_file"] or "", ", ".join(row["packs"]))
    render.console().print(table)
