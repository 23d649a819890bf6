"""The workspace: what a user pointed a command at, the spec behind it (loaded once) and what synth made of it.

`resolve(target)` is the one target resolver of every command that reads Terraform (check, visualize, cost,
deploy's gate): TARGET is a spec (synthesized first, cache-aware), a synth out dir, one stack's `cdk.tf.json`
(or any Terraform JSON), a `terraform show -json` plan, a state (raw `terraform.tfstate` or shown), or a `.tf`
file or directory. It yields the files to scan, the resource inventory, the provenance map and, when there is
one, the loaded spec; a plan or a lone stack JSON is mapped back to the spec through the out dir it sits in, or
the one `spec=` names. Where files sit is cdktf_app.layout's; the synth policy (auto-remediation) is
cdktf_app.build's, a floor above compliance.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .errors import UsageError
from .inventory.resources import (Inventory, read_json, read_out_dir, read_terraform_dir, read_terraform_file,
                                  json_inventory)
from .kit.provenance import Provenance
from .layout import (PROVENANCE_FILE, STACKS_DIR, current_stack_files, default_out_dir, is_out_dir, read_manifest,
                     recorded_spec_file)
from .spec.loader import LoadedSpec, load_spec
from .stacks.synth import SynthResult, synth

SPEC_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json", ".tfstate")
PLAN_KEYS = ("planned_values", "resource_changes")
SCANNABLE = ("spec", "out_dir", "stack_json", "plan")


@dataclass(frozen=True)
class ScanFile:
    stack: str | None
    path: Path


@dataclass
class Target:
    kind: str                          # spec | out_dir | stack_json | plan | state | hcl
    location: Path
    files: list[ScanFile] = field(default_factory=list)
    framework: str = "terraform_json"
    out_dir: Path | None = None
    provenance: Provenance | None = None
    spec_file: Path | None = None      # the spec behind the target, loaded on first use of `loaded`
    spec_named: bool = False           # the user named that spec (TARGET or spec=): its gate applies
    notes: list[str] = field(default_factory=list)
    document: dict | None = field(default=None, repr=False)   # a JSON target, read once
    _loaded: LoadedSpec | None = field(default=None, repr=False)

    @property
    def loaded(self) -> LoadedSpec | None:
        """The spec behind the target: the one synth read, or the one its out dir records (read once, on use)."""
        if self._loaded is None and self.spec_file is not None:
            self._loaded = load_spec(self.spec_file)
        return self._loaded

    def scannable(self) -> Target:
        """This target, if checkov can scan it (a spec, an out dir, a stack JSON or a plan)."""
        if self.kind not in SCANNABLE:
            raise UsageError(f"{self.location}: expected a spec (.yaml), a synth out dir, a cdk.tf.json or a plan "
                             f"(.json); this is a {self.kind}")
        if self.kind in ("spec", "out_dir") and not self.files:
            raise UsageError(f"{self.location}: no stacks to check")
        return self

    def inventory(self) -> Inventory:
        """The target's resources with their attributes, references and (for Nexus output) provenance."""
        if self.kind in ("spec", "out_dir"):
            inventory = read_out_dir(self.out_dir, provenance=self.provenance, spec_file=self.spec_file)
            inventory.source = self.kind
            inventory.spec = lambda: self.loaded
            return inventory
        if self.kind == "hcl":
            return read_terraform_dir(self.location) if self.location.is_dir() else \
                read_terraform_file(self.location)
        return json_inventory(self.document, self.location.name.split(".")[0] or self.location.name, self.location)


def load(spec: str | Path) -> LoadedSpec:
    """The spec file read and validated: the one `load_spec` of a command (pass the result on, never the path)."""
    return load_spec(spec)


def resolve(target: str | Path, *, spec: str | Path | SynthResult | None = None, out_dir: str | Path | None = None,
            stack: str | None = None, allow_unsafe_overrides: tuple[str, ...] = ()) -> Target:
    """Resolve TARGET (see the module doc). `spec=` maps a plan or a stack JSON back to a spec: a spec file
    (synthesized into its out dir), an out dir, or the SynthResult of a synth the caller just ran.
    `out_dir` is where a spec is synthesized (default: cdktf_app.layout.default_out_dir);
    `allow_unsafe_overrides`: the unsafe overrides a spec may synthesize with (see stacks.synth)."""
    target = Path(target)
    if not target.exists():
        raise UsageError(f"{target}: no such file or directory (expected a spec, a synth out dir, a cdk.tf.json, "
                         "a plan or state JSON, or a directory of .tf files)")
    if target.is_dir():
        if is_out_dir(target) or (target / STACKS_DIR).is_dir():
            return _named_spec(_out_dir_target(target, stack), spec)
        if any(target.glob("*.tf")) or any(target.glob("*.tf.json")):
            return Target("hcl", target)
        raise UsageError(f"{target}: not a synth output (no stacks/ folder) and neither an out dir "
                         "(stacks/<stack>/cdk.tf.json) nor a directory of .tf files; run `nexus synth` first")
    if target.suffix in SPEC_SUFFIXES:
        return synthesized(synth(load(target), default_out_dir(target.parent, out_dir),
                                 allow_unsafe_overrides=allow_unsafe_overrides), stack)
    if target.suffix == ".tf":
        return Target("hcl", target)
    document = _json_document(target)
    if document is not None:
        if not isinstance(document, dict):
            raise UsageError(f"{target}: expected a JSON object (a cdk.tf.json, a plan or a state)")
        if any(key in document for key in PLAN_KEYS):
            return _plan_target(target, document, spec, out_dir, stack, allow_unsafe_overrides)
        if "values" in document and isinstance(document["values"], dict) or \
                isinstance(document.get("resources"), list):
            return Target("state", target, document=document)
        return _stack_json_target(target, document, spec, out_dir, allow_unsafe_overrides)
    raise UsageError(f"{target}: expected a spec (.yaml), a synth out dir, a cdk.tf.json, a plan or state (.json, "
                     ".tfstate) or .tf files")


def _json_document(path: Path):
    """A .json or .tfstate file's JSON (a clear error when it is not JSON); any other file's, if it is JSON."""
    if path.suffix in JSON_SUFFIXES:
        return read_json(path)
    try:
        return read_json(path)
    except UsageError:
        return None


def synthesized(result: SynthResult, stack: str | None = None) -> Target:
    """What a synth just made, as a target: its spec and provenance come from memory, not from OUT."""
    target = _out_dir_target(result.out_dir, stack, result)
    target.kind = "spec"
    target.location = result.loaded.path or result.out_dir
    return target


def _out_dir_target(out_dir: Path, stack: str | None, result: SynthResult | None = None) -> Target:
    stacks_dir = out_dir / STACKS_DIR
    if not stacks_dir.is_dir():
        raise UsageError(f"{out_dir}: not a synth output (no stacks/ folder); run `nexus synth` first")
    files = [ScanFile(path.parent.name, path) for path in current_stack_files(out_dir)
             if stack is None or path.parent.name == stack]
    if stack and not files:
        known = ", ".join(sorted(path.name for path in stacks_dir.iterdir() if path.is_dir()))
        raise UsageError(f"{out_dir}: no stack '{stack}' (stacks: {known or 'none'})")
    if result is not None:
        return Target("out_dir", out_dir, files, out_dir=out_dir, provenance=result.provenance,
                      spec_file=result.loaded.path, spec_named=True, notes=_unsafe_override_notes(out_dir),
                      _loaded=result.loaded)
    return Target("out_dir", out_dir, files, out_dir=out_dir, provenance=_provenance(out_dir),
                  spec_file=recorded_spec_file(out_dir), notes=_unsafe_override_notes(out_dir))


def _named_spec(target: Target, spec: str | Path | SynthResult | None) -> Target:
    """An out dir checked with `spec=` a spec file: that spec's suppressions, context and gate apply (its out dir
    is the target itself, so it is read, not synthesized)."""
    if isinstance(spec, SynthResult):
        target.spec_file, target._loaded = spec.loaded.path, spec.loaded
    elif spec is not None and not Path(spec).is_dir():
        target.spec_file, target._loaded = Path(spec), load(spec)
    else:
        return target
    target.spec_named = True
    return target


def _unsafe_override_notes(out_dir: Path) -> list[str]:
    """The unsafe overrides the out dir was synthesized with (recorded in nexus.json): a report shows them."""
    manifest = read_manifest(out_dir) or {}
    return [f"unsafe override allowed by --allow-unsafe-overrides: {entry['override']}"
            + (f" (spec line {entry['line']})" if entry.get("line") else "") + f": {entry['reason']}"
            for entry in manifest.get("unsafe_overrides", [])]


def _provenance(out_dir: Path) -> Provenance | None:
    return Provenance.read(out_dir) if (out_dir / PROVENANCE_FILE).exists() else None


def _context(spec: str | Path | SynthResult | None, out_dir: str | Path | None,
             allow_unsafe_overrides: tuple[str, ...]) -> Target | None:
    """What `spec=` names, as the out-dir target a plan or stack JSON maps back to."""
    if spec is None:
        return None
    if isinstance(spec, SynthResult):
        return synthesized(spec)
    spec = Path(spec)
    if spec.is_dir():
        return _out_dir_target(spec, None)
    return synthesized(synth(load(spec), default_out_dir(spec.parent, out_dir),
                             allow_unsafe_overrides=allow_unsafe_overrides))


def _mapped(kind: str, path: Path, document: dict, context: Target | None, **fields) -> Target:
    if context is None:
        return Target(kind, path, document=document, **fields)
    return Target(kind, path, out_dir=context.out_dir, provenance=context.provenance, spec_file=context.spec_file,
                  spec_named=context.spec_named, notes=list(context.notes), document=document,
                  _loaded=context._loaded, **fields)


def _stack_json_target(path: Path, document: dict, spec, out_dir, allow_unsafe_overrides) -> Target:
    context = _context(spec, out_dir, allow_unsafe_overrides)
    stack_dir = path.resolve().parent
    in_out_dir = stack_dir.parent.name == STACKS_DIR
    if context is None and in_out_dir:
        context = _out_dir_target(stack_dir.parent.parent, None)
    stack = stack_dir.name if in_out_dir else None
    return _mapped("stack_json", path, document, context, files=[ScanFile(stack, path)])


def _plan_target(path: Path, document: dict, spec, out_dir, stack: str | None, allow_unsafe_overrides) -> Target:
    context = _context(spec, out_dir, allow_unsafe_overrides)
    if context is None:
        for parent in path.resolve().parents:
            if (parent / PROVENANCE_FILE).exists():
                context = _out_dir_target(parent, None)
                break
    target = _mapped("plan", path, document, context, framework="terraform_plan")
    target.files.append(ScanFile(stack or _plan_stack(document, target.provenance), path))
    if target.provenance is None:
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


def load_inventory(target: str | Path, out_dir: str | Path | None = None) -> Inventory:
    """The resource inventory of TARGET (any kind `resolve` knows); a spec is synthesized into `out_dir`."""
    return resolve(target, out_dir=out_dir).inventory()
