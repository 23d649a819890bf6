"""`optimize(spec, environment)`: every rule for the environment tried on the spec, one edit at a time.

Edits are tried in rule order, each on top of those already accepted, so each saving is what that edit adds and
the savings add up to the whole change (`total`, the same `cost.compare` as `nexus cost --compare`). An edit is
accepted only when the spec it gives is valid, costs less, and passes the compliance gate (`compliance.gate`,
default high) with every edit before it; otherwise it is listed as skipped with the reason.

The spec has no per-environment values: a component's settings apply to every environment in `environments`.
So a rule meant for some environments (dev, test...) is skipped when the spec also builds another one (prod):
the edit would reach it too."""
from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..build import DEFAULT_GATE
from ..compliance.checkov import CheckovWorker, reuse_or_start
from ..compliance.scan import check_resolved
from ..compliance.spec_edit import SpecEdit, apply_edits, unified_diff
from ..cost import CostDelta, Estimate, compare, estimate
from ..errors import SpecError, UsageError
from ..files import write_atomically
from ..spec.loader import LoadedSpec, load_spec_text
from ..spec.source import decode_spec, read_spec_bytes
from ..stacks.synth import synth
from ..workspace import load, synthesized
from .rules import Rule, load_rules
from .utilisation import Utilisation, read_utilisation

MARKER = "nexus optimize"


@dataclass(frozen=True)
class Recommendation:
    rule: Rule
    component: str
    edit: SpecEdit
    delta: CostDelta            # from the spec with the accepted edits before this one, to this one added
    environment: str
    model_explanation: str | None = None    # the model's words (untrusted text, shown only), when one explained

    @property
    def saving(self) -> float:
        return -self.delta.delta_monthly or 0.0       # never -0.0

    @property
    def explanation(self) -> str:
        return self.model_explanation or self.rule.explain(self.component, self.environment, f"${self.saving:,.2f}")

    def as_dict(self) -> dict:
        return {"rule": self.rule.id, "component": self.component, "summary": self.rule.summary,
                "spec_path": ".".join(self.edit.path), "set": dict(self.edit.values), "risk": self.rule.risk,
                "monthly_saving": self.saving, "before": self.delta.total_before, "after": self.delta.total_after,
                "partial": self.delta.partial, "explanation": self.explanation}


@dataclass(frozen=True)
class Skipped:
    rule: str
    component: str
    reason: str

    def as_dict(self) -> dict:
        return {"rule": self.rule, "component": self.component, "reason": self.reason}


@dataclass
class Optimization:
    spec: Path
    environment: str
    gate: str
    before: Estimate
    after: Estimate
    recommendations: list[Recommendation] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    diff: str = ""
    applied: bool = False
    explained_by: str = "the rules' templates"

    @property
    def total(self) -> CostDelta:
        """From the spec as it is to the spec with every recommendation: what `nexus cost --compare` reports."""
        return compare(self.before, self.after)

    @property
    def monthly_saving(self) -> float:
        return -self.total.delta_monthly or 0.0       # never -0.0

    def as_dict(self) -> dict:
        return {"spec": str(self.spec), "environment": self.environment, "gate": self.gate,
                "currency": self.before.currency, "before": self.before.total_monthly,
                "after": self.after.total_monthly, "monthly_saving": self.monthly_saving,
                "partial": self.total.partial, "applied": self.applied,
                "recommendations": [item.as_dict() for item in self.recommendations],
                "skipped": [item.as_dict() for item in self.skipped], "diff": self.diff,
                "explained_by": self.explained_by}


def optimize(spec_path: str | Path, environment: str, *, apply: bool = False, worker: CheckovWorker | None = None,
             rules: tuple[Rule, ...] | None = None, utilisation: str | Path | None = None) -> Optimization:
    """The savings the rules find for `environment` of the spec at `spec_path`; `apply` writes them into the
    file (atomically, comments kept, each setting marked `# nexus optimize: <rule>`). `utilisation`: a file of
    observed use (see .utilisation), which the rules with `utilisation` conditions need."""
    spec_path = Path(spec_path)
    loaded = load(spec_path)
    if environment not in loaded.spec.environments:
        raise UsageError(f"--env {environment}: {spec_path} builds {', '.join(loaded.spec.environments)} "
                         "(its environments)")
    observed = read_utilisation(utilisation, set(loaded.spec.components)) if utilisation else {}
    original = decode_spec(read_spec_bytes(spec_path), str(spec_path)).replace("\r\n", "\n")
    gate = loaded.spec.compliance.gate or DEFAULT_GATE
    with tempfile.TemporaryDirectory(prefix="nexus-optimize-") as scratch, reuse_or_start(worker) as running:
        trial = _Trial(spec_path, Path(scratch), gate, running)
        before = trial.priced(loaded)[0]
        result = Optimization(spec_path, environment, gate, before, before)
        text, current = original, before
        for rule, name in _candidates(loaded, environment, rules or load_rules(), observed, result.skipped):
            component = load_spec_text(text, file=str(spec_path), path=spec_path).spec.components[name]
            if not rule.matches(component, observed.get(name)) or not rule.changes(component):
                continue
            edit = SpecEdit(path=("components", name), values=rule.changes(component), check_id=rule.id,
                            safety="unsafe", summary=rule.summary)
            outcome = trial.tried(apply_edits(text, [edit], marker=MARKER), current)
            if isinstance(outcome, str):
                result.skipped.append(Skipped(rule.id, name, outcome))
                continue
            text, current, delta = outcome
            result.recommendations.append(Recommendation(rule, name, edit, delta, environment))
    result.after = current
    result.diff = unified_diff(original, text, spec_path.name)
    if apply and result.recommendations:
        write_atomically(spec_path, text)
        result.applied = True
    return result


def _candidates(loaded: LoadedSpec, environment: str, rules: tuple[Rule, ...], observed: Utilisation,
                skipped: list[Skipped]):
    """(rule, component name) pairs to try for `environment`; the rules the spec cannot scope go to `skipped`."""
    environments = loaded.spec.environments
    for rule in rules:
        if environment not in rule.environments:
            continue
        names = [name for name, component in loaded.spec.components.items()
                 if component.type == rule.component and rule.matches(component, observed.get(name))]
        reached = [env for env in environments if env not in rule.environments]
        if names and reached:
            skipped += [Skipped(rule.id, name, f"the spec also builds {', '.join(reached)}, and a component's "
                                               "settings apply to every environment (the spec has no "
                                               "per-environment values): keep non-production in a spec "
                                               "of its own to optimize it")
                        for name in names]
            continue
        yield from ((rule, name) for name in names)


@dataclass
class _Trial:
    spec_path: Path
    scratch: Path
    gate: str
    worker: CheckovWorker
    count: int = 0

    def priced(self, loaded: LoadedSpec):
        """The estimate of a synth of `loaded` into a scratch out dir, and its target."""
        self.count += 1
        target = synthesized(synth(loaded, self.scratch / f"trial-{self.count}", use_cache=False))
        return estimate(target.inventory()), target

    def tried(self, text: str, current: Estimate):
        """(text, estimate, delta) when the edited spec is valid, cheaper and passes the gate; else the reason."""
        try:
            loaded = load_spec_text(text, file=str(self.spec_path), path=self.spec_path)
        except SpecError as error:
            return f"the edited spec is not valid: {error}"
        after, target = self.priced(loaded)
        delta = compare(current, after)
        if delta.delta_monthly >= 0:
            return f"saves nothing at the catalogue's prices ({delta.headline()})"
        if self.gate != "never":
            blocking = check_resolved(target.scannable(), None, self.worker).blocking(self.gate)
            if blocking:
                named = ", ".join(sorted({f"{item.check_id} {item.stack}/{item.address}" for item in blocking}))
                return f"would fail the compliance gate ({self.gate}): {named}"
        return text, after, delta
