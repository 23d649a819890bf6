"""Where each data component's recovery copy lives: its own `dr:`, else the spec's (for the cloud it names)."""
from __future__ import annotations

from dataclasses import dataclass

from ..spec.disaster_recovery import DisasterRecovery
from ..spec.model import CLOUDS, Spec

DATA_TYPES = ("database", "bucket", "document_store")
REPLICATING_MODES = ("pilot_light", "warm_standby")
# The best recovery point and time (seconds) each mode reaches. backup: hourly copies to the recovery region,
# restored into a stack built there; the replicating modes: S3 Replication Time Control's 15-minute bound (RDS,
# DynamoDB, Cloud SQL and Azure replicas lag seconds), compute started (pilot light) or scaled out (warm standby).
MODE_LIMITS = {"backup": (3600, 4 * 3600), "pilot_light": (900, 3600), "warm_standby": (900, 900)}
REGION_KEYS = {"aws": "region", "gcp": "region", "azure": "location"}
# Azure's region pairs: geo-redundant storage and a flexible server's geo-redundant backups go to the pair (and
# must be encrypted with a key from there); so does a Nexus recovery region on Azure.
PAIRED_REGIONS = {
    "westeurope": "northeurope", "northeurope": "westeurope", "eastus": "westus", "westus": "eastus",
    "eastus2": "centralus", "centralus": "eastus2", "westus2": "westcentralus", "westus3": "eastus",
    "uksouth": "ukwest", "ukwest": "uksouth", "francecentral": "francesouth", "germanywestcentral": "germanynorth",
    "swedencentral": "swedensouth", "switzerlandnorth": "switzerlandwest", "norwayeast": "norwaywest",
    "canadacentral": "canadaeast", "southeastasia": "eastasia", "eastasia": "southeastasia",
    "australiaeast": "australiasoutheast", "japaneast": "japanwest", "centralindia": "southindia",
    "brazilsouth": "southcentralus", "southcentralus": "northcentralus", "northcentralus": "southcentralus"}


@dataclass(frozen=True)
class DrTarget:
    """One component's (or the spec's) recovery site on one cloud."""

    cloud: str
    primary_region: str
    region: str
    mode: str
    rpo: float
    rto: float
    spec_path: tuple[str, ...]

    @property
    def replicates(self) -> bool:
        return self.mode in REPLICATING_MODES


def primary_region(spec: Spec, cloud: str) -> str:
    return getattr(getattr(spec.providers, cloud), REGION_KEYS[cloud])


def spec_level_cloud(spec: Spec) -> str | None:
    """The cloud the spec's `dr` belongs to: the one it names, else the only cloud configured."""
    if spec.dr is None:
        return None
    if spec.dr.provider:
        return spec.dr.provider
    clouds = [cloud for cloud in CLOUDS if getattr(spec.providers, cloud) is not None]
    return clouds[0] if len(clouds) == 1 else None


def _target(spec: Spec, cloud: str, dr: DisasterRecovery, spec_path: tuple[str, ...]) -> DrTarget:
    best_rpo, best_rto = MODE_LIMITS[dr.mode]
    return DrTarget(cloud=cloud, primary_region=primary_region(spec, cloud), region=dr.region, mode=dr.mode,
                    rpo=dr.rpo or best_rpo, rto=dr.rto or best_rto, spec_path=spec_path)


def target_for(spec: Spec, name: str, cloud: str) -> DrTarget | None:
    """The recovery site of component `name` on `cloud`, or None when its data has none."""
    component = spec.components[name]
    if component.type not in DATA_TYPES:
        return None
    own = getattr(component, "dr", None)
    if own is not None and (own.provider or cloud) == cloud:
        return _target(spec, cloud, own, ("components", name, "dr"))
    if own is None and spec.dr is not None and spec_level_cloud(spec) == cloud:
        return _target(spec, cloud, spec.dr, ("dr",))
    return None


def targets_on(spec: Spec, cloud: str) -> dict[str, DrTarget]:
    """Every protected component on `cloud`, by name, in spec order."""
    found = {}
    for name, component in spec.components.items():
        if cloud in spec.clouds_for(component) and (target := target_for(spec, name, cloud)):
            found[name] = target
    return found


def standby_target(spec: Spec, cloud: str) -> DrTarget | None:
    """The spec-level recovery site on `cloud` when it keeps compute there (pilot light, warm standby)."""
    if spec.dr is None or spec_level_cloud(spec) != cloud or spec.dr.mode not in REPLICATING_MODES:
        return None
    return _target(spec, cloud, spec.dr, ("dr",))


def satisfied_in_standby(spec: Spec) -> dict[tuple[str, str], str]:
    """(check, address) of primary-stack findings that the recovery-region stack satisfies, with the reason: an
    AWS bucket's replication is configured from there (the primary deploys first, before its replica exists)."""
    return {("CKV_AWS_144", f"aws_s3_bucket.{name}"):
            f"replicated to {target.region} by aws_s3_bucket_replication_configuration.{name}_replication in the "
            f"recovery-region stack (<stack>-dr), declared at {'.'.join(target.spec_path)}"
            for name, target in targets_on(spec, "aws").items()
            if target.replicates and spec.components[name].type == "bucket"}
