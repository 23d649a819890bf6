"""Writing files so that a failure never leaves half of one behind."""
from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def write_atomically(path: Path, text: str, *, private: bool = False) -> None:
    """Write via a temporary file in the same folder, then rename over the target. A symlink is written through
    (its target is replaced, the link stays) and an existing file keeps its mode and, where allowed, its owner.
    `private` files (state, plans: they hold sensitive values) are readable by their owner only, from the moment
    they exist."""
    write_atomically_with(path, lambda handle: handle.write(text.encode("utf-8")), private=private)


def write_atomically_with(path: Path, write: Callable[[BinaryIO], object], *, private: bool = False) -> None:
    """write_atomically for content streamed by WRITE into a binary handle: if WRITE raises, the target is
    untouched and the temporary file removed (an encrypted file that fails to decrypt leaves nothing behind)."""
    path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        existing = os.stat(path)
    except FileNotFoundError:
        existing = None
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
            if existing is not None:
                _keep_mode_and_owner(handle.fileno(), existing, private)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _keep_mode_and_owner(descriptor: int, existing: os.stat_result, private: bool) -> None:
    os.fchmod(descriptor, 0o600 if private else existing.st_mode & 0o7777)
    try:
        os.fchown(descriptor, existing.st_uid, existing.st_gid)
    except PermissionError:  # only root may give a file away; the file is then the writer's
        pass


def private_directory(path: Path) -> Path:
    """A folder only its owner may enter (logs, state backups): created if missing, an existing one tightened."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)
    return path
