"""The recovery-region copy of a stack: which components it holds and at what scale.

warm_standby keeps a scaled-down copy running (services and VM groups at one, caches and clusters built);
pilot_light builds the same network and compute at zero, without caches or clusters. On AWS the copy also
holds the replicas of the replicated data (they need the recovery region's network and key) and the
cross-region backup plan; GCP and Azure replicate data from the primary stack (dual-region buckets,
geo-redundant storage, replicas placed in the recovery region)."""
from __future__ import annotations

from dataclasses import dataclass

from ..spec.model import Spec
from .targets import REGION_KEYS, DrTarget, standby_target, targets_on

# The recovery-region copy of stack `<spec>-<env>-<cloud>` is `<spec>-<env>-<cloud>-dr`, its environment `<env>-dr`.
STANDBY_SUFFIX = "-dr"
STANDBY_TYPES = {"pilot_light": ("network", "service", "vm_group", "function", "queue", "monitoring"),
                 "warm_standby": ("network", "service", "vm_group", "function", "queue", "monitoring", "cache",
                                  "kubernetes")}
# Clouds whose replicas of the data live in the recovery-region stack (the others replicate from the primary).
REPLICAS_IN_STANDBY = ("aws",)


@dataclass(frozen=True)
class Standby:
    """What a recovery-region stack knows of its primary."""

    target: DrTarget
    primary_environment: str
    protected: tuple[tuple[str, str, DrTarget], ...]   # (component, type, its target) of every protected component

    @property
    def replicated(self) -> tuple[str, ...]:
        return tuple(name for name, _, target in self.protected if target.replicates)


def standby_site(spec: Spec, cloud: str, environment: str, needs_network: tuple[str, ...]
                 ) -> tuple[Standby, Spec, list[str]] | None:
    """The recovery-region copy of (environment, cloud): its Standby, the spec it is built from (the cloud's
    region moved, components kept and scaled) and its component names; None when there is none."""
    targets = targets_on(spec, cloud)
    compute = standby_target(spec, cloud)
    replicas_here = cloud in REPLICAS_IN_STANDBY
    if compute is None and not (replicas_here and targets):
        return None
    standby = Standby(target=compute or next(iter(targets.values())), primary_environment=environment,
                      protected=tuple((name, spec.components[name].type, target) for name, target in targets.items()))
    kept = {}
    for name, component in spec.components.items():
        if cloud not in spec.clouds_for(component) or component.type == "network":
            continue
        if replicas_here and name in standby.replicated:
            kept[name] = component
        elif compute and component.type in STANDBY_TYPES[compute.mode]:
            kept[name] = _scaled(component, compute.mode)
    if any(component.type in needs_network for component in kept.values()):
        kept.update({name: component for name, component in spec.components.items()
                     if component.type == "network" and cloud in spec.clouds_for(component)})
    provider = getattr(spec.providers, cloud)
    moved = provider.model_copy(update={REGION_KEYS[cloud]: standby.target.region, "allowed_regions": None}
                                | ({"resource_group": None} if cloud == "azure" else {}))
    copy = spec.model_copy(update={"providers": spec.providers.model_copy(update={cloud: moved}),
                                   "components": {name: kept[name] for name in spec.components if name in kept}})
    return standby, copy, list(copy.components)


def _scaled(component, mode: str):
    """Compute at zero for a pilot light, at one for a warm standby (never above what the spec asks)."""
    if component.type not in ("service", "vm_group"):
        return component
    floor = 0 if mode == "pilot_light" else min(component.min, 1)
    return component.model_copy(update={"min": floor})
