"""`nexus drift`: what changed outside Terraform, the spec line it came from, what it breaks; revert or adopt."""
from __future__ import annotations

import contextlib
import sys
from dataclasses import replace
from pathlib import Path

import click

from ..errors import ScanError, UsageError
from . import render
from .check import SEVERITY_STYLES
from .deploy import AUTO_APPROVE, COMMON, OVERRIDE_GATE, REASON, SPEC
from .options import chosen_format, is_stdout, output_file_option, output_format_option

FORMATS = ("table", "json", "markdown", "sarif")
DRIFT_FOUND = 1


@click.command()
@SPEC
@COMMON
@output_format_option(FORMATS, "table", "Report format.")
@output_file_option("Write the report to this file (progress still goes to stderr).")
@click.option("--fix", "fix", type=click.Choice(["revert", "adopt"]),
              help="revert: deploy the spec over the drift (plan, gate, confirmation, state backup, apply). "
                   "adopt: write the drifted values into the spec (comments kept); refused if they fail the gate.")
@click.option("--resource", "resources", multiple=True, metavar="ADDRESS",
              help="With --fix adopt: adopt only this resource's drift (e.g. aws_s3_bucket.files); repeatable.")
@AUTO_APPROVE
@click.option("--allow-destroy", is_flag=True, help="With --fix revert: allow a revert plan that deletes or "
                                                    "replaces resources without asking (as nexus deploy).")
@OVERRIDE_GATE
@REASON
@click.pass_obj
def drift(obj: dict, spec: Path, output_format: str | None, output_file: Path | None, fix: str | None,
          resources: tuple[str, ...], **given) -> None:
    """Find what changed outside Terraform: per stack `terraform plan -refresh-only -detailed-exitcode
    -lock=false` and `show -json`. Data-source reads and computed attributes nobody sets are not drift; a
    resource deleted outside Terraform is. Each drifted resource is shown with the spec line it came from and a
    severity: that of the compliance control its drift breaks (the refreshed state re-checked with the packs:
    encryption off, ingress opened, logging removed), low for tags only. The run is recorded (kind drift).

    \b
    Try it:   nexus drift nexus.yaml --sandbox
    Fix it:   nexus drift nexus.yaml --fix revert --auto-approve
              nexus drift nexus.yaml --fix adopt --resource aws_s3_bucket.files

    \b
    Exit codes: 0 no drift (or the drift fixed), 1 drift found (or an adoption refused, with the reason),
    2 usage or spec error, 3 the revert's gate blocked, 4 terraform or the check could not run.
    """
    from ..deploy import DeployFailed
    from ..drift import detect

    if resources and fix != "adopt":
        raise UsageError("--resource chooses what --fix adopt writes into the spec; add --fix adopt")
    chosen = chosen_format(obj, output_format, "table", FORMATS)
    if chosen == "table" and not is_stdout(output_file):
        raise UsageError("-o/--output-file needs a file format: --output json|markdown|sarif")
    try:
        with _session(obj, spec, given) as (loaded, options, reporter):
            found = detect(loaded, options, reporter)
            _emit(found.report, chosen, output_file, obj)
            if fix == "revert" and found.report.drifted:
                from ..drift.fix import revert
                from .render_deploy import run_summary

                run_summary(revert(found, replace(options, command="deploy"), reporter), obj)
                return
            if fix == "adopt" and found.report.drifted:
                from ..drift.fix import adopt

                _adopted(adopt(found, resources), obj)
                return
    except DeployFailed as failed:
        raise ScanError(str(failed)) from None  # terraform could not run: not a finding of drift
    if found.report.drifted:
        sys.exit(DRIFT_FOUND)


@contextlib.contextmanager
def _session(obj: dict, spec: Path, given: dict):
    """The loaded spec, the deploy options and a progress reporter, inside a sandbox when --sandbox."""
    from ..deploy import DeployOptions, project_state_dir
    from ..healing import RetryPolicy
    from ..sandbox import sandbox_session
    from ..workspace import load
    from .render_deploy import ProgressReporter

    interactive = sys.stdin.isatty() and not given.get("auto_approve")
    options = DeployOptions(
        command="drift", out_dir=given["out_dir"], stacks=given["stacks"], environment=given["environment"],
        auto_approve=given["auto_approve"], allow_destroy=given["allow_destroy"],
        override_gate=given["override_gate"], reason=given["reason"], timeout=given["timeout"],
        stop_timeout=given["stop_timeout"],
        allow_unsafe_overrides=given["allow_unsafe_overrides"], retry=RetryPolicy(max_attempts=given["max_attempts"]),
        confirm=(lambda question: click.confirm(question, default=False, err=True)) if interactive else None)
    loaded = load(spec)
    session = sandbox_session(project_state_dir(loaded), keep=given["keep"]) if given["sandbox"] \
        else contextlib.nullcontext()
    reporter = ProgressReporter(verbose=given["verbose"], json_output=obj.get("log_format") == "json")
    with session as sandbox, reporter:
        if sandbox is not None:
            options.sandbox_url = sandbox.url
            reporter.note(f"sandbox: moto at {sandbox.url}")
        yield loaded, options, reporter


def _emit(report, output_format: str, output_file: Path | None, obj: dict) -> None:
    from ..drift.report import FORMATS as DOCUMENTS

    if output_format == "table":
        _table(report)
        return
    render.document(DOCUMENTS[output_format](report), output_file, obj, note=f" ({report.drifted} drifted)",
                    drifted=report.drifted)


def _table(report) -> None:
    from rich.markup import escape
    from rich.table import Table

    from ..drift.report import broken_text

    console = render.console()
    if report.items:
        table = Table(header_style="bold")
        for column in ("severity", "resource", "drift", "spec", "breaks"):
            table.add_column(column, overflow="fold")
        for item in report.items:
            table.add_row(f"[{SEVERITY_STYLES[item.severity]}]{item.severity}[/]",
                          escape(f"{item.stack}/{item.address}"), escape(item.summary()),
                          escape(f"{item.location()} {item.spec_path or ''}".strip()), escape(broken_text(item)))
        console.print(table)
    counts = ", ".join(f"{count} {severity}" for severity, count in reversed(report.counts_by_severity().items())
                       if count)
    console.print(f"{report.drifted} resource(s) drifted ({counts or 'none'}) in "
                  f"{', '.join(report.stacks) or 'no stack'}; run {report.run_id}.")


def _adopted(result, obj: dict) -> None:
    if obj.get("log_format") == "json":
        import json

        click.echo(json.dumps({"level": "info", "adopted": [edit.describe() for edit in result.edits],
                               "spec": str(result.spec)}, sort_keys=True), err=True)
        return
    console = render.console(stderr=True)
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for line in result.diff.splitlines():
        console.print(line, style=styles.get(line[:1]), markup=False)
    console.print(f"adopted {len(result.edits)} setting(s) into {result.spec}; deploy it to record them "
                  "in the state", markup=False)
