"""The --max-time deadline: a child process group is killed whole when the time is up."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from cdktf_app.nli.deadline import Deadline, DeadlineExceeded, run_within

MARKER = "31.4159"  # a sleep length no one else uses, to find the processes again


def sleepers() -> list[str]:
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().split(b"\0")[:2] == [b"sleep", MARKER.encode()]:
                found.append(cmdline.parent.name)
        except OSError:
            pass
    return found


def test_the_whole_process_group_is_killed_at_the_deadline():
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match=r"--max-time 1 s ran out while sleeping; nothing was written"):
        run_within(["sh", "-c", f"sleep {MARKER} & sleep {MARKER}"], Deadline(1), "sleeping")
    assert time.monotonic() - started < 2
    time.sleep(0.2)  # the grandchild is reaped by init
    assert sleepers() == []


def test_a_command_that_finishes_in_time_returns_its_output():
    finished = run_within([sys.executable, "-c", "print('done')"], Deadline(30), "printing")
    assert (finished.returncode, finished.stdout) == (0, "done\n")


def test_nothing_starts_once_the_deadline_has_passed():
    deadline = Deadline(0.01)
    time.sleep(0.02)
    with pytest.raises(DeadlineExceeded):
        run_within(["sh", "-c", f"sleep {MARKER}"], deadline, "sleeping")
    assert sleepers() == []
