"""`nexus runs list | show`: the recorded plan/deploy/destroy runs (SQLite under the project, or
NEXUS_RUNS_URL)."""
from __future__ import annotations

import json
import time
from pathlib import Path

import click

from . import render
from .options import chosen_format, output_format_option

PROJECT = click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=Path("."),
                       show_default=True, help="Project folder (the spec's); its .nexus/runs.db holds the runs "
                                               "unless NEXUS_RUNS_URL names a database.")
OUTPUTS = ("table", "json")
OUTPUT = output_format_option(OUTPUTS, "table", "table for people, json for machines.")


def _store(project: Path):
    from ..runs import RunStore, runs_url

    return RunStore(runs_url(project))


def _when(epoch: float | None) -> str:
    return "-" if epoch is None else time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(epoch))


@click.group()
def runs() -> None:
    """Run history: every plan, deploy and destroy with phases, durations, counts and failure class."""


@runs.command("list")
@PROJECT
@OUTPUT
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True)
@click.pass_obj
def runs_list(obj: dict, project: Path, output_format: str | None, limit: int) -> None:
    """The newest runs first; a row that cannot be read is listed as unreadable, with the reason."""
    from ..runs import DamagedRun

    with _store(project) as store:
        records = store.list(limit)
    if chosen_format(obj, output_format, "table", OUTPUTS) == "json":
        click.echo(json.dumps([record.to_dict() for record in records], indent=2, sort_keys=True))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"runs ({len(records)})")
    for column in ("id", "started (UTC)", "command", "spec", "outcome", "+", "~", "-", "seconds", "error"):
        table.add_column(column, justify="right" if column in ("+", "~", "-", "seconds") else "left",
                         no_wrap=column == "id")
    for r in records:
        if isinstance(r, DamagedRun):
            table.add_row(escape(r.id), *["-"] * 8, escape(f"unreadable: {r.reason}"))
            continue
        table.add_row(escape(r.id), _when(r.started_at), escape(r.command + (" (sandbox)" if r.sandbox else "")),
                      escape(r.spec_name), escape(r.outcome), str(r.added), str(r.changed), str(r.destroyed),
                      f"{r.duration_seconds:.1f}" if r.duration_seconds is not None else "-",
                      escape(r.error_class or ""))
    render.console().print(table)


def _opened(record, key_file: Path | None):
    """RECORD with its encrypted columns decrypted when a private key is at hand (--key, NEXUS_PRIVATE_KEY),
    and the names of those left encrypted because none is."""
    import os

    from ..crypto.keys import PRIVATE_KEY_VARIABLE, load_identity
    from ..runs.sealed import opened, sealed_columns

    sealed = sealed_columns(record)
    if not sealed:
        return record, []
    if key_file is None and not os.environ.get(PRIVATE_KEY_VARIABLE):
        return record, sealed
    return opened(record, load_identity(key_file)), []


ENCRYPTED_NOTE = "(encrypted; pass --key FILE or set NEXUS_PRIVATE_KEY to read it)"


@runs.command("show")
@click.argument("run_id")
@PROJECT
@OUTPUT
@click.option("-k", "--key", "key_file", type=click.Path(path_type=Path),
              help="Private key to decrypt the run's encrypted columns (spec `encryption`); default: the "
                   "NEXUS_PRIVATE_KEY environment variable.")
@click.pass_obj
def runs_show(obj: dict, run_id: str, project: Path, output_format: str | None, key_file: Path | None) -> None:
    """One run (by id or a unique prefix): phases with durations and attempts, counts, outcome, failure. A failure's
    evidence and an override's reason, encrypted when the spec has `encryption`, are decrypted with the private
    key; without one they are shown as encrypted."""
    with _store(project) as store:
        record = store.get(run_id)
    record, still_sealed = _opened(record, key_file)
    if chosen_format(obj, output_format, "table", OUTPUTS) == "json":
        click.echo(json.dumps({**record.to_dict(), "encrypted_columns": still_sealed}, indent=2, sort_keys=True))
        return
    for name in still_sealed:
        setattr(record, name, ENCRYPTED_NOTE)
    from rich.markup import escape
    from rich.table import Table

    console = render.console()
    console.print(f"[bold]run {record.id}[/]: {record.command} of {record.spec_name} ({escape(record.spec_file)}, "
                  f"sha256 {record.spec_sha256[:12]}) — [bold]{record.outcome}[/]")
    console.print(f"started {_when(record.started_at)}, finished {_when(record.finished_at)}; "
                  f"{record.added} added, {record.changed} changed, {record.destroyed} destroyed; "
                  f"{record.retries} retries; cost delta "
                  f"{'-' if record.cost_delta is None else f'{record.cost_delta:+.2f} USD/month'}")
    if record.error_class:
        console.print(f"[red]failure:[/] {record.error_class} ({record.error_kind or '-'}, confidence "
                      f"{record.error_confidence if record.error_confidence is not None else '-'}): "
                      f"{escape(record.error_evidence or '')}")
    if record.gate_overridden:
        console.print(f"[yellow]gate overridden:[/] {escape(record.override_reason or '')}")
    if record.unsafe_overrides:
        console.print(f"[yellow]unsafe overrides allowed:[/] {escape(', '.join(record.unsafe_overrides))}")
    if record.protection_lifted:
        console.print(f"[yellow]deletion protection lifted:[/] {escape(', '.join(record.protection_lifted))}")
    if record.already_gone:
        console.print(f"{record.already_gone} resource(s) in the state were already gone (dropped from the state)")
    table = Table(title="phases")
    for column in ("stack", "phase", "attempt", "ok", "seconds"):
        table.add_column(column)
    for phase in record.phases:
        table.add_row(phase.stack, phase.phase, str(phase.attempt), "yes" if phase.ok else "no", f"{phase.seconds:.2f}")
    console.print(table)
    if record.log_file:
        console.print(f"[dim]terraform output: {escape(record.log_file)}[/]")
