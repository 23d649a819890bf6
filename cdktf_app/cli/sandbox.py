"""`nexus sandbox up | down | status`: one local AWS sandbox (moto on 127.0.0.1) for a session."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .options import chosen_format, output_format_option

PROJECT = click.option("--project", type=click.Path(file_okay=False, path_type=Path, resolve_path=True),
                       default=Path("."), show_default=True,
                       help="Project folder; the sandbox is recorded in its .nexus/sandbox.json.")
OUTPUTS = ("text", "json")
OUTPUT = output_format_option(OUTPUTS, "text", "text for people, json for machines.")


def _describe(sandbox, as_json: bool, state: str) -> None:
    if as_json:
        click.echo(json.dumps({"state": state, **({"url": sandbox.url, "pid": sandbox.pid, "port": sandbox.port,
                                                   "log_file": sandbox.log_file} if sandbox else {})},
                              sort_keys=True))
    elif sandbox:
        click.echo(f"sandbox {state}: {sandbox.url} (pid {sandbox.pid}, log {sandbox.log_file})")
    else:
        click.echo(f"sandbox {state}")


@click.group()
def sandbox() -> None:
    """A local AWS (moto server) that `nexus deploy --sandbox` uses while it runs.

    \b
      nexus sandbox up
      nexus deploy nexus.yaml --sandbox --auto-approve
      nexus sandbox down
    \b
    With the cdktn CLI in a project made by `nexus init`:
      nexus sandbox up
      eval "$(nexus sandbox env)"
      cdktn deploy --auto-approve --skip-provider-lock
    """


@sandbox.command("up")
@PROJECT
@OUTPUT
@click.pass_obj
def sandbox_up(obj: dict, project: Path, output_format: str | None) -> None:
    """Start a sandbox on a free port of 127.0.0.1 (or report the one already running)."""
    as_json = chosen_format(obj, output_format, "text", OUTPUTS) == "json"
    from ..sandbox import sandbox_status, start_sandbox

    state_dir = project / ".nexus"
    running = sandbox_status(state_dir)
    if running:
        _describe(running, as_json, "already running")
        return
    _describe(start_sandbox(state_dir), as_json, "running")


@sandbox.command("down")
@PROJECT
@OUTPUT
@click.pass_obj
def sandbox_down(obj: dict, project: Path, output_format: str | None) -> None:
    """Stop the recorded sandbox (its data is gone with it), and any sandbox a `--sandbox` command started for
    itself and left running when it was killed."""
    as_json = chosen_format(obj, output_format, "text", OUTPUTS) == "json"
    from ..sandbox import stop_orphans, stop_sandbox

    stopped = stop_sandbox(project / ".nexus")
    orphans = stop_orphans(project / ".nexus")
    if as_json:
        click.echo(json.dumps({"state": "stopped" if stopped else "not running",
                               **({"url": stopped.url, "pid": stopped.pid, "port": stopped.port,
                                   "log_file": stopped.log_file} if stopped else {}),
                               **({"orphans": [{"url": o.url, "pid": o.pid, "left_by": o.owner_pid}
                                               for o in orphans]} if orphans else {})}, sort_keys=True))
        return
    _describe(stopped, False, "stopped" if stopped else "not running")
    for orphan in orphans:
        click.echo(f"stopped an orphaned sandbox: {orphan.url} (pid {orphan.pid}, started by nexus pid "
                   f"{orphan.owner_pid}, which is gone)")


@sandbox.command("status")
@PROJECT
@OUTPUT
@click.pass_obj
def sandbox_status_command(obj: dict, project: Path, output_format: str | None) -> None:
    """Is a sandbox running, and where? Exit 0 either way; `state` says which."""
    as_json = chosen_format(obj, output_format, "text", OUTPUTS) == "json"
    from ..sandbox import sandbox_status

    running = sandbox_status(project / ".nexus")
    _describe(running, as_json, "running" if running else "not running")


@sandbox.command("env")
@PROJECT
@OUTPUT
@click.pass_obj
def sandbox_env(obj: dict, project: Path, output_format: str | None) -> None:
    """Print the shell exports that point `cdktn deploy/destroy` at the running sandbox.

    \b
    TF_CLI_CONFIG_FILE (the provider mirror config, when there is a mirror), AWS_ENDPOINT_URL, test
    credentials, AWS_REGION (the spec's, else us-east-1) and NEXUS_SANDBOX, which makes the app (cdktf.json)
    write the sandbox provider override beside each stack, buckets force_destroy. Use: eval "$(nexus sandbox
    env)". Exit 2 when no sandbox is running.
    """
    as_json = chosen_format(obj, output_format, "text", OUTPUTS) == "json"
    from ..sandbox.environment import sandbox_environment

    environment = sandbox_environment(project, _spec_region(project))
    if as_json:
        click.echo(json.dumps({"url": environment.url, "variables": environment.variables,
                               "notes": list(environment.notes)}, sort_keys=True))
    else:
        click.echo(environment.exports(), nl=False)


def _spec_region(project: Path) -> str | None:
    """The AWS region of the project's nexus.yaml, when it has one."""
    from ..spec import load_spec

    spec = project / "nexus.yaml"
    aws = load_spec(spec).spec.providers.aws if spec.is_file() else None
    return aws.region if aws else None
