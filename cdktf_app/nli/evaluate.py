"""Measure the offline parser on labelled prompts, property by property, on the spec it actually produces.

A prompts file is YAML: a list of `{prompt: TEXT, expect: {...}}`. Each expected key is one or more
properties, scored on the loaded offline spec (after blueprint, parameters and tailoring):

    clouds: [aws, gcp]          the spec's clouds are exactly these                          (1 property)
    standards: [pci-dss]        the declared standard ids are exactly these                   (1)
    components: [cache, queue]  a component of each type exists                              (1 per type)
    absent: [cdn]               no component of each type exists                              (1 per type)
    scaling: [5, 20]            some service/kubernetes/vm_group scales min..max (null = any) (1)
    db_engine: mysql            every database uses this engine (and there is one)           (1)
    cache_engine: valkey        every cache uses this engine (and there is one)              (1)
    runtime: nodejs22           every function uses this runtime (and there is one)          (1)
    region: eu-west-1           some provider is in this region                              (1)
    only: [queue, bucket]       the spec's component types are exactly these                  (1)
    edge: [factory_floor]       the edge sites are exactly these                              (1)
    refused: true               no spec: the prompt is refused (exit 2) as naming nothing to build (1)
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..errors import UsageError
from ..spec.loader import load_spec_text
from ..spec.model import CLOUDS, Spec
from .intent import parse_intent
from .offline import offline_draft

KINDS = ("clouds", "standards", "components", "absent", "scaling", "db_engine", "cache_engine", "runtime", "region",
         "only", "edge", "refused")


@dataclass
class Evaluation:
    right: Counter = field(default_factory=Counter)
    total: Counter = field(default_factory=Counter)
    misses: list[str] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(self.right.values()) / max(1, sum(self.total.values()))


def load_cases(path: Path) -> list[dict]:
    try:
        cases = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise UsageError(f"{path}: cannot read the prompts file: {error}") from None
    if not isinstance(cases, list) or not all(isinstance(c, dict) and "prompt" in c and "expect" in c
                                              for c in cases):
        raise UsageError(f"{path}: expected a list of {{prompt: TEXT, expect: {{...}}}}")
    unknown = sorted({key for case in cases for key in case["expect"] if key not in KINDS})
    if unknown:
        raise UsageError(f"{path}: unknown expectation keys {', '.join(unknown)}; known: {', '.join(KINDS)}")
    return cases


def evaluate(cases: list[dict]) -> Evaluation:
    result = Evaluation()
    for case in cases:
        try:
            spec = load_spec_text(offline_draft(parse_intent(case["prompt"])).text).spec
        except UsageError as error:  # the parser refused: right only where a refusal is expected
            spec, refusal = None, str(error).splitlines()[0]
        expect = case["expect"]
        if spec is None or "refused" in expect:
            scored = [("refused", f"refused: {refusal}" if spec is None else "not refused",
                       (spec is None) == bool(expect.get("refused")))]
        else:
            scored = score(spec, expect)
        for kind, label, ok in scored:
            result.total[kind] += 1
            result.right[kind] += ok
            if not ok:
                result.misses.append(f"{label}: {case['prompt']}")
    return result


def score(spec: Spec, expect: dict[str, Any]) -> list[tuple[str, str, bool]]:
    components = list(spec.components.values())
    types = {component.type for component in components}
    scores = []
    if "clouds" in expect:
        clouds = [cloud for cloud in CLOUDS if getattr(spec.providers, cloud)]
        scores.append(("clouds", f"clouds {clouds} != {expect['clouds']}", set(clouds) == set(expect["clouds"])))
    if "standards" in expect:
        declared = {standard.id for standard in spec.compliance.standards}
        scores.append(("standards", f"standards {sorted(declared)} != {expect['standards']}",
                       declared == set(expect["standards"])))
    for kind in expect.get("components", []):
        scores.append(("components", f"no {kind}", kind in types))
    for kind in expect.get("absent", []):
        scores.append(("absent", f"has {kind}", kind not in types))
    if "scaling" in expect:
        low, high = expect["scaling"]
        bounds = [(c.min, c.max) for c in components if c.type in ("service", "kubernetes", "vm_group")]
        scores.append(("scaling", f"no component scales {low}..{high} (got {bounds})",
                       any((low is None or lo == low) and (high is None or hi == high) for lo, hi in bounds)))
    for kind, component_type, attribute in (("db_engine", "database", "engine"), ("cache_engine", "cache", "engine"),
                                            ("runtime", "function", "runtime")):
        if kind in expect:
            values = [getattr(c, attribute) for c in components if c.type == component_type]
            scores.append((kind, f"{kind} {values} != {expect[kind]}",
                           bool(values) and all(value == expect[kind] for value in values)))
    if "only" in expect:
        scores.append(("only", f"component types {sorted(types)} != {sorted(expect['only'])}",
                       types == set(expect["only"])))
    if "edge" in expect:
        sites = spec.providers.edge.locations if spec.providers.edge else []
        scores.append(("edge", f"edge sites {sites} != {expect['edge']}", sites == expect["edge"]))
    if "region" in expect:
        regions = [getattr(block, "region", None) or getattr(block, "location", None)
                   for block in (spec.providers.aws, spec.providers.gcp, spec.providers.azure) if block]
        scores.append(("region", f"regions {regions} lack {expect['region']}", expect["region"] in regions))
    return scores
