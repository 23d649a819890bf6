"""The import graph of `cdktf_app` has floors (README, Layout): every import, function-level ones included, points
to its own floor or one below, and no module reaches itself through imports."""
from __future__ import annotations

import ast
from pathlib import Path

import cdktf_app

PACKAGE = Path(cdktf_app.__file__).parent

# Bottom to top. A module's floor is that of its longest listed prefix (`cdktf_app.spec` covers spec/*; the
# package itself, `cdktf_app`, covers only its __init__).
FLOORS = [
    ("base", ["cdktf_app", "cdktf_app.errors", "cdktf_app.paths", "cdktf_app.files", "cdktf_app.sensitive",
              "cdktf_app.layout", "cdktf_app.crypto", "cdktf_app.lazy_exports"]),
    ("spec", ["cdktf_app.spec", "cdktf_app.hcl_modules", "cdktf_app.data_files", "cdktf_app.dr",
              "cdktf_app.secret_catalog"]),
    ("kit", ["cdktf_app.kit"]),
    ("components", ["cdktf_app.components"]),
    ("stacks", ["cdktf_app.stacks", "cdktf_app.synth_worker"]),
    ("readers and runners", ["cdktf_app.inventory", "cdktf_app.tools", "cdktf_app.healing", "cdktf_app.runs",
                             "cdktf_app.sandbox", "cdktf_app.provider_schema", "cdktf_app.rest"]),
    ("workspace", ["cdktf_app.workspace"]),
    ("services", ["cdktf_app.compliance", "cdktf_app.visualize", "cdktf_app.cost", "cdktf_app.blueprints",
                  "cdktf_app.insights"]),
    ("policy", ["cdktf_app.build", "cdktf_app.nli", "cdktf_app.deploy", "cdktf_app.project", "cdktf_app.drift",
                "cdktf_app.optimize", "cdktf_app.bundle", "cdktf_app.review", "cdktf_app.watch"]),
    ("release", ["cdktf_app.release"]),
    ("pipelines", ["cdktf_app.ci"]),
    ("entry points", ["cdktf_app.cli", "cdktf_app.__main__"]),
]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The package's modules NAME imports anywhere in its body (`from . import x` names module x)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source.split(".")[0] != "cdktf_app":
                continue
            submodules = {f"{source}.{alias.name}" for alias in node.names} & MODULES.keys()
            found |= submodules or {source}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "cdktf_app"}
    return {imported for imported in found if imported != name}


GRAPH = {name: imports_of(name) for name in MODULES}


def floor_of(name: str) -> int:
    matches = [(len(prefix), index) for index, (_, prefixes) in enumerate(FLOORS) for prefix in prefixes
               if name == prefix or (prefix != "cdktf_app" and name.startswith(prefix + "."))]
    assert matches, f"{name} is on no floor: add it to FLOORS and to the README's Layout section"
    return max(matches)[1]


def test_every_module_is_on_a_floor_and_imports_only_its_floor_or_below():
    climbing = [f"{name} ({FLOORS[floor_of(name)][0]}) imports {imported} ({FLOORS[floor_of(imported)][0]})"
                for name, imported_set in GRAPH.items() for imported in sorted(imported_set)
                if floor_of(imported) > floor_of(name)]
    assert climbing == []


def test_no_import_circle():
    state: dict[str, str] = {}
    circles = []

    def visit(name: str, trail: list[str]) -> None:
        state[name] = "open"
        for imported in sorted(GRAPH[name]):
            if imported not in GRAPH:
                continue
            if state.get(imported) == "open":
                circles.append(" -> ".join(trail[trail.index(imported):] + [imported]))
            elif imported not in state:
                visit(imported, trail + [imported])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert circles == []


def test_the_walker_sees_function_level_and_relative_imports():
    """The walk is not vacuous: a known function-level import and a known relative one are edges."""
    assert "cdktf_app.components.registry" in GRAPH["cdktf_app.stacks.app"]      # inside build_app's helper
    assert "cdktf_app.kit.provenance" in GRAPH["cdktf_app.kit.context"]          # `from .provenance import`
