"""The command's side of the synth worker: find the project's worker (start it when none runs), send it a synth,
and give synth its answer, or None whenever the worker cannot give one (synth then runs in this process)."""
from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from .protocol import LOCK_NAME, LOG_NAME, SOCKET_NAME, peer_uid_and_pid, receive, send, worker_dir, worker_key
from .switch import worker_project

if TYPE_CHECKING:
    from ..spec.loader import LoadedSpec

START_TIMEOUT = 120.0       # a new worker starts Node and loads the CDK core before it answers
SYNTH_TIMEOUT = 600.0       # then the worker is killed and the command synthesizes by itself
HELLO_TIMEOUT = 10.0
_started: list[subprocess.Popen] = []   # reaped as new ones start (a long `nexus watch` may start several)
_early: dict[Path, tuple[subprocess.Popen, IO]] = {}   # folder -> the worker start_early began, and the lock held


class WorkerUnavailable(Exception):
    """The worker gave no answer; the reason is logged and synth runs in the command's process."""


@dataclass(frozen=True)
class WorkerStatus:
    pid: int
    key: str
    synths: int


def synthesize_in_worker(loaded: LoadedSpec, scratch_dir: Path, out_dir: Path, spec_label: str, cache_key: str,
                         unsafe: Iterable) -> tuple[list, object] | None:
    """The stacks and provenance the project's worker wrote into SCRATCH_DIR (as stacks.synth.write_app does), or
    None: no worker for this command, or it could not answer (logged in .nexus/synth-worker/log)."""
    project = worker_project(loaded)
    if project is None:
        return None
    try:
        folder = worker_dir(project)
    except OSError:
        return None
    request = {"op": "synth", "key": worker_key(), "loaded": loaded, "scratch_dir": str(scratch_dir),
               "out_dir": str(Path(out_dir).resolve()), "spec_label": spec_label, "cache_key": cache_key,
               "unsafe": list(unsafe), "environ": dict(os.environ), "cwd": os.getcwd()}
    for _ in range(2):  # a stale worker answers `stale` and exits; the second round starts a current one
        try:
            reply = _ask(folder, request, SYNTH_TIMEOUT, start=True)
        except WorkerUnavailable as error:
            _log(folder, f"synthesized in the command's process: {error}")
            return None
        if reply["status"] == "ok":
            return reply["stacks"], reply["provenance"]
        if reply["status"] != "stale":
            _log(folder, f"synthesized in the command's process: the worker failed: {reply.get('error')}")
            return None
    return None


def worker_status(project: Path) -> WorkerStatus | None:
    """The project's running worker, or None; never starts one."""
    try:
        reply = _ask(worker_dir(project), {"op": "hello"}, HELLO_TIMEOUT, start=False)
    except (WorkerUnavailable, OSError):
        return None
    return WorkerStatus(pid=reply["pid"], key=reply["key"], synths=reply["synths"])


def stop_worker(project: Path) -> bool:
    """Ask the project's worker to exit; False when none was running."""
    try:
        _ask(worker_dir(project), {"op": "stop"}, HELLO_TIMEOUT, start=False)
    except (WorkerUnavailable, OSError):
        return False
    return True


def _ask(folder: Path, request: dict, timeout: float, *, start: bool) -> dict:
    connection = _connect(folder) or (_connect_or_start(folder) if start else None)
    _release_early_start(folder)
    if connection is None:
        raise WorkerUnavailable("no worker is running")
    with connection:
        _, pid = peer_uid_and_pid(connection)
        connection.settimeout(timeout)
        try:
            send(connection, request)
            return receive(connection)
        except (TimeoutError, socket.timeout):
            _kill(pid)
            raise WorkerUnavailable(f"the worker (pid {pid}) gave no answer within {timeout:.0f}s; killed it") from None
        except (EOFError, OSError) as error:
            raise WorkerUnavailable(f"the worker (pid {pid}) died before it answered ({error})") from None


def _connect(folder: Path) -> socket.socket | None:
    """A connection to the worker listening in FOLDER, None when none listens. The path goes through the folder's
    descriptor: a socket path is limited to 107 bytes, a project's path is not."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.settimeout(HELLO_TIMEOUT)
        connection.connect(f"/proc/self/fd/{descriptor}/{SOCKET_NAME}")
    except (FileNotFoundError, ConnectionRefusedError):
        connection.close()
        return None
    except OSError as error:
        connection.close()
        raise WorkerUnavailable(f"cannot reach the worker's socket: {error}") from None
    finally:
        os.close(descriptor)
    if peer_uid_and_pid(connection)[0] != os.geteuid():
        connection.close()
        raise WorkerUnavailable("the worker's socket belongs to another user")
    return connection


def _connect_or_start(folder: Path) -> socket.socket:
    """Under the folder's lock, so that two commands starting at once start one worker; the worker this command
    began early (its lock still held) is waited for, not started again."""
    early = _early.pop(folder, None)
    if early is not None:
        process, lock = early
        with lock:
            return _connect(folder) or _wait_for_start(folder, process)
    with open(folder / LOCK_NAME, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _connect(folder) or _wait_for_start(folder, _spawn(folder, ()))


def start_early(project: Path, bindings: Iterable[str]) -> bool:
    """For a command that is about to synthesize in PROJECT's worker (`nexus synth`, first thing): when none is
    running, start it now, and have it load BINDINGS once it listens, so that its start and that load run while
    the command still reads the spec. The start lock stays held until the command connects (or exits): a second
    command starting meanwhile waits for this worker instead of starting its own. True when it started one."""
    try:
        folder = worker_dir(project)
        lock = open(folder / LOCK_NAME, "a")
    except OSError:
        return False
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        running = _connect(folder)
        if running is None:
            _early[folder] = (_spawn(folder, tuple(bindings)), lock)
            return True
        running.close()
    except (OSError, WorkerUnavailable):   # another command holds the lock, or the socket is not usable
        pass
    lock.close()
    return False


def _release_early_start(folder: Path) -> None:
    early = _early.pop(folder, None)
    if early is not None:
        early[1].close()


def _spawn(folder: Path, bindings: tuple[str, ...]) -> subprocess.Popen:
    _started[:] = [process for process in _started if process.poll() is None]
    log = os.open(folder / LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        # Its own session: Ctrl-C in the terminal stops the command, not the worker other commands will use.
        # -O: the bindings type-check every argument under `__debug__` only (typeguard); Nexus passes them typed
        # values, and without the checks a warm synth of 2,000 resources takes ~0.65x the time, same bytes.
        process = subprocess.Popen([sys.executable, "-O", "-m", "cdktf_app.synth_worker.server", str(folder),
                                    *bindings], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                   start_new_session=True)
    finally:
        os.close(log)
    _started.append(process)
    return process


def _wait_for_start(folder: Path, process: subprocess.Popen) -> socket.socket:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        connection = _connect(folder)
        if connection is not None:
            return connection
        if process.poll() is not None:
            raise WorkerUnavailable(f"the worker exited with {process.returncode} while starting")
        time.sleep(0.05)
    _kill(process.pid)
    raise WorkerUnavailable(f"the worker did not start within {START_TIMEOUT:.0f}s; killed it")


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _log(folder: Path, line: str) -> None:
    with contextlib.suppress(OSError), open(os.open(folder / LOG_NAME, os.O_WRONLY | os.O_CREAT | os.O_APPEND,
                                                   0o600), "a", encoding="utf-8") as log:
        log.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} client {os.getpid()}: {line}\n")
