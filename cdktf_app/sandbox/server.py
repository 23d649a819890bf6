"""The moto server process: started on a free port of 127.0.0.1, recorded in `.nexus/sandbox.json`, stopped.

The state file lets `nexus sandbox up` in one shell and `nexus deploy --sandbox` or `nexus sandbox down` in
another find the same server. A recorded server is trusted only while its process is alive and is the
sandbox's moto server; anything else is a stale record and is removed.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import ToolError

HOST = "127.0.0.1"
STATE_FILE = "sandbox.json"
LOG_FILE = "sandbox.log"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Sandbox:
    pid: int
    port: int
    started_at: float
    log_file: str
    host: str = HOST

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def answers(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def start_sandbox(state_dir: Path, *, record: bool = True) -> Sandbox:
    """Start a moto server and wait until it answers; `record` writes the state file for other commands."""
    state_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = state_dir / LOG_FILE
    with open(log_path, "ab") as log:
        process = subprocess.Popen([sys.executable, "-m", "cdktf_app.sandbox.moto_gaps", "-H", HOST, "-p", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    sandbox = Sandbox(pid=process.pid, port=port, started_at=time.time(), log_file=str(log_path))
    deadline = time.monotonic() + READY_TIMEOUT
    while not answers(sandbox.url, timeout=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            _terminate(process.pid)
            tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-5:]
            raise ToolError("the moto sandbox did not start on "
                            f"{sandbox.url} within {READY_TIMEOUT:.0f}s:\n  " + "\n  ".join(tail))
        time.sleep(0.2)
    if record:
        _write_state(state_dir, sandbox)
    return sandbox


def sandbox_status(state_dir: Path) -> Sandbox | None:
    """The recorded sandbox if its process is alive and is our moto server; a stale record is removed."""
    path = state_dir / STATE_FILE
    try:
        sandbox = Sandbox(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if _is_moto(sandbox.pid):  # alive; a busy server may answer slowly, so its record stays
        return sandbox
    path.unlink(missing_ok=True)
    return None


def stop_sandbox(state_dir: Path, sandbox: Sandbox | None = None) -> Sandbox | None:
    """Stop the given sandbox (or the recorded one); returns what was stopped, None if nothing ran."""
    recorded = sandbox_status(state_dir)
    target = sandbox or recorded
    if target is None:
        return None
    if _is_moto(target.pid):
        _terminate(target.pid)
    if recorded and recorded.pid == target.pid:
        (state_dir / STATE_FILE).unlink(missing_ok=True)
    return target


def _write_state(state_dir: Path, sandbox: Sandbox) -> None:
    from ..cli.main import write_atomically

    write_atomically(state_dir / STATE_FILE, json.dumps(asdict(sandbox), indent=2, sort_keys=True) + "\n")


def _is_moto(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"cdktf_app.sandbox.moto_gaps" in command


def _terminate(pid: int) -> None:
    """SIGTERM the server's process group, then SIGKILL if it has not gone within STOP_TIMEOUT."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not _alive(pid):
                return
            time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


@contextmanager
def sandbox_session(state_dir: Path, keep: bool = False) -> Iterator[Sandbox]:
    """The recorded sandbox if one runs (left running), else a new one, stopped afterwards unless `keep`."""
    running = sandbox_status(state_dir)
    if running:
        yield running
        return
    sandbox = start_sandbox(state_dir, record=keep)
    try:
        yield sandbox
    finally:
        if not keep:
            stop_sandbox(state_dir, sandbox)
