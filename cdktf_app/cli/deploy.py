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


def _options(command):
    for option in reversed([
        click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
                     help="Synth output directory (default: cdktf.out beside the spec)."),
        click.option("--stack", "stacks", multiple=True, metavar="NAME", help="Only this stack; repeatable."),
        click.option("--env", "environment", metavar="ENV", help="Only the stacks of this environment."),
        click.option("--auto-approve", is_flag=True, help="Apply without a prompt (CI). Deletes still need "
                                                          "--allow-destroy."),
        click.option("--allow-destroy", is_flag=True, help="Allow a deploy whose plan deletes or replaces "
                                                           "resources, without asking."),
        click.option("--override-gate", is_flag=True, help="Apply despite blocking compliance findings "
                                                           "(needs --reason; recorded in the run)."),
        click.option("--reason", metavar="TEXT", help="Why the gate is overridden."),
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
    ]):
        command = option(command)
    return command


def _run(obj: dict, command: str, spec: Path, **given) -> None:
    from ..deploy import DeployOptions, run
    from ..healing import RetryPolicy
    from ..sandbox import sandbox_session
    from ..workspace import load
    from .render_deploy import ProgressReporter, run_summary

    interactive = sys.stdin.isatty() and not given["auto_approve"]
    options = DeployOptions(
        command=command, out_dir=given["out_dir"], stacks=given["stacks"], environment=given["environment"],
        auto_approve=given["auto_approve"], allow_destroy=given["allow_destroy"],
        override_gate=given["override_gate"], reason=given["reason"], timeout=given["timeout"],
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


@click.command()
@SPEC
@_options
@click.pass_obj
def plan(obj: dict, spec: Path, **given) -> None:
    """Plan every stack (init, plan, show -json, gate) and record the run; nothing is applied.

    \b
    Exit codes: 0 planned, 1 terraform failed (class and evidence shown), 2 usage, 3 gate blocked,
    130 interrupted (Ctrl-C: terraform is sent SIGINT and stops cleanly), 143 SIGTERM (handled like Ctrl-C).
    """
    _run(obj, "plan", spec, **given)


@click.command()
@SPEC
@_options
@click.pass_obj
def deploy(obj: dict, spec: Path, **given) -> None:
    """Synthesize if needed, then per stack in dependency order: init, plan -out, show -json, the compliance
    gate, a state backup, and apply of the saved plan. Transient failures are retried with backoff.

    \b
    Try it locally:   nexus deploy nexus.yaml --sandbox --auto-approve
    In CI:            nexus deploy nexus.yaml --env prod --auto-approve
    History:          nexus runs list

    \b
    Stopping: Ctrl-C or SIGTERM sends terraform SIGINT, so it finishes what is in flight, writes its state and
    releases the lock; after --stop-timeout seconds (or a second Ctrl-C) it is stopped by force, which may lose
    the state of resources in flight. If Nexus is killed (kill -9), terraform gets SIGINT from the kernel (Linux).
    Exit codes: 0 deployed, 1 terraform failed, 2 usage, 3 gate blocked, 130 Ctrl-C, 143 SIGTERM.
    """
    _run(obj, "deploy", spec, **given)


@click.command()
@SPEC
@_options
@click.pass_obj
def destroy(obj: dict, spec: Path, **given) -> None:
    """Destroy every stack (reverse dependency order): plan -destroy, confirmation, state backup, apply."""
    _run(obj, "destroy", spec, **given)

