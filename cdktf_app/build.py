"""The library's synth entry point: what `nexus synth` and `python -m cdktf_app` (the app `cdktf synth` runs, see
cdktf.json) both call, so the two write the same out dir byte for byte.

The spec is read once; with `compliance.auto_remediate: true` the safe fixes of `nexus check --fix` are applied
to it first (the spec file is edited, comments kept); then it is synthesized into the out dir of
cdktf_app.layout's rule. stacks.synth is the CDK app's synth below policy; this module is the policy, a floor
above compliance, whose fix loop it runs.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from .compliance.remediate import FixResult, fix
from .layout import default_out_dir
from .stacks.cache import cache_key
from .stacks.synth import SynthResult, cached_stacks, synth
from .workspace import load


@dataclass(frozen=True)
class Build:
    result: SynthResult
    remediation: FixResult | None = None     # the auto_remediate pass, when the spec asks for it


def build(spec: str | Path, out_dir: str | Path | None = None, *, use_cache: bool = True,
          allow_unsafe_overrides: Iterable[str] = ()) -> Build:
    """Synthesize SPEC as every entry point does: auto-remediation per the spec, then synth into `out_dir`
    (default: CDKTF_OUTDIR when set, else cdktf.out beside the spec)."""
    spec = Path(spec)
    allowed = tuple(allow_unsafe_overrides)
    loaded = load(spec)
    out_dir = default_out_dir(spec.parent, out_dir)
    if not loaded.spec.compliance.auto_remediate:
        return Build(synth(loaded, out_dir, use_cache=use_cache, allow_unsafe_overrides=allowed))
    current = use_cache and cached_stacks(out_dir, cache_key(loaded)) is not None
    remediation = fix(spec, unsafe=False, out_dir=out_dir, allow_unsafe_overrides=allowed, loaded=loaded)
    result = synth(remediation.loaded, out_dir, use_cache=use_cache, allow_unsafe_overrides=allowed)
    # The fix loop synthesized into out_dir: output it left there was made by this build, not reused.
    return Build(replace(result, cached=result.cached and current), remediation)
