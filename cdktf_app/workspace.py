"""What `nexus check` can be pointed at, and how each kind becomes files for checkov plus a provenance map.

A spec is synthesized first (cache-aware); an out dir is read as it is; a lone `cdk.tf.json` or a
`terraform show -json` plan is mapped to the spec through the out dir it sits in, or the one given by `spec=`.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError
from ..spec.loader import LoadedSpec, load_spec
from ..kit.provenance import Provenance
from ..layout import NEXUS_MANIFEST, PROVENANCE_FILE, current_stack_files, read_manifest
from ..stacks.synth import synth

SPEC_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class ScanFile:
    stack: str | None
    path: Path


@dataclass
class ScanTarget:
    kind: str                                   # spec | out_dir | stack_json | plan
    files: list[ScanFile]
    framework: str = "terraform_json"
    out_dir: Path | None = None
    provenance: Provenance | None = None
    loaded: LoadedSpec | None = None
    notes: list[str] = field(default_factory=list)


def resolve_target(target: str | Path, *, spec: str | Path | None = None, out_dir: str | Path | None = None,
                   stack: str | None = None, allow_unsafe_overrides: tuple[str, ...] = ()) -> ScanTarget:
    """`allow_unsafe_overrides`: the unsafe overrides a spec may synthesize with (see stacks.synth)."""
    target = Path(target)
    if not target.exists():
        raise UsageError(f"{target}: no such file or directory (expected a spec, a synth out dir, a cdk.tf.json "
                         "or a `terraform show -json` plan)")
    if target.is_dir():
        return _out_dir_target(target, stack)
    if target.suffix in SPEC_SUFFIXES:
        return _spec_target(load_spec(target), Path(out_dir) if out_dir else target.parent / "cdktf.out", stack,
                            allow_unsafe_overrides)
    if target.suffix == ".json":
        document = _read_json(target)
        if "resource_changes" in document or "planned_values" in document:
            return _plan_target(target, document, spec, stack, allow_unsafe_overrides)
        return _stack_json_target(target, spec, allow_unsafe_overrides)
    raise UsageError(f"{target}: expected a spec (.yaml), a synth out dir, a cdk.tf.json or a plan (.json)")


def _read_json(path: Path) -> dict:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UsageError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(document, dict):
        raise UsageError(f"{path}: expected a JSON object (a cdk.tf.json or a terraform plan)")
    return document


def _spec_target(loaded: LoadedSpec, out_dir: Path, stack: str | None,
                 allow_unsafe_overrides: tuple[str, ...]) -> ScanTarget:
    result = synth(loaded, out_dir, allow_unsafe_overrides=allow_unsafe_overrides)
    target = _out_dir_target(result.out_dir, stack, loaded)
    target.kind = "spec"
    return target


def _out_dir_target(out_dir: Path, stack: str | None, loaded: LoadedSpec | None = None) -> ScanTarget:
    """The stacks of an out dir; `loaded` is the spec they came from when the caller has it already loaded."""
    stacks_dir = out_dir / "stacks"
    if not stacks_dir.is_dir():
        raise UsageError(f"{out_dir}: not a synth output (no stacks/ folder); run `nexus synth` first")
    files = [ScanFile(path.parent.name, path) for path in current_stack_files(out_dir)
             if stack is None or path.parent.name == stack]
    if not files:
        known = ", ".join(sorted(path.name for path in stacks_dir.iterdir() if path.is_dir()))
        raise UsageError(f"{out_dir}: no stack '{stack}' (stacks: {known or 'none'})" if stack
                         else f"{out_dir}: no stacks to check")
    return ScanTarget("out_dir", files, out_dir=out_dir, provenance=_provenance(out_dir),
                      loaded=loaded or _spec_of(out_dir), notes=_unsafe_override_notes(out_dir))


def _unsafe_override_notes(out_dir: Path) -> list[str]:
    """The unsafe overrides the out dir was synthesized with (recorded in nexus.json): a report shows them."""
    manifest = read_manifest(out_dir) or {}
    return [f"unsafe override allowed by --allow-unsafe-overrides: {entry['override']}"
            + (f" (spec line {entry['line']})" if entry.get("line") else "") + f": {entry['reason']}"
            for entry in manifest.get("unsafe_overrides", [])]


def _provenance(out_dir: Path) -> Provenance | None:
    return Provenance.read(out_dir) if (out_dir / PROVENANCE_FILE).exists() else None


def _spec_of(out_dir: Path) -> LoadedSpec | None:
    """The spec an out dir was synthesized from (recorded in nexus.json), for suppressions and context."""
    manifest = out_dir / NEXUS_MANIFEST
    if not manifest.exists():
        return None
    spec_file = json.loads(manifest.read_text(encoding="utf-8")).get("spec", {}).get("file")
    if not spec_file or spec_file == "<spec>":
        return None
    path = (out_dir / spec_file).resolve()
    return load_spec(path) if path.exists() else None


def _context_from(spec: str | Path | None,
                  allow_unsafe_overrides: tuple[str, ...]) -> tuple[Path | None, LoadedSpec | None]:
    """`spec=` may name a spec (its default out dir is used) or an out dir."""
    if spec is None:
        return None, None
    spec = Path(spec)
    if spec.is_dir():
        return spec, _spec_of(spec)
    loaded = load_spec(spec)
    result = synth(loaded, spec.parent / "cdktf.out", allow_unsafe_overrides=allow_unsafe_overrides)
    return result.out_dir, loaded


def _stack_json_target(path: Path, spec: str | Path | None, allow_unsafe_overrides: tuple[str, ...]) -> ScanTarget:
    out_dir, loaded = _context_from(spec, allow_unsafe_overrides)
    stack_dir = path.resolve().parent
    if out_dir is None and stack_dir.parent.name == "stacks":
        out_dir = stack_dir.parent.parent
        loaded = _spec_of(out_dir)
    stack = stack_dir.name if stack_dir.parent.name == "stacks" else None
    return ScanTarget("stack_json", [ScanFile(stack, path)], out_dir=out_dir,
                      provenance=_provenance(out_dir) if out_dir else None, loaded=loaded,
                      notes=_unsafe_override_notes(out_dir) if out_dir else [])


def _plan_target(path: Path, document: dict, spec: str | Path | None, stack: str | None,
                 allow_unsafe_overrides: tuple[str, ...]) -> ScanTarget:
    out_dir, loaded = _context_from(spec, allow_unsafe_overrides)
    if out_dir is None:
        for parent in path.resolve().parents:
            if (parent / PROVENANCE_FILE).exists():
                out_dir, loaded = parent, _spec_of(parent)
                break
    provenance = _provenance(out_dir) if out_dir else None
    target = ScanTarget("plan", [], framework="terraform_plan", out_dir=out_dir, provenance=provenance,
                        loaded=loaded, notes=_unsafe_override_notes(out_dir) if out_dir else [])
    stack = stack or _plan_stack(document, provenance)
    target.files.append(ScanFile(stack, path))
    if provenance is None:
        target.notes.append("no provenance map found for the plan: pass --spec to point findings at spec lines")
    return target


def plan_addresses(document: dict) -> set[str]:
    return {change["address"] for change in document.get("resource_changes") or [] if "address" in change}


def _plan_stack(document: dict, provenance: Provenance | None) -> str | None:
    """The stack whose resources overlap the plan's most (a plan does not name its stack)."""
    if provenance is None:
        return None
    addresses = plan_addresses(document)
    overlap: dict[str, int] = {}
    for (stack, address) in provenance.origins:
        if address in addresses:
            overlap[stack] = overlap.get(stack, 0) + 1
    return max(sorted(overlap), key=overlap.get) if overlap else None
