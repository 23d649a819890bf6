"""Which synths go to the warm worker: NEXUS_SYNTH_WORKER (see the package doc) and the CLI's session.

Light on purpose (no spec model, no CDK): the CLI sets the switch before it imports anything heavy, and
stacks.preload asks it before the spec is read."""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import UsageError

if TYPE_CHECKING:
    from ..spec.loader import LoadedSpec

WORKER_VARIABLE = "NEXUS_SYNTH_WORKER"


def synthesizes_in_this_process() -> bool:
    """True when no worker will be asked: the variable unset (library calls) or `off`."""
    return os.environ.get(WORKER_VARIABLE, "").strip() in ("", "off")


@contextlib.contextmanager
def session(enabled: bool = True) -> Iterator[None]:
    """A CLI command's use of the worker: on unless NEXUS_SYNTH_WORKER already says otherwise, off with
    `enabled=False`; the variable is what the command's children (generate's gate) inherit, restored after."""
    previous = os.environ.get(WORKER_VARIABLE)
    if not enabled:
        os.environ[WORKER_VARIABLE] = "off"
    elif previous is None:
        os.environ[WORKER_VARIABLE] = "on"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(WORKER_VARIABLE, None)
        else:
            os.environ[WORKER_VARIABLE] = previous


def worker_project(loaded: LoadedSpec) -> Path | None:
    """The project whose worker synthesizes LOADED, or None to synthesize in this process (see the package doc).
    `on` pins the project to the first spec's folder: a command's scratch copies (ci's base spec) use its worker."""
    project = project_for(loaded.base_dir)
    if project is not None and os.environ[WORKER_VARIABLE].strip() == "on":
        os.environ[WORKER_VARIABLE] = str(project)
    return project


def project_for(spec_dir: Path) -> Path | None:
    """The project whose worker would synthesize a spec in SPEC_DIR, None in this process; pins nothing."""
    if synthesizes_in_this_process():
        return None
    value = os.environ[WORKER_VARIABLE].strip()
    if value == "on":
        return Path(spec_dir).resolve()
    if os.path.isabs(value):
        return Path(value)
    raise UsageError(f"{WORKER_VARIABLE}={value!r}: expected 'off', 'on' or the absolute path of a project folder")


def pin_project(project: Path) -> None:
    """Under `on`, use PROJECT's worker from now on (and in the children started from now on): for a command
    whose synths run on scratch copies of a spec (generate's repair rounds)."""
    if os.environ.get(WORKER_VARIABLE, "").strip() == "on":
        os.environ[WORKER_VARIABLE] = str(Path(project).resolve())
