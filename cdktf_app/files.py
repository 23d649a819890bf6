"""Writing files so that a failure never leaves half of one behind."""
from __future__ import annotations

import os
from pathlib import Path


def write_atomically(path: Path, text: str, *, private: bool = False) -> None:
    """Write via a temporary file in the same folder, then rename over the target. `private` files (state,
    plans: they hold sensitive values) are readable by their owner only, from the moment they exist."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o666)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(temporary, path)
