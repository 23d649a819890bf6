"""The two ways back from drift, both reviewed and gated like any deploy.

`revert`: a deploy of the spec as it is (cdktf_app.deploy.run: plan, the compliance gate, the confirmation, the
state backup, apply), which puts back what Terraform manages. A rule added outside Terraform to a security group
whose rules are resources of their own is nothing the configuration sets, so no plan would remove it: for the
revert, the group's rule list is set to what it holds without the rules added outside (an override file beside
the stack's cdk.tf.json, removed afterwards).

`adopt`: the drifted values written into the spec with the comment-keeping editor `nexus check --fix` uses,
each marked `# nexus drift: adopted`: a tag as the component's tag, any other attribute as an `overrides`
entry of its resource. A deletion, or rules added to a security group, are not values to adopt; a spec that
would fail the gate where it passed before is refused, and nothing is written.
"""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from ..compliance import check
from ..compliance.checkov import CheckovWorker
from ..compliance.spec_edit import SpecEdit, apply_edits, unified_diff
from ..deploy import DeployOptions, Reporter, run
from ..errors import NexusError
from ..files import write_atomically
from ..runs import RunRecord
from ..spec.loader import load_spec_text
from ..spec.source import decode_spec, read_spec_bytes
from ..stacks.synth import synth
from .changes import INSTANCE_KEY, WATCHED_COMPUTED, without_rules
from .detect import Detected
from .report import DriftItem

ADOPT_MARKER = "nexus drift"
ADOPTED = "adopted"
TAGS = ("tags", "tags_all")
NEXUS_TAG_PREFIXES = ("nexus:", "managed-by")


class AdoptRefused(NexusError):
    """Drift that cannot be written into the spec (exit 1): the reasons, and nothing written."""

    exit_code = 1


@dataclass(frozen=True)
class Adopted:
    spec: Path
    edits: tuple[SpecEdit, ...]
    diff: str


def revert(detected: Detected, options: DeployOptions, reporter: Reporter | None = None) -> RunRecord:
    """Deploy the spec over the drift (see the module docstring); the deploy's run record."""
    loaded = detected.synthesized.loaded  # the spec file as it is now (an adoption may have changed it)
    return run(loaded.path or loaded, replace(options, command="deploy", run_overrides=rule_overrides(detected)),
               reporter)


def rule_overrides(detected: Detected) -> dict[str, dict]:
    """Stack -> the override that sets each drifted security group's rules to those without the ones added
    outside Terraform."""
    overrides: dict[str, dict] = {}
    for stack_plan in detected.plans:
        refreshed = _state_values(stack_plan.plan)
        for item in detected.report.items:
            if item.stack != stack_plan.stack:
                continue
            for change in item.drift.attributes:
                if (item.drift.resource_type, change.attribute) not in WATCHED_COMPUTED or not change.after:
                    continue
                kind, name = INSTANCE_KEY.sub("", item.address).split(".")[-2:]
                entries = without_rules(refreshed.get(item.address, {}).get(change.attribute), change.after)
                resources = overrides.setdefault(stack_plan.stack, {"resource": {}})["resource"]
                resources.setdefault(kind, {}).setdefault(name, {})[change.attribute] = entries
    return overrides


def adopt(detected: Detected, resources: tuple[str, ...] = (), worker: CheckovWorker | None = None) -> Adopted:
    """Write the drift of RESOURCES (addresses; all drift when empty) into the spec file."""
    loaded = detected.synthesized.loaded
    chosen = [item for item in detected.report.items if not resources or item.address in resources]
    unknown = sorted(set(resources) - {item.address for item in detected.report.items})
    reasons = [f"{address}: no drift found on it" for address in unknown]
    edits: list[SpecEdit] = []
    for item in chosen:
        found, reason = _adoption(item)
        edits += found
        reasons += [reason] if reason else []
    if reasons or not edits:
        raise AdoptRefused("nothing adopted, the spec is unchanged:\n" + "\n".join(
            f"  {reason}" for reason in reasons or ["no drift to adopt"]))
    spec_path = loaded.path
    original = decode_spec(read_spec_bytes(spec_path), str(spec_path)).replace("\r\n", "\n")
    text = apply_edits(original, edits, marker=ADOPT_MARKER)
    adopted = load_spec_text(text, file=str(spec_path), path=spec_path)   # an edit the spec rejects fails here
    _refuse_what_fails_the_gate(detected, adopted, worker)
    write_atomically(spec_path, text)
    return Adopted(spec=spec_path, edits=tuple(edits), diff=unified_diff(original, text, spec_path.name))


def _adoption(item: DriftItem) -> tuple[list[SpecEdit], str | None]:
    """The spec edits that hold ITEM's drifted values, or why there are none."""
    where = f"{item.stack}/{item.address}"
    if item.drift.action == "delete":
        return [], f"{where}: deleted outside Terraform; a deletion is not a value to adopt (revert it, or " \
                   f"remove {item.spec_path or 'the component'} from the spec)"
    if any((item.drift.resource_type, change.attribute) in WATCHED_COMPUTED for change in item.drift.attributes):
        return [], f"{where}: security group rules changed outside Terraform; no spec setting holds them (revert)"
    edits = []
    for change in item.drift.attributes:
        if change.attribute in TAGS:
            edit, reason = _tag_edit(item, change.before or {}, change.after or {})
            if reason:
                return [], f"{where}: {reason}"
            edits += [edit] if edit and change.attribute == "tags" else []
        else:
            address = INSTANCE_KEY.sub("", item.address)
            edits.append(SpecEdit(path=("overrides", address), values=((change.attribute, change.after),),
                                  check_id=ADOPTED, safety="safe", summary=f"drift of {where}"))
    return edits, None


def _tag_edit(item: DriftItem, before: dict, after: dict) -> tuple[SpecEdit | None, str | None]:
    changed = {key: value for key, value in after.items() if before.get(key) != value}
    removed = sorted(set(before) - set(after))
    owned = sorted(key for key in [*changed, *removed] if key.startswith(NEXUS_TAG_PREFIXES))
    if owned:
        return None, f"Nexus sets the tag(s) {', '.join(owned)}; they cannot be adopted (revert)"
    if removed:
        return None, f"tag(s) {', '.join(removed)} removed outside Terraform; a spec cannot remove a tag (revert)"
    if not item.component or not item.spec_path or not item.spec_path.startswith("components."):
        return None, "no spec component made this resource, so there is no component's tags to write to"
    return SpecEdit(path=("components", item.component, "tags"), values=tuple(sorted(changed.items())),
                    check_id=ADOPTED, safety="safe", summary=f"tags of {item.stack}/{item.address}"), None


def _refuse_what_fails_the_gate(detected: Detected, adopted, worker: CheckovWorker | None) -> None:
    """Refuse a spec that has findings at or above its gate that the spec as it is does not have."""
    threshold = detected.synthesized.loaded.spec.compliance.gate
    running = worker or CheckovWorker()
    try:
        before = {(finding.check_id, finding.address, finding.stack)
                  for finding in check(detected.synthesized.out_dir, worker=running).blocking(threshold)}
        with tempfile.TemporaryDirectory(prefix="nexus-adopt-") as scratch:
            after = check(synth(adopted, Path(scratch) / "out").out_dir, worker=running).blocking(threshold)
    finally:
        if worker is None:
            running.stop()
    failing = [finding for finding in after if (finding.check_id, finding.address, finding.stack) not in before]
    if failing:
        raise AdoptRefused(f"nothing adopted, the spec is unchanged: the drifted values fail the gate "
                           f"('{threshold}'):\n" + "\n".join(
                               f"  {finding.severity:<8} {finding.check_id} {finding.stack}/{finding.address}: "
                               f"{finding.check_name}" for finding in failing))


def _state_values(plan_json: dict) -> dict[str, dict]:
    """Address -> values of the refreshed state's root-module resources."""
    root = ((plan_json.get("prior_state") or {}).get("values") or {}).get("root_module") or {}
    return {resource["address"]: resource.get("values") or {} for resource in root.get("resources") or []}
