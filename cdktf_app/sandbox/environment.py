"""The sandbox for `cdktn deploy/destroy` in a project folder: the shell exports `nexus sandbox env` prints, and
the app's side of them (`python -m cdktf_app` under NEXUS_SANDBOX writes the provider override of each stack).

    eval "$(nexus sandbox env)"   # TF_CLI_CONFIG_FILE, AWS_* for the sandbox, NEXUS_SANDBOX=<url>
    cdktn deploy --auto-approve   # the app writes nexus_sandbox_override.tf.json beside each cdk.tf.json
    cdktn destroy --auto-approve  # buckets are force_destroy there, so a bucket holding access logs goes too

Without NEXUS_SANDBOX the app removes any override an earlier sandbox run left, so a plain `cdktn deploy`
never talks to a sandbox by accident (and never to the sandbox's local state).
"""
from __future__ import annotations

import os
import shlex
import socket
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..layout import state_dir as project_state_dir
from ..stacks.synth import SynthResult
from ..tools.terraform import ensure_cli_config
from .provider import CREDENTIAL, remove_provider_override, seed_secrets, write_provider_override
from .server import sandbox_status

SANDBOX_VARIABLE = "NEXUS_SANDBOX"
DEFAULT_REGION = "us-east-1"
START_HINT = "start one with `nexus sandbox up{project}`, then run `eval \"$(nexus sandbox env{project})\"`"


class NoSandbox(UsageError):
    """No sandbox answers where one was expected (exit 2)."""


@dataclass(frozen=True)
class SandboxEnvironment:
    url: str
    variables: dict[str, str]      # in the order they are printed
    notes: tuple[str, ...] = ()

    def exports(self) -> str:
        lines = [f"# {note}" for note in self.notes]
        lines += [f"export {name}={shlex.quote(value)}" for name, value in self.variables.items()]
        return "\n".join(lines) + "\n"


def sandbox_environment(project: Path, region: str | None = None) -> SandboxEnvironment:
    """The exports that point `cdktn deploy/destroy` in `project` at its running sandbox: terraform's provider
    mirror config (when there is a mirror), the AWS SDK's endpoint, test credentials and region, and
    NEXUS_SANDBOX for the app. NoSandbox when none runs."""
    hint = f" --project {shlex.quote(str(project))}" if Path(project).resolve() != Path.cwd().resolve() else ""
    running = sandbox_status(project_state_dir(project))
    if running is None:
        raise NoSandbox(f"no sandbox is running for {project}; " + START_HINT.format(project=hint))
    variables: dict[str, str] = {}
    notes = []
    config = ensure_cli_config(project_state_dir(project))
    if config is not None:
        variables["TF_CLI_CONFIG_FILE"] = str(config)
    else:
        notes.append("no provider mirror found: terraform installs providers from the registry")
    variables.update({"AWS_ENDPOINT_URL": running.url, "AWS_ACCESS_KEY_ID": CREDENTIAL,
                      "AWS_SECRET_ACCESS_KEY": CREDENTIAL, "AWS_REGION": region or DEFAULT_REGION,
                      SANDBOX_VARIABLE: running.url})
    return SandboxEnvironment(running.url, variables, tuple(notes))


def apply_sandbox_setting(result: SynthResult, url: str | None) -> list[Path]:
    """The app path's sandbox setting: with `url` (NEXUS_SANDBOX) every stack gets the override `nexus deploy
    --sandbox` writes and the spec's secrets are seeded; without, overrides left by a sandbox run are removed.
    Returns the overrides written. Refused when a stack is not AWS (no emulator: it would reach the real
    cloud) or nothing answers at `url`."""
    stack_dirs = [result.stack_dir(stack.name) for stack in result.stacks]
    if not url:
        for stack_dir in stack_dirs:
            remove_provider_override(stack_dir)
        return []
    other = [f"{stack.name} ({stack.provider})" for stack in result.stacks if stack.provider != "aws"]
    if other:
        raise UsageError(f"{SANDBOX_VARIABLE} is set, but the sandbox is AWS only: {', '.join(other)} would reach "
                         f"the real cloud; unset {SANDBOX_VARIABLE}, or deploy the AWS stacks with "
                         "`nexus deploy --sandbox`")
    if not _listening(url):
        raise NoSandbox(f"{SANDBOX_VARIABLE}={url}: no sandbox answers there; "
                        + START_HINT.format(project=""))
    seed_secrets(url, result.loaded)
    return [write_provider_override(stack_dir, url) for stack_dir in stack_dirs]


def _listening(url: str, timeout: float = 3.0) -> bool:
    """Something accepts connections at `url` (moto's data dump, what server.answers reads, takes seconds once
    the sandbox holds data; terraform finds out the rest)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    try:
        with socket.create_connection((parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)),
                                      timeout=timeout):
            return True
    except (OSError, ValueError):
        return False


def sandbox_url_setting() -> str | None:
    return os.environ.get(SANDBOX_VARIABLE, "").strip() or None
