"""What one resource costs a month: rules per resource type turn attributes and usage into charges.

A rule returns the charges of a resource (quantity x catalogue price) or raises `Unpriced` with the reason:
a type the catalogue does not know, a size it has no price for, a count that is only known at apply. Rules
are registered per Terraform type with `@rule("aws_lb")` in the per-cloud modules.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ..spec.model import CostAssumptions
from ..inventory.resources import Inventory, Resource
from ..inventory.references import TRAVERSAL, interpolations
from .catalogue import Catalogue, Price

DEFAULT_REGION = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}
ZONE = re.compile(r"^([a-z]+-[a-z]+\d)-[a-z]$")
ARN_REGION = re.compile(r"^arn:aws[\w-]*:[\w-]+:([a-z]{2}(?:-gov)?-[a-z]+-\d):")


class Unpriced(Exception):
    """The resource cannot be priced; the message says why."""


@dataclass(frozen=True)
class Charge:
    description: str
    quantity: float               # units per month
    price: Price

    @property
    def monthly(self) -> float:
        return self.quantity * self.price.amount


Rule = Callable[[Resource, "PricingContext"], list[Charge]]
RULES: dict[str, Rule] = {}


def rule(*types: str) -> Callable[[Rule], Rule]:
    def register(function: Rule) -> Rule:
        for resource_type in types:
            RULES[resource_type] = function
        return function
    return register


@dataclass(frozen=True)
class Flat:
    """A charge that reads nothing from the resource: so much per hour it exists (`per="hour"`), per month, or
    per unit of an assumed usage (`per` names a CostAssumptions field, e.g. "storage_gb")."""

    description: str
    price: str
    per: str = "month"
    region: str | None = None

    def __post_init__(self) -> None:
        if self.per not in ("hour", "month") and self.per not in CostAssumptions.model_fields:
            raise ValueError(f"{self.price}: per must be hour, month or a CostAssumptions field, not {self.per!r}")

    def quantity(self, ctx: "PricingContext") -> float:
        if self.per == "hour":
            return ctx.hours
        return 1 if self.per == "month" else getattr(ctx.usage, self.per)

    def describe(self, ctx: "PricingContext") -> str:
        return self.description if self.per in ("hour", "month") else f"{self.quantity(ctx):g} {self.description}"


def flat_rule(resource_type: str, *charges: Flat) -> None:
    """Register a type whose charges are all flat: pricing rules as data."""
    def price(resource: Resource, ctx: PricingContext) -> list[Charge]:
        return [ctx.charge(resource, charge.describe(ctx), charge.price, charge.quantity(ctx), region=charge.region)
                for charge in charges]
    RULES[resource_type] = price


@dataclass
class PricingContext:
    inventory: Inventory
    catalogue: Catalogue
    usage: CostAssumptions
    assumed_regions: set[tuple[str, str]] = field(default_factory=set)    # (stack, cloud) priced in a default
    notes: list[str] = field(default_factory=list)                       # other assumptions made while pricing
    as_of: date = field(default_factory=date.today)                      # the day priced (date-bound charges)

    def __post_init__(self) -> None:
        self._by_key = {resource.key: resource for resource in self.inventory.resources}

    @property
    def hours(self) -> float:
        return self.usage.hours_per_month

    def region(self, resource: Resource) -> str:
        cloud = resource.provider
        own = resource.body.get("region") or resource.body.get("location")
        if isinstance(own, str) and "${" in own:
            target = self.referenced(resource, own)
            own = target.body.get("location") or target.body.get("region") if target else None
        if isinstance(own, str) and own and "${" not in own:
            zone = ZONE.match(own)
            return zone.group(1) if zone else own.replace(" ", "").lower()
        for holder in ("resource_group_name", "container_app_environment_id", "service_plan_id"):
            parent = self.referenced(resource, resource.body.get(holder))
            if parent is not None and parent is not resource:
                return self.region(parent)
        stack_region = self.inventory.regions.get(resource.stack, {}).get(cloud)
        if stack_region:
            return stack_region
        for instance in resource.instances:
            match = ARN_REGION.match(str(instance.get("arn", "")))
            if match:
                return match.group(1)
        self.assumed_regions.add((resource.stack, cloud))
        return DEFAULT_REGION.get(cloud, "global")

    def referenced(self, resource: Resource, value) -> Resource | None:
        """The resource an attribute points to (`${aws_ecs_task_definition.task.arn}`), in the same stack."""
        if not isinstance(value, str):
            return None
        for expression in interpolations(value):
            for address in TRAVERSAL.findall(expression):
                module = resource.address.rsplit(f"{resource.type}.{resource.name}", 1)[0]
                target = self._by_key.get((resource.stack, f"{module}{address}"))
                if target is not None:
                    return target
        return None

    def referring(self, resource: Resource, resource_type: str) -> list[Resource]:
        """Resources of a type that refer to this one (an autoscaler of an instance group)."""
        return [other for other in self.inventory.resources if other.stack == resource.stack
                and other.type == resource_type and resource.address in other.references]

    def charge(self, resource: Resource, description: str, key: str, quantity: float, sku: str | None = None,
               region: str | None = None) -> Charge:
        region = region or self.region(resource)
        price = self.catalogue.price(resource.provider, key, region, sku)
        if price is None:
            what = f"{key} '{sku}'" if sku else key
            raise Unpriced(f"no catalogue price for {what} in {region}")
        return Charge(description, quantity, price)


def number(value, what: str) -> float:
    """A literal number (Terraform JSON often has numbers as strings); an expression makes it unpriceable."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise Unpriced(f"{what} is not known before apply ({value!r})" if value is not None else f"{what} is not set")


def block(value) -> dict:
    """A nested block: Terraform JSON writes it as an object or a list of one object."""
    if isinstance(value, list):
        value = value[0] if value else {}
    return value if isinstance(value, dict) else {}


def memory_gib(value, what: str) -> float:
    """Kubernetes-style quantities (`512Mi`, `2Gi`, `1G`) in GiB."""
    if isinstance(value, str):
        match = re.fullmatch(r"\s*([\d.]+)\s*(Mi|Gi|M|G|MB|GB)?\s*", value)
        if match:
            amount, unit = float(match.group(1)), match.group(2) or "Gi"
            return amount / 1024 if unit in ("Mi", "M", "MB") else amount
    return number(value, what)
