"""Located errors for `dr:` (exit 2): a recovery region that is the primary one, unknown, outside the spec's
allowed_regions or not one the cloud replicates to; targets the mode cannot meet (naming the mode that can)."""
from __future__ import annotations

from ..errors import Problem
from ..spec.disaster_recovery import MODES, DisasterRecovery
from ..spec.model import CLOUDS, Spec
from ..spec.source import SourceMap
from .targets import MODE_LIMITS, PAIRED_REGIONS, REGION_KEYS, primary_region, spec_level_cloud, target_for

# A GCS configurable dual-region joins two regions of one continent (https://cloud.google.com/storage/docs/locations).
GCS_CONTINENTS = {"us": "US", "northamerica": "US", "europe": "EU", "asia": "ASIA"}


def duration(seconds: float) -> str:
    """900 -> '15m', 14400 -> '4h'."""
    seconds = int(seconds)
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def gcs_dual_region(primary: str, recovery: str) -> str | None:
    """The multi-region ('US', 'EU', 'ASIA') a GCS dual-region of the two regions belongs to, or None."""
    continents = {GCS_CONTINENTS.get(region.split("-")[0]) for region in (primary, recovery)}
    return continents.pop() if len(continents) == 1 and None not in continents else None


def dr_problems(spec: Spec, source: SourceMap) -> list[Problem]:
    configured = [cloud for cloud in CLOUDS if getattr(spec.providers, cloud) is not None]
    problems: list[Problem] = []
    regions: dict[str, tuple[str, tuple]] = {}
    declared = []
    if spec.dr is not None:
        declared.append((("dr",), spec.dr, configured, None))
    for name, component in spec.components.items():
        if getattr(component, "dr", None) is not None:
            declared.append((("components", name, "dr"), component.dr, spec.clouds_for(component), component))
    for path, dr, clouds, component in declared:
        cloud = dr.provider or (clouds[0] if len(clouds) == 1 else None)
        if dr.provider and dr.provider not in clouds:
            where = "the spec builds on" if component is None else f"components.{path[1]} is built on"
            problems.append(source.problem((*path, "provider"), f"'{dr.provider}' is not a cloud {where} "
                                           f"({', '.join(clouds) or 'none'}); a recovery copy stays on its data's "
                                           "cloud (cross-cloud replication is not offered)"))
            continue
        if cloud is None:
            problems.append(source.problem(path, f"name the cloud of the recovery region with provider: one of "
                                                 f"{', '.join(clouds)}"))
            continue
        site_problems = _site_problems(spec, source, path, dr, cloud, component)
        problems += site_problems
        if not site_problems and regions.setdefault(cloud, (dr.region, path))[0] != dr.region:
            first_region, first_path = regions[cloud]
            problems.append(source.problem((*path, "region"), f"one recovery region per cloud: "
                                           f"{'.'.join(first_path)} already recovers {cloud} in {first_region}"))
    return problems + _unversioned_buckets(spec, source, regions)


def _unversioned_buckets(spec: Spec, source: SourceMap, regions: dict) -> list[Problem]:
    """Replication and backup copies of objects need versions (S3 refuses to replicate without them)."""
    return [source.problem(("components", name, "versioned"), "a bucket with a recovery region must be versioned "
                           "(replication and backup copies work on object versions); set versioned: true")
            for name, component in spec.components.items()
            if component.type == "bucket" and not component.versioned
            and any(cloud in regions and target_for(spec, name, cloud) for cloud in spec.clouds_for(component))]


def _site_problems(spec: Spec, source: SourceMap, path: tuple, dr: DisasterRecovery, cloud: str,
                   component) -> list[Problem]:
    from ..spec.regions import unknown_region

    primary = primary_region(spec, cloud)
    region_key = f"providers.{cloud}.{REGION_KEYS[cloud]}"
    allowed = getattr(spec.providers, cloud).allowed_regions
    problem = None
    if (unknown := unknown_region(cloud, dr.region)):
        problem = unknown
    elif dr.region == primary:
        problem = (f"the recovery region must differ from the primary region ({region_key} is {primary}): a "
                   "copy in the same region does not survive the region")
    elif allowed is not None and dr.region not in allowed:
        problem = (f"'{dr.region}' is outside {region_key.rpartition('.')[0]}.allowed_regions "
                   f"({', '.join(allowed)}); add it there to let copies of the data live in it")
    elif cloud == "azure" and PAIRED_REGIONS.get(primary) != dr.region:
        pair = PAIRED_REGIONS.get(primary)
        problem = (f"Azure replicates geo-redundant storage and backups to the primary region's pair only: "
                   + (f"{primary} pairs with {pair}" if pair else f"no pair of {primary} is known to Nexus"))
    elif cloud == "gcp" and _has_bucket(spec, component, cloud) and gcs_dual_region(primary, dr.region) is None:
        problem = (f"a Cloud Storage dual-region joins two regions of one continent (US, EU or ASIA): {primary} "
                   f"and {dr.region} are not")
    problems = [source.problem((*path, "region"), problem)] if problem else []
    for index, target in ((0, "rpo"), (1, "rto")):
        asked = getattr(dr, target)
        best = MODE_LIMITS[dr.mode][index]
        if asked is not None and asked < best:
            problems.append(source.problem((*path, target), _unmet(target, asked, dr.mode, best, index)))
    return problems


def _unmet(target: str, asked: float, mode: str, best: float, index: int) -> str:
    able = [other for other in MODES if MODE_LIMITS[other][index] <= asked]
    if able:
        advice = f"mode {' or '.join(able)} can"
    else:
        lowest = min(limits[index] for limits in MODE_LIMITS.values())
        advice = (f"no mode reaches less than {duration(lowest)} "
                  f"({' and '.join(m for m in MODES if MODE_LIMITS[m][index] == lowest)})")
    return f"{target} {duration(asked)} cannot be met by mode {mode}, whose best is {duration(best)}; {advice}"


def _has_bucket(spec: Spec, component, cloud: str) -> bool:
    if component is not None:
        return component.type == "bucket"
    return any(c.type == "bucket" and getattr(c, "dr", None) is None and cloud in spec.clouds_for(c)
               for c in spec.components.values())
