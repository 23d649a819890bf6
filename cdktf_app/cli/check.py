"""`nexus check`: compliance findings for a spec, an out dir, a cdk.tf.json or a plan; `--fix` edits the spec."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from ..errors import UsageError
from . import render
from .options import ALLOW_UNSAFE_OVERRIDES, chosen_format, is_stdout, output_file_option, output_format_option

REPORT_FORMATS = ("table", "json", "sarif", "junit", "markdown")
SEVERITY_STYLES = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "dim"}


@click.command()
@click.argument("target", type=click.Path(path_type=Path), default="nexus.yaml")
@click.option("--spec", "spec", type=click.Path(path_type=Path),
              help="For a plan or a lone cdk.tf.json: the spec (or synth out dir) its findings point back to.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where a spec is synthesized (default: cdktf.out beside the spec).")
@click.option("--stack", help="Check only this stack (or, for a plan, the stack it was made from).")
@click.option("--standard", "standards", multiple=True, metavar="ID",
              help="Only findings mapped to this standard's controls (repeat for several; see `nexus packs list`). "
                   "Default: the standards the spec declares, severities from their packs.")
@click.option("--fail-on", type=click.Choice(["low", "medium", "high", "critical", "never"]),
              help="Exit 1 when an unsuppressed finding at or above this severity remains. "
                   "Default: the spec's compliance.gate, else high.")
@output_format_option(REPORT_FORMATS, "table", "Report format.")
@output_file_option("Write the report to this file (the summary still goes to stderr).")
@click.option("--fix", "apply_fixes", is_flag=True,
              help="Edit the spec to resolve fixable findings (comments kept), rebuild and re-check until clean.")
@click.option("--unsafe-fixes", is_flag=True,
              help="With --fix, also apply unsafe fixes (closing public access, deletion protection, changes "
                   "that replace a resource).")
@click.option("--max-passes", type=click.IntRange(1, 10), default=3, show_default=True,
              help="With --fix, at most this many edit-rebuild-recheck passes.")
@ALLOW_UNSAFE_OVERRIDES
@click.pass_obj
def check(obj: dict, target: Path, spec: Path | None, out_dir: Path | None, stack: str | None,
          standards: tuple[str, ...], fail_on: str | None, output_format: str | None, output_file: Path | None,
          apply_fixes: bool, unsafe_fixes: bool, max_passes: int, allow_unsafe_overrides: tuple[str, ...]) -> None:
    """Check synthesized Terraform against compliance packs (CIS, PCI-DSS, HIPAA, SOC 2, ...) with checkov.

    \b
    TARGET is a spec (synthesized first), a synth out dir, one cdk.tf.json, or a `terraform show -json`
    plan. Each finding names the resource (<type>.<name>), its stack, the check, the controls it evidences,
    a severity from our packs, and the spec line the resource came from. Suppress a finding in the spec:
      compliance:
        suppressions:
          - {check: CKV_AWS_18, resource: aws_s3_bucket.logs, reason: "the log bucket itself", expires: 2027-06-30}
    \b
    Exit codes: 0 nothing at or above --fail-on, 1 findings remain, 2 usage or spec error, 4 the scan did
    not check everything (a stack checkov could not parse, no check ran on a stack's resources).
    Examples:
      nexus check nexus.yaml
      nexus check nexus.yaml --fix                       # safe fixes only
      nexus check nexus.yaml --fix --unsafe-fixes
      nexus check plan.json --spec nexus.yaml --output sarif -o nexus.sarif
    """
    from ..compliance import check as run_check
    from ..compliance import fix as run_fix

    if unsafe_fixes and not apply_fixes:
        raise UsageError("--unsafe-fixes needs --fix")
    if apply_fixes:
        if target.suffix not in (".yaml", ".yml"):
            raise UsageError(f"--fix edits a spec; {target} is not one (.yaml)")
        if not target.exists():
            raise UsageError(f"{target}: no such file")
        result = run_fix(target, unsafe=unsafe_fixes, max_passes=max_passes, standards=list(standards) or None,
                         out_dir=out_dir, allow_unsafe_overrides=allow_unsafe_overrides)
        show_fix(result, obj)
        report = result.report
    else:
        report = run_check(target, standards=list(standards) or None, spec=spec, out_dir=out_dir, stack=stack,
                           allow_unsafe_overrides=allow_unsafe_overrides)
    threshold = fail_on or report.gate or "high"
    _emit(report, chosen_format(obj, output_format, "table", REPORT_FORMATS), output_file, threshold, obj)
    if threshold != "never" and report.blocking(threshold):
        sys.exit(1)


def _emit(report, output_format: str, output_file: Path | None, threshold: str, obj: dict) -> None:
    from ..compliance.formats import FORMATS

    if output_format == "table":
        if not is_stdout(output_file):
            raise UsageError("-o/--output-file needs a file format: --output json|sarif|junit|markdown")
        _table(report, threshold)
        return
    render.document(FORMATS[output_format](report), output_file, obj, note=f" ({report.failed_count} findings)",
                    findings=report.failed_count)


def _table(report, threshold: str) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = render.console()
    table = Table(show_lines=False, header_style="bold")
    for column in ("severity", "check", "resource", "spec", "controls", "fix"):
        table.add_column(column, overflow="fold")
    for finding in report.findings:
        severity = f"[{SEVERITY_STYLES[finding.severity]}]{finding.severity}[/]"
        if finding.suppressed:
            severity = f"[dim]{finding.severity} (suppressed)[/]"
        table.add_row(severity, escape(f"{finding.check_id}\n{finding.check_name}"),
                      escape(f"{finding.stack}/{finding.address}" if finding.stack else finding.address),
                      escape(finding.location()), escape(", ".join(finding.controls) or "-"),
                      finding.fix.safety if finding.fix else "-")
    if report.findings:
        console.print(table)
    counts = report.counts_by_severity()
    summary = ", ".join(f"{count} {severity}" for severity, count in reversed(counts.items()) if count)
    gate = "" if threshold == "never" else f"; {len(report.blocking(threshold))} at or above {threshold}"
    console.print(f"{report.failed_count} finding(s) ({summary or 'none'}), {report.passed_count} checks passed; "
                  f"standards: {', '.join(report.standards)}{gate}.")
    fixable = report.fixable(unsafe=True)
    if fixable:
        safe = len(report.fixable())
        console.print(f"{len(fixable)} fixable: {safe} with --fix, {len(fixable) - safe} more with --unsafe-fixes.")
    for note in report.notes:
        console.print(f"note: {escape(note)}")


def show_fix(result, obj: dict) -> None:
    if obj.get("log_format") == "json":
        render.fixed(result)
        return
    console = render.console(stderr=True)
    styles = {"+": "green", "-": "red", "@": "cyan"}
    for line in result.diff.splitlines():
        console.print(line, style=styles.get(line[:1]), markup=False)
    console.print(f"applied {len(result.edits)} fix(es) in {result.passes} pass(es) to {result.spec}")
    for edit in result.edits:
        console.print(f"  fixed   {edit.describe()}", markup=False)
    for edit in result.skipped_unsafe:
        console.print(f"  skipped {edit.describe()} — needs --unsafe-fixes", markup=False)
