"""The moto server process: started on a free port of 127.0.0.1, recorded in `.nexus/sandbox.json`, stopped.

The state file lets `nexus sandbox up` in one shell and `nexus deploy --sandbox` or `nexus sandbox down` in
another find the same server. A recorded server is trusted only while its process is alive and is the
sandbox's moto server on the recorded port; anything else is a stale record and is removed.

A server started for one command (`deploy --sandbox` without `sandbox up`) is recorded too, from the moment it
is spawned, in `.nexus/sandboxes/<pid>.json` with the command's pid and start time as its owner: if that
command dies without stopping it (kill -9), `nexus sandbox down` or the next `--sandbox` run stops the orphan.
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
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from ..errors import ToolError
from ..files import write_atomically
from ..layout import SANDBOX_LOG, SANDBOX_OWNED_DIR, SANDBOX_RECORD

HOST = "127.0.0.1"
STATE_FILE, OWNED_DIR, LOG_FILE = SANDBOX_RECORD, SANDBOX_OWNED_DIR, SANDBOX_LOG
MODULE = "cdktf_app.sandbox.moto_gaps"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Sandbox:
    pid: int
    port: int
    started_at: float
    log_file: str
    host: str = HOST
    owner_pid: int | None = None  # the command that started it for itself, with that process's start time
    owner_started: int | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def answers(url: str, timeout: float = 2.0) -> bool:
    direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via HTTP(S)_PROXY
    try:
        with direct.open(f"{url}/moto-api/data.json", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):
        return False


def start_sandbox(state_dir: Path, *, record: bool = True) -> Sandbox:
    """Start a moto server and wait until it answers; `record` writes the state file for other commands,
    otherwise the server is recorded as this process's own (see the module's docstring)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = state_dir / LOG_FILE
    # The server's log holds request bodies (seeded secrets among them): owner-only.
    with os.fdopen(os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab") as log:
        os.fchmod(log.fileno(), 0o600)
        process = subprocess.Popen([sys.executable, "-m", MODULE, "-H", HOST, "-p", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                   start_new_session=True)
    sandbox = Sandbox(pid=process.pid, port=port, started_at=time.time(), log_file=str(log_path),
                      owner_pid=os.getpid(), owner_started=_process_started(os.getpid()))
    _write_owned(state_dir, sandbox)
    deadline = time.monotonic() + READY_TIMEOUT
    while not answers(sandbox.url, timeout=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            _terminate(process.pid)
            _owned_record(state_dir, sandbox).unlink(missing_ok=True)
            tail = log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-5:]
            raise ToolError("the moto sandbox did not start on "
                            f"{sandbox.url} within {READY_TIMEOUT:.0f}s:\n  " + "\n  ".join(tail))
        time.sleep(0.2)
    if not record:
        return sandbox
    shared = replace(sandbox, owner_pid=None, owner_started=None)
    _write_state(state_dir, shared)
    _owned_record(state_dir, sandbox).unlink(missing_ok=True)
    return shared


def sandbox_status(state_dir: Path) -> Sandbox | None:
    """The recorded sandbox if its process is alive and is our moto server; a stale record is removed."""
    path = state_dir / STATE_FILE
    try:
        sandbox = Sandbox(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    if _is_moto(sandbox):  # alive; a busy server may answer slowly, so its record stays
        return sandbox
    path.unlink(missing_ok=True)
    return None


def stop_sandbox(state_dir: Path, sandbox: Sandbox | None = None) -> Sandbox | None:
    """Stop the given sandbox (or the recorded one); returns what was stopped, None if nothing ran."""
    recorded = sandbox_status(state_dir)
    target = sandbox or recorded
    if target is None:
        return None
    if _is_moto(target):
        _terminate(target.pid)
    if recorded and recorded.pid == target.pid:
        (state_dir / STATE_FILE).unlink(missing_ok=True)
    _owned_record(state_dir, target).unlink(missing_ok=True)
    return target


def stop_orphans(state_dir: Path) -> list[Sandbox]:
    """Stop the servers commands started for themselves and left behind (their owner is gone); records of
    servers that are gone are removed. A server whose owner still runs is left alone."""
    stopped = []
    for path in sorted((state_dir / OWNED_DIR).glob("*.json")):
        try:
            sandbox = Sandbox(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            path.unlink(missing_ok=True)
            continue
        owner = sandbox.owner_pid
        if owner is not None and _alive(owner) and _process_started(owner) == sandbox.owner_started:
            continue
        if _is_moto(sandbox):
            _terminate(sandbox.pid)
            stopped.append(sandbox)
        path.unlink(missing_ok=True)
    return stopped


def _owned_record(state_dir: Path, sandbox: Sandbox) -> Path:
    return state_dir / OWNED_DIR / f"{sandbox.pid}.json"


def _write_state(state_dir: Path, sandbox: Sandbox) -> None:
    write_atomically(state_dir / STATE_FILE, json.dumps(asdict(sandbox), indent=2, sort_keys=True) + "\n")


def _write_owned(state_dir: Path, sandbox: Sandbox) -> None:
    write_atomically(_owned_record(state_dir, sandbox), json.dumps(asdict(sandbox), sort_keys=True) + "\n")


def _is_moto(sandbox: Sandbox) -> bool:
    """Is the recorded pid (still) the sandbox's moto server on the recorded port, not a reused pid?"""
    try:
        command = Path(f"/proc/{sandbox.pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return MODULE.encode() in command and b"-p" in command and str(sandbox.port).encode() in command


def _process_started(pid: int) -> int | None:
    """When a process started (clock ticks after boot, /proc/<pid>/stat field 22): a pid with another start
    time is another process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return int(fields[19])


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
    stop_orphans(state_dir)
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
