"""Where Nexus finds its own data (modules, blueprints, compliance) and keeps its state."""
from __future__ import annotations

import os
from pathlib import Path


def repo_root() -> Path:
    """The project root: the data folders sit beside the `cdktf_app` package (editable install)."""
    return Path(__file__).resolve().parent.parent


def compliance_dir() -> Path:
    """Packs, checks and fixes: `<repo>/compliance`, or NEXUS_COMPLIANCE_DIR."""
    configured = os.environ.get("NEXUS_COMPLIANCE_DIR")
    return Path(configured) if configured else repo_root() / "compliance"


def user_cache_dir() -> Path:
    """Nexus's per-user cache (unpacked bindings, derived provider schemas): `$XDG_CACHE_HOME/nexus`, default
    `~/.cache/nexus`."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "nexus"
