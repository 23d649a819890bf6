"""The disaster-recovery section synth writes into nexus.json: each protected component's recovery site,
targets and what it compiles to, and per environment and cloud the failover steps in order."""
from __future__ import annotations

from typing import Callable

from ..spec.model import CLOUDS, Spec
from .checks import duration
from .standby import STANDBY_SUFFIX
from .targets import DrTarget, spec_level_cloud, standby_target, targets_on

# What a protected component becomes, per cloud, type and whether the mode replicates.
COMPILES_TO = {
    ("aws", "database", False): "AWS Backup recovery points copied to a vault in the recovery region",
    ("aws", "database", True): "an RDS cross-region read replica (and AWS Backup copies)",
    ("aws", "bucket", False): "AWS Backup recovery points copied to a vault in the recovery region",
    ("aws", "bucket", True): "S3 cross-region replication (15-minute replication time control) into a replica "
                             "bucket under the recovery region's KMS key (and AWS Backup copies)",
    ("aws", "document_store", False): "AWS Backup recovery points copied to a vault in the recovery region",
    ("aws", "document_store", True): "a DynamoDB global table replica (and AWS Backup copies)",
    ("gcp", "database", False): "Cloud SQL backups kept in the recovery region",
    ("gcp", "database", True): "a Cloud SQL cross-region read replica (backups kept in the recovery region)",
    ("gcp", "bucket", False): "a Cloud Storage configurable dual-region (default replication)",
    ("gcp", "bucket", True): "a Cloud Storage configurable dual-region with turbo replication (15-minute RPO)",
    ("gcp", "document_store", False): "not replicated: Firestore location is fixed at creation",
    ("gcp", "document_store", True): "not replicated: Firestore location is fixed at creation",
    ("azure", "database", False): "geo-redundant backups in the paired region",
    ("azure", "database", True): "a geo-replica in the paired region (and geo-redundant backups)",
    ("azure", "bucket", False): "geo-zone-redundant storage (GZRS) to the paired region",
    ("azure", "bucket", True): "geo-zone-redundant storage to the paired region (read access, RA-GZRS, for a "
                               "warm standby)",
}

# name_of(environment, component, suffix, standby) -> the physical name a resource has
Namer = Callable[[str, str, str, bool], str]


def runbook(spec: Spec, line_of: Callable[[tuple], int | None], names: dict[str, Namer]) -> dict | None:
    """The nexus.json section, or None when the spec declares no `dr`. `names` has a Namer per cloud built."""
    targets = {cloud: targets_on(spec, cloud) for cloud in CLOUDS if cloud in names}
    standby = {cloud: standby_target(spec, cloud) for cloud in names}
    if not any(targets.values()) and not any(standby.values()):
        return None
    listed = [{"component": name, "type": spec.components[name].type, "cloud": cloud,
               "declared_at": ".".join(target.spec_path), "line": line_of(target.spec_path),
               "primary_region": target.primary_region, "region": target.region, "mode": target.mode,
               "rpo": duration(target.rpo), "rto": duration(target.rto),
               "compiles_to": COMPILES_TO[(cloud, spec.components[name].type, target.replicates)]}
              for cloud, on_cloud in targets.items() for name, target in on_cloud.items()]
    environments = {env: {cloud: _failover(spec, env, cloud, targets[cloud], standby[cloud], names[cloud])
                          for cloud in names if targets[cloud] or standby[cloud]}
                    for env in spec.environments}
    section = {"targets": listed, "failover": environments}
    if spec.dr is not None and spec_level_cloud(spec) is not None:
        target = standby[spec_level_cloud(spec)]
        section["standby"] = target.mode if target else "none (backup)"
    return section


def _failover(spec: Spec, env: str, cloud: str, targets: dict[str, DrTarget], standby: DrTarget | None,
              name_of: Namer) -> dict:
    site = standby or next(iter(targets.values()))
    stack = f"{spec.name}-{env}-{cloud}{STANDBY_SUFFIX}"
    steps = [f"Declare the disaster: {site.primary_region} is unavailable; stop writes that still reach it."]
    for name, target in targets.items():
        steps.append(_data_step(spec, env, cloud, name, target, name_of))
    if standby and standby.mode == "pilot_light":
        steps.append(f"Start the compute of {stack}: set dr.mode to warm_standby (its services then run) and "
                     f"`nexus deploy --stack {stack}`; raise the services' min to production size.")
    elif standby:
        steps.append(f"Scale {stack} to production size (raise the services' min) and `nexus deploy --stack "
                     f"{stack}`.")
    if standby:
        steps.append(f"Point DNS (or the CDN's origin) at the load balancers of {stack} in {standby.region}.")
    else:
        steps.append(f"Build the stack in {site.region}: set providers.{cloud} region to {site.region}, restore "
                     "the data as above, `nexus deploy`, then point DNS at it.")
    steps.append(f"Re-protect: once {site.region} serves, make it the primary region and choose a new dr.region.")
    return {"recovery_region": site.region, "standby_stack": stack if standby or cloud == "aws" else None,
            "steps": steps}


def _data_step(spec: Spec, env: str, cloud: str, name: str, target: DrTarget, name_of: Namer) -> str:
    kind = spec.components[name].type
    region = target.region
    if cloud == "aws":
        if not target.replicates:
            return (f"{name}: restore the newest recovery point of {name_of(env, name, '', False)} from the "
                    f"AWS Backup vault {name_of(env, 'backup', '', True)} in {region} (`aws backup "
                    f"start-restore-job --region {region}`).")
        if kind == "database":
            return (f"{name}: promote the read replica: `aws rds promote-read-replica --db-instance-identifier "
                    f"{name_of(env, name, '', True)} --region {region}`.")
        if kind == "bucket":
            return (f"{name}: serve from the replica bucket {name_of(env, name, '', True)} in {region} (objects "
                    "written in the last 15 minutes may be missing).")
        return f"{name}: the global table replica in {region} already takes writes; point clients at {region}."
    if cloud == "gcp":
        if kind == "database" and target.replicates:
            return (f"{name}: promote the replica: `gcloud sql instances promote-replica "
                    f"{name_of(env, name, 'replica', False)}`.")
        if kind == "database":
            return f"{name}: restore the newest backup kept in {region} into a new instance there."
        return f"{name}: the dual-region bucket keeps serving from {region}; nothing to do."
    if kind == "database" and target.replicates:
        return (f"{name}: promote the geo-replica {name_of(env, name, 'replica', False)} in {region} (`az postgres "
                "flexible-server replica promote`, or `az mysql flexible-server replica stop-replication`).")
    if kind == "database":
        return f"{name}: geo-restore {name_of(env, name, '', False)} into {region} (`flexible-server geo-restore`)."
    return (f"{name}: fail the storage account {name_of(env, name, '', False).replace('-', '')} over to {region} "
            "(`az storage account failover`).")
