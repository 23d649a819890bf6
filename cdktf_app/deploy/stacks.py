"""Which stacks a run touches, in dependency order (cdktn's manifest) and filtered by --env / --stack."""
from __future__ import annotations

import difflib
import json
from pathlib import Path

from ..errors import UsageError
from ..layout import CDK_MANIFEST
from ..stacks.app import StackInfo


def dependency_order(out_dir: Path, stacks: list[StackInfo]) -> list[StackInfo]:
    """Stacks after the stacks they depend on; otherwise in synth order."""
    try:
        manifest = json.loads((out_dir / CDK_MANIFEST).read_text(encoding="utf-8")).get("stacks", {})
    except (OSError, ValueError):
        manifest = {}
    by_name = {stack.name: stack for stack in stacks}
    ordered: list[StackInfo] = []

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in path:
            raise UsageError(f"stacks depend on each other in a cycle: {' -> '.join(path + (name,))}")
        if name not in by_name or by_name[name] in ordered:
            return
        for dependency in manifest.get(name, {}).get("dependencies", []):
            visit(dependency, path + (name,))
        ordered.append(by_name[name])

    for stack in stacks:
        visit(stack.name, ())
    return ordered


def select_stacks(stacks: list[StackInfo], names: tuple[str, ...], environment: str | None) -> list[StackInfo]:
    known = [stack.name for stack in stacks]
    for name in names:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            raise UsageError(f"no stack named '{name}'" + (f" (did you mean '{close[0]}'?)" if close else "")
                             + f"; stacks: {', '.join(known)}")
    environments = sorted({stack.environment for stack in stacks})
    if environment and environment not in environments:
        raise UsageError(f"no environment '{environment}'; the spec has {', '.join(environments)}")
    return [stack for stack in stacks
            if (not names or stack.name in names) and (not environment or stack.environment == environment)]
