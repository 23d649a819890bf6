"""`nexus plan | deploy | destroy`: thin click commands over cdktf_app.deploy.run, with rich progress."""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from ..tools.terraform import DEFAULT_STOP_TIMEOUT, Terminated, sigterm_stops_like_ctrl_c
from .options import ALLOW_UNSAFE_OVERRIDES

INTERRUPTED = 130  # 128 + SIGINT, as a shell reports a command stopped by Ctrl-C
TERMINATED = 143  # 128 + SIGTERM
SPEC = click.argument("spec", type=click.Path(dir_okay=False, path_type=Path), default="nexus.yaml")


def _with(*options):
    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


AUTO_APPROVE = click.option("--auto-approve", is_flag=True,
                            help="Apply without a prompt (CI). Deleting or replacing anything also needs "
                                 "--allow-destroy.")
OVERRIDE_GATE = click.option("--override-gate", is_flag=True, help="Go on despite blocking compliance findings "
                                                                   "(needs --reason; recorded in the run).")
REASON = click.option("--reason", metavar="TEXT", help="Why the gate is overridden.")
COMMON = _with(
    click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                 help="Synth output directory (default: cdktf.out beside the spec)."),
    click.option("--stack", "stacks", multiple=True, metavar="NAME", help="Only this stack; repeatable."),
    click.option("--env", "environment", metavar="ENV", help="Only the stacks of this environment."),
    click.option("--sandbox", is_flag=True, help="Run against a local moto server on 127.0.0.1 (AWS stacks "
                                                 "only): uses `nexus sandbox up`'s if one runs, else starts "
                                                 "one and stops it afterwards."),
    click.option("--keep", is_flag=True, help="With --sandbox: leave a sandbox this command started running "
                                              "(stop it with `nexus sandbox down`)."),
    click.option("--timeout", type=click.FloatRange(min=1), metavar="SECONDS",
                 help="Watchdog for every terraform call (default per phase: init 300, plan 900, apply 3600)."),
    click.option("--stop-timeout", type=click.FloatRange(min=0), default=DEFAULT_STOP_TIMEOUT, show_default=True,
                 envvar="NEXUS_STOP_TIMEOUT", show_envvar=True, metavar="SECONDS",
                 help="On Ctrl-C or SIGTERM, how long terraform may take to stop cleanly (finish what is in "
                      "flight, write state, release the lock) before it is stopped by force. A forced stop "
                      "may lose the state of resources in flight."),
    click.option("--max-attempts", type=click.IntRange(1, 10), default=3, show_default=True,
                 help="Attempts for a transient failure (throttling, 5xx, lock contention...)."),
    click.option("-v", "--verbose", is_flag=True, help="Show terraform's own output (always kept in "
                                                       ".nexus/logs/<run>.log)."),
    ALLOW_UNSAFE_OVERRIDES,
)


def _run(obj: dict, command: str, spec: Path, **given):
    from ..deploy import DeployOptions, run
    from ..healing import RetryPolicy
    from ..sandbox import sandbox_session
    from ..workspace import load
    from .render_deploy import ProgressReporter, run_summary

    interactive = sys.stdin.isatty() and not given.get("auto_approve")
    options = DeployOptions(
        command=command, out_dir=given["out_dir"], stacks=given["stacks"], environment=given["environment"],
        auto_approve=given.get("auto_approve", False), allow_destroy=given.get("allow_destroy", False),
        override_gate=given.get("override_gate", False), reason=given.get("reason"), timeout=given["timeout"],
        plan_dir=given.get("plan_dir"), force_protected=given.get("force_protected", False),
        stop_timeout=given["stop_timeout"],
        allow_unsafe_overrides=given["allow_unsafe_overrides"],
        retry=RetryPolicy(max_attempts=given["max_attempts"]),
        confirm=(lambda question: click.confirm(question, default=False)) if interactive else None)
    reporter = ProgressReporter(verbose=given["verbose"], json_output=obj.get("log_format") == "json")
    loaded = load(spec)  # read once, before a sandbox starts; the run takes it as it is
    session = contextlib.nullcontext()
    if given["sandbox"]:
        from ..deploy import project_state_dir

        session = sandbox_session(project_state_dir(loaded), keep=given["keep"])
    try:
        with sigterm_stops_like_ctrl_c(), session as sandbox, reporter:
            if sandbox is not None:
                options.sandbox_url = sandbox.url
                reporter.note(f"sandbox: moto at {sandbox.url}")
            record = run(loaded, options, reporter)
    except KeyboardInterrupt as stopped:
        how, code = ("terminated (SIGTERM)", TERMINATED) if isinstance(stopped, Terminated) else \
            ("interrupted", INTERRUPTED)
        message = (f"nexus {command}: {how}; terraform was asked to stop cleanly and the run is recorded as "
                   "cancelled (nexus runs list)")
        if obj.get("log_format") == "json":
            click.echo(json.dumps({"level": "error", "error": "Interrupted", "code": code, "message": message},
                                  sort_keys=True), err=True)
        else:
            click.echo(message, err=True)
        sys.exit(code)
    run_summary(record, obj)
    return record


@click.command()
@SPEC
@COMMON
@OVERRIDE_GATE
@REASON
@click.option("--detailed-exitcode", is_flag=True,
              help="Exit 2 when the plan has changes, 0 when it has none, 1 on any error (terraform's -detailed-"
                   "exitcode); see Exit codes.")
@click.option("--plan-dir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Keep each stack's saved plan (DIR/<stack>.tfplan, for `terraform apply` or review) and its "
                   "`terraform show -json` (DIR/<stack>.tfplan.json). Both hold sensitive values IN CLEAR "
                   "(passwords, keys): files 0600 in a 0700 folder; never commit or upload them as artifacts "
                   "others can read. With `encryption` in the spec they are kept encrypted instead "
                   "(<stack>.tfplan.enc, <stack>.tfplan.json.enc; `nexus keys decrypt` opens them).")
@click.pass_obj
def plan(obj: dict, spec: Path, detailed_exitcode: bool, **given) -> None:
    """Plan every stack in dependency order (init, plan, show -json, the compliance gate) and record the run;
    nothing is applied. The plans are removed afterwards unless --plan-dir keeps them.

    \b
    In CI:   nexus plan nexus.yaml --env prod --detailed-exitcode --plan-dir plans/

    \b
    Exit codes: 0 planned, 1 terraform failed (class and evidence shown), 2 usage or spec error, 3 gate blocked,
    4 the gate's check could not run, 130 Ctrl-C, 143 SIGTERM.
    With --detailed-exitcode: 0 no changes, 2 changes planned, 1 any error that is otherwise 2 (usage, spec),
    3, 4, 130 and 143 unchanged; a command line that does not parse (unknown option) is still 2.
    """
    from ..errors import NexusError

    try:
        record = _run(obj, "plan", spec, **given)
    except NexusError as error:
        if detailed_exitcode and error.exit_code == 2:
            error.exit_code = 1  # 2 means "changes" under this flag, as in terraform
        raise
    if detailed_exitcode and (record.added or record.changed or record.destroyed):
        sys.exit(2)


@click.command()
@SPEC
@COMMON
@AUTO_APPROVE
@click.option("--allow-destroy", is_flag=True, help="Allow a plan that deletes or replaces resources without "
                                                    "asking (with --auto-approve, or without a terminal).")
@OVERRIDE_GATE
@REASON
@click.pass_obj
def deploy(obj: dict, spec: Path, **given) -> None:
    """Synthesize (as `nexus synth`: compliance.auto_remediate applies), then per stack in dependency order:
    init, plan -out, show -json, the compliance gate, a state backup, and apply of the saved plan. Transient
    failures are retried with backoff.

    \b
    Try it locally:   nexus deploy nexus.yaml --sandbox --auto-approve
    In CI:            nexus deploy nexus.yaml --env prod --auto-approve
    History:          nexus runs list

    \b
    Approval: at a terminal you are asked, with deletions and replacements named. Without one (or with
    --auto-approve) an apply needs --auto-approve, and one that deletes or replaces anything also --allow-destroy.

    \b
    Stopping: Ctrl-C or SIGTERM sends terraform SIGINT, so it finishes what is in flight, writes its state and
    releases the lock; after --stop-timeout seconds (or a second Ctrl-C) it is stopped by force, which may lose
    the state of resources in flight. If Nexus is killed (kill -9), terraform gets SIGINT from the kernel (Linux).
    Exit codes: 0 deployed, 1 terraform failed, 2 usage or spec error (or a deletion without --allow-destroy),
    3 gate blocked, 4 the gate's check could not run, 130 Ctrl-C, 143 SIGTERM.
    """
    _run(obj, "deploy", spec, **given)


@click.command()
@SPEC
@COMMON
@AUTO_APPROVE
@click.option("--allow-destroy", is_flag=True, help="Needed with --auto-approve (or without a terminal): "
                                                    "destroy deletes, and deleting unattended is never implied.")
@click.option("--force-protected", is_flag=True,
              help="Resources with deletion protection on (RDS/Aurora, DynamoDB, load balancers, EC2, Cloud SQL, "
                   "Firestore...): turn exactly those flags off with a targeted apply first (recorded in the "
                   "run), then destroy. Without it such a destroy is refused before anything is deleted.")
@click.pass_obj
def destroy(obj: dict, spec: Path, **given) -> None:
    """Destroy every stack, in reverse dependency order: each stack's state is read first (deletion protection,
    what it holds), then per stack plan -destroy, confirmation, a state backup and apply. No compliance gate
    (nothing is created).

    \b
    Sandbox:  nexus destroy nexus.yaml --sandbox --auto-approve --allow-destroy
    In CI:    nexus destroy nexus.yaml --env dev --auto-approve --allow-destroy [--force-protected]

    \b
    Deletion protection: if any resource has it on, the destroy is refused up front (exit 2) with the list and
    the way on; --force-protected lifts it on exactly those resources first. Resources the state holds that no
    longer exist (deleted outside Terraform, or in a sandbox that has stopped) are dropped from the state and
    reported as already gone, never counted as destroyed.

    \b
    Stopping: Ctrl-C or SIGTERM sends terraform SIGINT, so it finishes what is in flight, writes its state and
    releases the lock; after --stop-timeout seconds (or a second Ctrl-C) it is stopped by force, which may lose
    the state of resources in flight. If Nexus is killed (kill -9), terraform gets SIGINT from the kernel (Linux).
    Exit codes: 0 destroyed, 1 terraform failed, 2 usage or spec error, a deletion without --allow-destroy, or
    deletion protection without --force-protected, 130 Ctrl-C, 143 SIGTERM.
    """
    _run(obj, "destroy", spec, **given)
