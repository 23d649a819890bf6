"""How plan/deploy/destroy and the run history look: a line per stack and phase (rich), or JSON lines."""
from __future__ import annotations

import json
import time

import click

from ..deploy import GateResult, PlanSummary, Reporter
from . import render

MARK = {True: "[green]✓[/]", False: "[red]✗[/]"}


def _console():
    return render.console(stderr=True)


class ProgressReporter(Reporter):
    """Spinner for the running phase, one line per finished phase; --verbose adds terraform's lines."""

    def __init__(self, verbose: bool = False, json_output: bool = False):
        self.verbose, self.json_output = verbose, json_output
        self.console = _console()
        self.status = None

    def __enter__(self):
        return self

    def __exit__(self, *_):
        self._stop()

    def _event(self, **fields) -> None:
        click.echo(json.dumps({"level": "info", "time": round(time.time(), 3), **fields}, sort_keys=True),
                   err=True)

    def _stop(self) -> None:
        if self.status is not None:
            self.status.stop()
            self.status = None

    def note(self, text: str) -> None:
        if self.json_output:
            self._event(event="note", message=text)
        else:
            self.console.print(f"[dim]{text}[/]")

    def stacks(self, stacks, skipped) -> None:
        if self.json_output:
            self._event(event="stacks", stacks=[s.name for s in stacks], skipped=[s.name for s in skipped])
            return
        self.console.print(f"[bold]stacks:[/] {', '.join(s.name for s in stacks) or 'none'}")
        if skipped:
            self.console.print(f"[dim]skipped (the sandbox is AWS only): {', '.join(s.name for s in skipped)}[/]")

    def phase(self, stack: str, phase: str) -> None:
        if self.json_output or self.verbose:
            return
        self._stop()
        self.status = self.console.status(f"{stack} › {phase} …")
        self.status.start()

    def phase_done(self, stack: str, phase: str, ok: bool, seconds: float) -> None:
        self._stop()
        if self.json_output:
            self._event(event="phase", stack=stack, phase=phase, ok=ok, seconds=round(seconds, 3))
        else:
            self.console.print(f"{MARK[ok]} {stack} › {phase} [dim]{seconds:.1f}s[/]")

    def retry(self, stack: str, attempt, wait: float) -> None:
        self._stop()
        c = attempt.classification
        if self.json_output:
            self._event(event="retry", stack=stack, attempt=attempt.number, wait=round(wait, 3), **c.to_dict())
        else:
            from rich.markup import escape

            self.console.print(f"[yellow]↻ {stack}: {c.failure_class} ({c.kind}, {c.confidence:.2f}) — "
                               f"attempt {attempt.number + 1} in {wait:.1f}s[/]\n  [dim]{escape(c.evidence)}[/]")

    def plan(self, stack: str, summary: PlanSummary) -> None:
        if self.json_output:
            self._event(event="plan", stack=stack, add=summary.add, change=summary.change, destroy=summary.destroy,
                        replace=list(summary.replace), delete=list(summary.delete))
            return
        self.console.print(f"  {stack}: [green]+{summary.add}[/] [yellow]~{summary.change}[/] "
                           f"[red]-{summary.destroy}[/]" + (f" (replaces {len(summary.replace)})"
                                                            if summary.replace else ""))

    def gate(self, stack: str, result: GateResult) -> None:
        if self.json_output:
            self._event(event="gate", stack=stack, threshold=result.threshold, blocking=len(result.blocking),
                        overridden=result.overridden, error=result.error)
            return
        if result.overridden:
            problem = f"the check failed: {result.error}" if result.error else f"{len(result.blocking)} blocking finding(s)"
            self.console.print(f"  [yellow]gate overridden[/] for {stack} ({problem})")
        elif result.passed:
            self.console.print(f"  gate passed for {stack} (nothing at or above {result.threshold})")

    def terraform_line(self, line: str) -> None:
        if self.verbose and not self.json_output:
            from rich.markup import escape

            self.console.print(f"[dim]  │ {escape(line)}[/]")


def run_summary(record, options: dict) -> None:
    if options.get("log_format") == "json":
        click.echo(json.dumps({"level": "info", "result": record.outcome, "run": record.to_dict()}, sort_keys=True))
        return
    console = _console()
    console.print(f"[bold]{record.command} {record.outcome}[/] in {record.duration_seconds:.1f}s — "
                  f"{record.added} added, {record.changed} changed, {record.destroyed} destroyed"
                  + (f"; {record.already_gone} already gone (no longer existed: dropped from the state)"
                     if record.already_gone else "")
                  + (f"; {record.retries} retried" if record.retries else "")
                  + f" (run {record.id}, log {record.log_file})")
    if record.protection_lifted:
        console.print(f"[yellow]deletion protection lifted first:[/] {', '.join(record.protection_lifted)}")
