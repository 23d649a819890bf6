"""`fix(spec)`: finding -> provenance -> edit of nexus.yaml (comments kept) -> rebuild -> re-check, until clean.

Each pass applies every applicable fix at once; the loop stops when a pass has nothing left to apply or after
`max_passes`. The first scan and the last run every check (the first is the report when nothing needs fixing);
rescans in between run only the checks that have fixes (nothing else can change an edit). The spec file is rewritten atomically after each pass, so an interrupted run leaves a valid spec.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..files import write_atomically
from ..layout import default_out_dir
from ..spec.loader import LoadedSpec, load_spec_text
from ..spec.source import decode_spec, read_spec_bytes
from ..stacks.synth import synth
from ..workspace import load, synthesized
from .checkov import CheckovWorker, reuse_or_start
from .findings import CheckReport
from .fixes import load_fixes
from .scan import check_resolved
from .spec_edit import SpecEdit, apply_edits, unified_diff

DEFAULT_PASSES = 3


@dataclass
class FixResult:
    spec: Path
    passes: int
    edits: list[SpecEdit] = field(default_factory=list)
    diff: str = ""
    report: CheckReport | None = None
    skipped_unsafe: list[SpecEdit] = field(default_factory=list)
    loaded: LoadedSpec | None = None       # the spec as the loop left it (what to synthesize next)
    reused: bool = False                   # no scan: a previous pass found nothing to fix in the same inputs

    @property
    def changed(self) -> bool:
        return bool(self.diff)


def planned_edits(report: CheckReport, *, unsafe: bool) -> tuple[list[SpecEdit], list[SpecEdit]]:
    """The edits to apply for the report's active findings, and the unsafe ones held back."""
    wanted: dict[tuple, SpecEdit] = {}
    for finding in report.fixable(unsafe=True):
        # repr: a value may be a mapping (a secret's `rotation: {days: 90}`), which cannot be a key itself
        wanted.setdefault((finding.fix.path, repr(finding.fix.values)), finding.fix)
    edits = sorted(wanted.values(), key=lambda edit: (edit.path, edit.check_id))
    return ([edit for edit in edits if unsafe or edit.safety == "safe"],
            [edit for edit in edits if not unsafe and edit.safety == "unsafe"])


def fix(spec_path: str | Path, *, unsafe: bool = False, max_passes: int = DEFAULT_PASSES,
        standards: list[str] | None = None, out_dir: str | Path | None = None, worker: CheckovWorker | None = None,
        allow_unsafe_overrides: tuple[str, ...] = (), loaded: LoadedSpec | None = None) -> FixResult:
    """Apply fixes to the spec file until no applicable fix remains; see the module docstring. `loaded`: the spec
    file as the caller already read it (the file is parsed once per command; each edit is validated in memory)."""
    spec_path = Path(spec_path)
    original = decode_spec(read_spec_bytes(spec_path), str(spec_path)).replace("\r\n", "\n")  # a regular file, bounded
    with reuse_or_start(worker) as running:
        return _fix_loop(spec_path, original, loaded or load(spec_path), unsafe, max_passes, standards,
                         default_out_dir(spec_path.parent, out_dir), running, allow_unsafe_overrides)


def _fix_loop(spec_path: Path, original: str, loaded: LoadedSpec, unsafe: bool, max_passes: int, standards,
              out_dir: Path, worker: CheckovWorker, allow_unsafe_overrides: tuple[str, ...]) -> FixResult:
    result = FixResult(spec=spec_path, passes=0)
    text = original
    fixable_checks = tuple(sorted(load_fixes()))
    while True:
        target = synthesized(synth(loaded, out_dir, allow_unsafe_overrides=allow_unsafe_overrides))
        last_pass = result.passes >= max_passes
        # The first scan and the last are full (usually nothing needs fixing: one scan is the report); the
        # rescans between them need only the checks that have fixes.
        full = result.passes == 0 or last_pass
        report = check_resolved(target, standards, worker, only_checks=None if full else fixable_checks)
        edits, held_back = planned_edits(report, unsafe=unsafe)
        result.skipped_unsafe = held_back
        if not edits or last_pass:
            result.report = report if full else check_resolved(target, standards, worker)
            break
        text = apply_edits(text, edits)
        loaded = load_spec_text(text, file=str(spec_path), path=spec_path)  # a broken edit fails before writing
        result.edits += edits
        result.passes += 1
        write_atomically(spec_path, text)
    result.diff = unified_diff(original, text, spec_path.name)
    result.loaded = loaded
    return result
