"""`check(target)`: scan synthesized stacks or a plan with checkov (ours + its checks) and normalize findings."""
from __future__ import annotations

import json
import os
import tempfile
from dataclasses import replace
from pathlib import Path

from ..errors import ScanError
from ..files import write_atomically
from ..layout import FINDINGS_FILE
from ..spec.loader import LoadedSpec
from ..stacks.synth import SynthResult
from .checkov import CheckovWorker, ScanAnswer, ScanRequest, reuse_or_start
from .context import write_context
from .findings import CheckReport, Finding, normalize
from .fixes import load_fixes
from .hints import certificate_notes
from .packs import checks_dir, load_packs, selected_packs
from .suppressions import apply_suppressions, raise_if_expired, wildcard_notes
from ..workspace import Target, resolve



def scope_of(standards: list[str] | None, loaded: LoadedSpec | None) -> list[str] | None:
    """The packs that give findings their severity: the asked ones, else the spec's, else all (None)."""
    if standards:
        return [pack.id for pack in selected_packs(standards)]
    if loaded and loaded.spec.compliance.standards:
        return sorted({standard.id for standard in loaded.spec.compliance.standards})
    return None


def check(target: str | Path, *, standards: list[str] | None = None, spec: str | Path | SynthResult | None = None,
          out_dir: str | Path | None = None, stack: str | None = None,
          worker: CheckovWorker | None = None, allow_unsafe_overrides: tuple[str, ...] = ()) -> CheckReport:
    """Check a spec, a synth out dir, one cdk.tf.json or a plan JSON; see compliance-api in the README."""
    resolved = resolve(target, spec=spec, out_dir=out_dir, stack=stack,
                       allow_unsafe_overrides=allow_unsafe_overrides).scannable()
    with reuse_or_start(worker) as running:
        return check_resolved(resolved, standards, running)


def check_resolved(target: Target, standards: list[str] | None, worker: CheckovWorker,
                   only_checks: tuple[str, ...] | None = None) -> CheckReport:
    """Scan a resolved target; `only_checks` narrows the scan (a fix loop needs only the checks with fixes)."""
    raise_if_expired(target.loaded)
    scope = scope_of(standards, target.loaded)
    with tempfile.TemporaryDirectory(prefix="nexus-check-") as scratch:
        request = ScanRequest(files=tuple(str(item.path.resolve()) for item in target.files),
                              framework=target.framework,
                              external_checks_dirs=(str(checks_dir()),), checks=only_checks,
                              context=_context_path(target.loaded, Path(scratch)))
        answer = worker.scan(request)
    raise_if_incomplete(target, answer, narrowed=only_checks is not None)
    stack_of = {str(item.path.resolve()): item.stack for item in target.files}
    findings, passed = normalize(answer.results, target, stack_of, scope)
    if standards:  # asked for named standards: only what their controls cite
        findings = [finding for finding in findings if finding.controls]
    findings = apply_suppressions(_with_fixes(findings, target.loaded), target.loaded)
    report = CheckReport(findings=findings, passed_count=passed, standards=tuple(scope or sorted(load_packs())),
                         stacks=tuple(sorted({item.stack for item in target.files if item.stack})),
                         scan_seconds=worker.scan_seconds[-1] if worker.scan_seconds else 0.0,
                         notes=[*target.notes, *wildcard_notes(findings, target.loaded),
                                *certificate_notes(findings, target.loaded)],
                         gate=target.loaded.spec.compliance.gate if target.spec_named else None)
    if only_checks is None and target.kind in ("spec", "out_dir") and target.out_dir is not None:
        write_findings(report, target.out_dir)  # a narrowed scan is not the picture to keep
    return report


def raise_if_incomplete(target: Target, answer: ScanAnswer, *, narrowed: bool) -> None:
    """A scan is a pass only if checkov parsed every file and, unless narrowed to a few checks, ran checks on
    every file that has resources: anything less is a ScanError (exit 4), never 0 findings."""
    checked: dict[str, int] = {}
    for result in answer.results:
        checked[result["file"]] = checked.get(result["file"], 0) + 1
    problems = []
    for item in target.files:
        path = str(item.path.resolve())
        name = item.stack or path
        resources = managed_resources(item.path, target.framework)
        if path in answer.unparsed or resources is None:
            problems.append(f"{name}: checkov could not parse {path}")
        elif resources and not checked.get(path) and not narrowed:
            problems.append(f"{name}: no check ran on its {resources} resource(s) ({path})")
    if problems:
        raise ScanError("the compliance scan did not check everything, so it cannot pass:\n"
                        + "\n".join(f"  {problem}" for problem in problems))


def managed_resources(path: Path, framework: str) -> int | None:
    """How many managed resources a stack JSON or a plan declares; None when it is not a JSON object."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(document, dict):
        return None
    if framework == "terraform_plan":
        return _planned_resources((document.get("planned_values") or {}).get("root_module"))
    blocks = document.get("resource") or {}
    groups = [blocks] if isinstance(blocks, dict) else blocks  # HCL JSON also allows a list of objects
    if not isinstance(groups, list) or not all(isinstance(group, dict) for group in groups):
        return None
    return sum(len(entries) if isinstance(entries, (dict, list)) else 1
               for group in groups for entries in group.values())


def _planned_resources(module) -> int:
    if not isinstance(module, dict):
        return 0
    own = sum(1 for resource in module.get("resources") or []
              if isinstance(resource, dict) and resource.get("mode", "managed") == "managed")
    return own + sum(_planned_resources(child) for child in module.get("child_modules") or [])


def _context_path(loaded: LoadedSpec | None, scratch: Path) -> str | None:
    path = write_context(loaded, scratch)
    return str(path) if path else None


def _with_fixes(findings: list[Finding], loaded: LoadedSpec | None) -> list[Finding]:
    """Mark findings a fix would resolve by editing the spec (a fix already in place does not count)."""
    if loaded is None:
        return findings
    fixes = load_fixes()
    marked = []
    for finding in findings:
        fix = fixes.get(finding.check_id)
        edit = fix.edit_for(finding, loaded) if fix else None
        marked.append(replace(finding, fix=edit) if edit else finding)
    return marked


def write_findings(report: CheckReport, out_dir: Path) -> Path:
    """OUT/findings.json: what the last check found, for `nexus visualize` and CI artefacts. Artifacts are named
    relative to OUT, so two checkouts (or `cdktf synth` and `nexus synth`) write the same file."""
    path = Path(out_dir) / FINDINGS_FILE
    document = report.to_dict()
    for finding in document["findings"]:
        finding["artifact"] = _relative_to(finding["artifact"], Path(out_dir))
    write_atomically(path, json.dumps({"generated_by": "nexus check", **document}, indent=2, sort_keys=True) + "\n")
    return path


def _relative_to(artifact: str, out_dir: Path) -> str:
    path = Path(artifact)
    if not path.is_absolute():
        return artifact
    return Path(os.path.relpath(path, out_dir.resolve())).as_posix()
