"""SVG: the DOT rendering laid out by Graphviz's `dot -Tsvg` (a system package: scripts/setup installs it)."""
from __future__ import annotations

import shutil
import subprocess

from ..errors import ToolError
from .dot import render_dot
from .graph import Graph

DOT_TIMEOUT_SECONDS = 120
INSTALL_HINT = ("install Graphviz (apt-get install graphviz, brew install graphviz), or write --output dot and "
                "render it elsewhere, or --output html for an interactive page")


def render_svg(graph: Graph) -> str:
    binary = shutil.which("dot")
    if binary is None:
        raise ToolError(f"SVG is drawn by Graphviz's `dot`, which is not on PATH: {INSTALL_HINT}")
    try:
        answer = subprocess.run([binary, "-Tsvg"], input=render_dot(graph), capture_output=True, text=True,
                                timeout=DOT_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        raise ToolError(f"Graphviz `dot -Tsvg` did not finish in {DOT_TIMEOUT_SECONDS}s; {INSTALL_HINT}") from None
    if answer.returncode != 0:
        detail = (answer.stderr.strip().splitlines() or ["no message"])[-1]
        raise ToolError(f"Graphviz `dot -Tsvg` failed (exit {answer.returncode}): {detail}")
    return answer.stdout
