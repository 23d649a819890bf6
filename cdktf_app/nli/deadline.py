"""`--max-time`: one deadline for the whole of `nexus generate`, model requests, synth and check included.

The deadline is created once and passed down. Model requests get per-request timeouts from what is left and run
under a watchdog (a server that drips one byte every few seconds keeps every read alive, so read timeouts alone
never fire); synth and check run in a child process group that is killed when the time is up.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

from ..errors import NexusError


class DeadlineExceeded(NexusError):
    """--max-time ran out (the model was too slow, or synth and check of its answer were): nothing is written."""

    exit_code = 1


@dataclass
class Deadline:
    seconds: float
    ends: float = field(init=False)

    def __post_init__(self) -> None:
        self.ends = time.monotonic() + self.seconds

    def remaining(self) -> float:
        return max(0.0, self.ends - time.monotonic())

    def check(self, doing: str) -> float:
        """The seconds left; DeadlineExceeded if there are none."""
        remaining = self.remaining()
        if remaining <= 0:
            raise self.exceeded(doing)
        return remaining

    def exceeded(self, doing: str) -> DeadlineExceeded:
        return DeadlineExceeded(f"deadline: --max-time {self.seconds:g} s ran out while {doing}; nothing was written")


def run_within(command: list[str], deadline: Deadline, doing: str) -> subprocess.CompletedProcess:
    """Run `command` in its own process group; kill the whole group (its children too: node, checkov) when the
    deadline passes or the caller is interrupted."""
    remaining = deadline.check(doing)
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=remaining)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise deadline.exceeded(doing) from None
    except BaseException:
        _kill_group(process)
        raise
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.communicate()
