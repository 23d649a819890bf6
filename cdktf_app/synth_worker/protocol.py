"""What the synth worker and its clients share: where the socket is, the key that says which code a worker runs,
and the frames they exchange (a length, then a pickle: only the same user can reach the socket, and each end
checks that the other is that user before reading a byte of it)."""
from __future__ import annotations

import hashlib
import os
import pickle
import socket
import struct
import sys
from pathlib import Path

from .. import __version__
from ..files import private_directory
from ..layout import state_dir

WORKER_DIR = "synth-worker"
SOCKET_NAME = "socket"
LOCK_NAME = "lock"
LOG_NAME = "log"
_LENGTH = struct.Struct("!Q")


def worker_dir(project: Path) -> Path:
    """`.nexus/synth-worker/` of the project, owner-only (0700)."""
    state = state_dir(project)
    state.mkdir(parents=True, exist_ok=True)
    return private_directory(state / WORKER_DIR)


def worker_key() -> str:
    """Everything a worker's output depends on besides the request: Nexus' version and code, the binding versions
    and the Python running it (the synth cache key hashes the same)."""
    from ..stacks.cache import binding_versions, code_digest   # here: the cache module imports the spec model

    digest = hashlib.sha256(__version__.encode() + b"\0" + code_digest() + b"\0" + sys.executable.encode())
    digest.update("\n".join(binding_versions()).encode())
    return digest.hexdigest()


def peer_uid_and_pid(connection: socket.socket) -> tuple[int, int]:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _ = struct.unpack("3i", credentials)
    return uid, pid


def same_user(connection: socket.socket) -> bool:
    return peer_uid_and_pid(connection)[0] == os.geteuid()


def send(connection: socket.socket, message: object) -> None:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    connection.sendall(_LENGTH.pack(len(payload)) + payload)


def receive(connection: socket.socket) -> object:
    """One message; EOFError when the peer closed (or died) before a whole one arrived."""
    (length,) = _LENGTH.unpack(_read_exactly(connection, _LENGTH.size))
    return pickle.loads(_read_exactly(connection, length))


def _read_exactly(connection: socket.socket, size: int) -> bytes:
    chunks, remaining = [], size
    while remaining:
        chunk = connection.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("the peer closed the connection")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)
