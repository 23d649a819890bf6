"""The library's synth entry point: what `nexus synth` and `python -m cdktf_app` (the app `cdktf synth` runs, see
cdktf.json) both call, so the two write the same out dir byte for byte.

The spec is read once; with `compliance.auto_remediate: true` the safe fixes of `nexus check --fix` are applied
to it first (the spec file is edited, comments kept); then it is synthesized into the out dir of
cdktf_app.layout's rule. stacks.synth is the CDK app's synth below policy; this module is the policy, a floor
above compliance, whose fix loop it runs.

`enforce_gate` is the static gate of the app path only (`python -m cdktf_app`, what `cdktn synth/deploy` run):
`nexus check` at the spec's `compliance.gate` on the stacks just synthesized, so `cdktn deploy` cannot ship what
`nexus deploy` would refuse. `nexus synth` does not gate: it writes the output that `nexus check` then reports on.
"""
from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import NexusError, UsageError
from .layout import default_out_dir
from .stacks.cache import cache_key
from .stacks.synth import SynthResult, cached_stacks, synth
from .spec.loader import LoadedSpec
from .workspace import load

if TYPE_CHECKING:
    from .compliance.findings import CheckReport
    from .compliance.remediate import FixResult


@dataclass(frozen=True)
class Build:
    result: SynthResult
    remediation: FixResult | None = None     # the auto_remediate pass, when the spec asks for it


def build(spec: str | Path | LoadedSpec, out_dir: str | Path | None = None, *, use_cache: bool = True,
          allow_unsafe_overrides: Iterable[str] = ()) -> Build:
    """Synthesize SPEC as every entry point does: auto-remediation per the spec, then synth into `out_dir`
    (default: CDKTF_OUTDIR when set, else cdktf.out beside the spec)."""
    loaded = spec if isinstance(spec, LoadedSpec) else load(spec)
    spec = Path(loaded.path) if isinstance(spec, LoadedSpec) else Path(spec)
    allowed = tuple(allow_unsafe_overrides)
    out_dir = default_out_dir(spec.parent, out_dir)
    if not loaded.spec.compliance.auto_remediate:
        return Build(synth(loaded, out_dir, use_cache=use_cache, allow_unsafe_overrides=allowed))
    # Here, not at the top: a plain synth does not load the compliance packs and their JSON Schema validator.
    from .compliance.remediate import FixResult, fix, planned_edits
    from .compliance.remediation_record import already_clean, record_clean
    from .compliance.suppressions import raise_if_expired

    current = use_cache and cached_stacks(out_dir, cache_key(loaded)) is not None
    if current and already_clean(loaded, spec, out_dir):  # exactly the inputs a pass found nothing to fix in
        raise_if_expired(loaded)   # the one outcome the date changes
        result = synth(loaded, out_dir, allow_unsafe_overrides=allowed)
        return Build(result, FixResult(spec=spec, passes=0, loaded=loaded, reused=True))
    remediation = fix(spec, unsafe=False, out_dir=out_dir, allow_unsafe_overrides=allowed, loaded=loaded)
    result = synth(remediation.loaded, out_dir, use_cache=use_cache, allow_unsafe_overrides=allowed)
    if not planned_edits(remediation.report, unsafe=False)[0]:
        record_clean(remediation.loaded, spec, out_dir)
    # The fix loop synthesized into out_dir: output it left there was made by this build, not reused.
    return Build(replace(result, cached=result.cached and current), remediation)


GATE_VARIABLE = "NEXUS_GATE"
DEFAULT_GATE = "high"


class GateFailed(NexusError):
    """The static gate found what `nexus deploy` would refuse (exit 1, as `nexus check`)."""


def gate_disabled() -> bool:
    """NEXUS_GATE=off, for emergencies; anything but unset, `on` or `off` is a usage error, never a silent pass."""
    value = os.environ.get(GATE_VARIABLE, "on").strip().lower()
    if value not in ("on", "off"):
        raise UsageError(f"{GATE_VARIABLE}={value!r}: expected 'on' (the default) or 'off'")
    return value == "off"


def enforce_gate(built: Build) -> CheckReport:
    """`nexus check` of what `built` synthesized, at the spec's compliance.gate (default high): GateFailed listing
    the blocking findings, a ScanError (exit 4) when the check cannot run, else the report (also written to
    OUT/findings.json, as `nexus check` writes it)."""
    from .compliance import check

    report = check(built.result.out_dir, spec=built.result)
    threshold = report.gate or DEFAULT_GATE
    blocking = [] if threshold == "never" else report.blocking(threshold)
    if blocking:
        lines = [f"the compliance gate stopped the synth: {len(blocking)} finding(s) at or above '{threshold}' "
                 f"(compliance.gate of {built.result.loaded.path or 'the spec'})"]
        lines += [f"  {finding.severity:<8} {finding.check_id} {finding.stack}/{finding.address} ({finding.location()}"
                  f"{' ' + finding.spec_path if finding.spec_path else ''}): {finding.check_name}"
                  for finding in blocking]
        lines.append("fix them (`nexus check --fix`), suppress them with a reason in the spec, or, in an emergency, "
                     f"{GATE_VARIABLE}=off")
        raise GateFailed("\n".join(lines))
    return report
