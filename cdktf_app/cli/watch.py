"""`nexus watch`: re-synth, re-check and optionally re-validate a spec on every save, printing what changed."""
from __future__ import annotations

import json
import time
from pathlib import Path

import click


@click.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path), default="nexus.yaml")
@click.option("--env", "environment", help="Only the stacks of this environment (default: every environment).")
@click.option("--validate", is_flag=True, help="Also run `terraform validate` on each stack after every save.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory, as for `nexus synth` (default: CDKTF_OUTDIR when set, else cdktf.out).")
@click.pass_obj
def watch(obj: dict, spec: Path, environment: str | None, validate: bool, out_dir: Path | None) -> None:
    """Watch a spec: on every save, synthesize (warm synth worker), check (warm checkov) and, with
    --validate, run terraform validate; print only what changed.

    \b
    First a summary of the spec as it is, then, after each save, one line with the time it took and a line per
    change: `+`/`-` a finding that appeared or was resolved, `~` a stack whose resource count changed, `+`/`-`
    a stack, `!` a spec problem or a stack terraform rejects. A spec that does not synthesize is reported and
    watching goes on. The spec is never edited (no auto-remediation while you type: `nexus check --fix`).

    \b
    Exit codes: 0 after Ctrl-C or SIGTERM (the ways to end a watch); 2 no such spec or environment; 4 the compliance
    check could not run (a watch that cannot check stops rather than report no findings).

    \b
    Example:
      nexus watch nexus.yaml --env dev
    """
    from ..watch import summary, watch as run_watch

    as_json = obj.get("log_format") == "json"

    def report(moment, outcome, changes) -> None:
        if as_json:
            click.echo(json.dumps({"event": moment, "seconds": round(outcome.seconds, 3),
                                   "problem": outcome.problem, "resources": outcome.resources,
                                   "findings": len(outcome.findings),
                                   "changes": [{"kind": change.kind, "text": change.text} for change in changes]}))
            return
        what = spec.name if moment == "start" else f"{spec.name} saved"
        click.echo(f"[{time.strftime('%H:%M:%S')}] {what}: {summary(outcome)}"
                   + ("" if changes or moment == "start" else ", no change"))
        for change in changes:
            click.echo(f"  {change}")

    from ..tools.terraform import sigterm_stops_like_ctrl_c

    try:
        with sigterm_stops_like_ctrl_c():
            run_watch(spec, environment=environment, validate=validate, out_dir=out_dir, report=report)
    except KeyboardInterrupt:  # Terminated (SIGTERM) too
        click.echo("stopped watching", err=True)
