"""`nexus release`: a thin click command over cdktf_app.release.release, with the deploy commands' progress."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path

import click

from .deploy import OVERRIDE_GATE, REASON, SPEC


@click.command()
@SPEC
@click.option("--component", required=True, metavar="NAME", help="The service to release (its spec has "
                                                                   "release.strategy canary or blue_green).")
@click.option("--image", metavar="TAG", help="The image to release (registry/repository:tag or @sha256 digest).")
@click.option("--promote", "action", flag_value="promote", help="Send all traffic to the release under way now, "
                                                                "skipping its remaining steps.")
@click.option("--abort", "action", flag_value="abort", help="Move all traffic back to the stable version and stop "
                                                            "the release under way.")
@click.option("--env", "environment", metavar="ENV", help="The environment to release in (needed when the spec "
                                                          "has several).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Synth output directory (default: cdktf.out beside the spec).")
@click.option("--sandbox", is_flag=True, help="Release on a local moto server (AWS stacks only): `nexus sandbox "
                                              "up`'s if one runs, else one started for this command.")
@click.option("--max-attempts", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Attempts for a transient failure of a step's terraform calls.")
@OVERRIDE_GATE
@REASON
@click.option("-v", "--verbose", is_flag=True, help="Show terraform's own output.")
@click.pass_obj
def release(obj: dict, spec: Path, component: str, image: str | None, action: str | None, **given) -> None:
    """Release a new image of a service through the steps of its `release:`: per step a deploy of its stacks with
    the image and the traffic weight as Terraform variables, then the step's bake, then its rollback alarms
    (CloudWatch). A breached alarm moves all traffic back to the stable version. After the last step the new
    image becomes the stable one (promote). Every step is a run in `nexus runs list` (command release).

    \b
    Start:    nexus release nexus.yaml --component web --image ghcr.io/acme/web:1.5 --env prod
    Promote:  nexus release nexus.yaml --component web --promote
    Abort:    nexus release nexus.yaml --component web --abort

    \b
    Exit codes: 0 promoted (or aborted as asked), 1 rolled back by an alarm or terraform failed, 2 usage or spec
    error, 3 gate blocked, 4 the alarms could not be read.
    """
    from ..deploy import DeployOptions, project_state_dir
    from ..healing import RetryPolicy
    from ..release import ReleaseOptions, release as run_release
    from ..sandbox import sandbox_session
    from ..workspace import load
    from .render_deploy import ProgressReporter

    loaded = load(spec)
    deploy = DeployOptions(environment=given["environment"], out_dir=given["out_dir"], auto_approve=True,
                           override_gate=given["override_gate"], reason=given["reason"],
                           retry=RetryPolicy(max_attempts=given["max_attempts"]))
    options = ReleaseOptions(component=component, image=image, action=action or "start", deploy=deploy)
    reporter = ProgressReporter(verbose=given["verbose"], json_output=obj.get("log_format") == "json")
    session = sandbox_session(project_state_dir(loaded), keep=False) if given["sandbox"] else \
        contextlib.nullcontext()
    with session as sandbox, reporter:
        if sandbox is not None:
            deploy.sandbox_url = sandbox.url
        result = run_release(loaded, options, reporter)
    if obj.get("log_format") == "json":
        click.echo(json.dumps({"level": "info", "result": result.outcome, "release": result.to_dict()},
                              sort_keys=True))
        return
    for step in result.steps:
        click.echo(f"{step.action:8} {step.percent:3}%  {step.image}  (run {step.run_id})")
    click.echo(f"{component}: {result.outcome}")
