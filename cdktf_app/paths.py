"""Where Nexus finds its own data (modules, blueprints, compliance) and keeps its state."""
from __future__ import annotations

from pathlib import Path


def repo_root() -> Path:
    """The project root: the data folders sit beside the `cdktf_app` package (editable install)."""
    return Path(__file__).resolve().parent.parent
