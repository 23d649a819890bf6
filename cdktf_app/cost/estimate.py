"""`estimate(target)`: the monthly cost of every resource, per stack and in total, from the price catalogue.

A resource is priced (its charges add up), free (the catalogue says it has no charge of its own), or unpriced
(listed with the reason, never counted as $0). `compare(a, b)` is the cost impact of going from a to b.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..spec.model import CostAssumptions
from ..workspace import load_inventory
from ..inventory.resources import Inventory, Resource
from . import rules_aws, rules_azure, rules_gcp  # noqa: F401  (registers the rules)
from .catalogue import CLOUDS, Catalogue, Price, load_catalogue
from .pricing import DEFAULT_REGION, RULES, Charge, PricingContext, Unpriced

CURRENCY = "USD"


@dataclass(frozen=True)
class Line:
    stack: str
    address: str
    type: str
    component: str | None
    region: str
    charges: tuple[Charge, ...]
    free_reason: str | None = None

    @property
    def monthly(self) -> float:
        return round(sum(charge.monthly for charge in self.charges), 2)


@dataclass(frozen=True)
class UnpricedLine:
    stack: str
    address: str
    type: str
    component: str | None
    reason: str


@dataclass
class Estimate:
    target: str
    lines: list[Line]
    unpriced: list[UnpricedLine]
    usage: CostAssumptions
    assumptions: list[str] = field(default_factory=list)
    currency: str = CURRENCY

    @property
    def total_monthly(self) -> float:
        return round(sum(line.monthly for line in self.lines), 2)

    @property
    def by_stack(self) -> dict[str, float]:
        stacks: dict[str, float] = {}
        for line in self.lines:
            stacks[line.stack] = round(stacks.get(line.stack, 0.0) + line.monthly, 2)
        return dict(sorted(stacks.items()))

    @property
    def secure_defaults(self) -> dict[str, list[tuple[Line, float]]]:
        """Charges Nexus's secure defaults bring, by the catalogue's reason: the lines each drives and what of
        each line's monthly cost it accounts for."""
        driven: dict[str, list[tuple[Line, float]]] = {}
        for line in self.lines:
            for charge in line.charges:
                if charge.price.secure_default:
                    driven.setdefault(charge.price.secure_default, []).append((line, round(charge.monthly, 2)))
        return dict(sorted(driven.items(), key=lambda item: -sum(amount for _, amount in item[1])))

    @property
    def derived_prices(self) -> list[Price]:
        """The prices behind the charges that were worked out rather than read from their source, once each."""
        prices = {charge.price: None for line in self.lines for charge in line.charges if charge.price.derived}
        return sorted(prices, key=lambda price: (price.cloud, price.key, price.sku or "", price.region))

    def line(self, address: str, stack: str | None = None) -> Line | None:
        return next((line for line in self.lines if line.address == address and stack in (None, line.stack)), None)

    def as_dict(self) -> dict:
        return {
            "target": self.target, "currency": self.currency, "total_monthly": self.total_monthly,
            "stacks": self.by_stack, "assumptions": self.assumptions, "usage": self.usage.model_dump(),
            "lines": [{"stack": line.stack, "address": line.address, "type": line.type,
                       "component": line.component, "region": line.region, "monthly": line.monthly,
                       **({"free": line.free_reason} if line.free_reason else {}),
                       "charges": [{"description": charge.description, "quantity": round(charge.quantity, 6),
                                    "unit": charge.price.unit, "unit_price": charge.price.amount,
                                    "price_key": charge.price.key, "sku": charge.price.sku,
                                    "monthly": round(charge.monthly, 4), "source": charge.price.source,
                                    "derived": charge.price.derived, **_provenance(charge.price),
                                    **({"secure_default": charge.price.secure_default}
                                       if charge.price.secure_default else {})} for charge in line.charges]}
                      for line in self.lines],
            "secure_defaults": [{"reason": reason, "monthly": round(sum(amount for _, amount in driven), 2),
                                 "lines": [{"stack": line.stack, "address": line.address, "monthly": amount}
                                           for line, amount in driven]}
                                for reason, driven in self.secure_defaults.items()],
            "unpriced": [{"stack": item.stack, "address": item.address, "type": item.type,
                          "component": item.component, "reason": item.reason} for item in self.unpriced],
            "derived_prices": [{"cloud": price.cloud, "price_key": price.key, "sku": price.sku,
                                "region": price.region, "unit_price": price.amount, "source": price.source,
                                "derived_from": price.derived_from} for price in self.derived_prices],
        }


def _provenance(price: Price) -> dict:
    return {"derived_from": price.derived_from} if price.derived else {"verified": price.verified}


def estimate(target: str | Path | Inventory, *, out_dir: str | Path | None = None,
             usage: CostAssumptions | None = None, catalogue: Catalogue | None = None,
             as_of: date | None = None) -> Estimate:
    """Price TARGET: a spec (synthesized first), an out dir, a plan or state JSON, or a directory of .tf files.

    Usage assumptions come from `usage`, else the spec's `cost:` section, else the defaults of
    `CostAssumptions`. Charges bound to a date (RDS Extended Support) are those of `as_of`, default today."""
    inventory = target if isinstance(target, Inventory) else load_inventory(target, out_dir)
    usage = usage or _spec_usage(inventory) or CostAssumptions()
    context = PricingContext(inventory, catalogue or load_catalogue(), usage, as_of=as_of or date.today())
    lines, unpriced = [], []
    expanded = {(resource.stack, resource.address.rsplit(".", 2)[0]) for resource in inventory.resources
                if resource.address.startswith("module.") and resource.mode != "module"}
    for resource in sorted(inventory.resources, key=lambda r: r.key):
        if resource.mode == "data" or _contents_listed(resource, expanded):
            continue                  # data sources bill nothing; a module whose resources are listed is priced there
        origin = inventory.origin(resource)
        component = origin.component if origin else None
        try:
            line = _priced(resource, context, component)
        except Unpriced as reason:
            unpriced.append(UnpricedLine(resource.stack, resource.address, resource.type, component, str(reason)))
            continue
        lines.append(line)
        if line.charges and _count_is_expression(resource):
            context.notes.append(f"{resource.stack} {resource.address}: count/for_each is an expression; priced as "
                                 f"{len(resource.instances)} instance(s)")
    assumptions = [f"{stack}: no {cloud} region in the configuration; priced as {DEFAULT_REGION.get(cloud, 'global')}"
                   for stack, cloud in sorted(context.assumed_regions)] + context.notes
    return Estimate(str(inventory.location), lines, unpriced, usage, assumptions)


def _priced(resource: Resource, context: PricingContext, component: str | None) -> Line:
    if resource.mode == "module":
        raise Unpriced("a module call: the resources inside it are not in this configuration")
    if resource.provider not in CLOUDS:
        raise Unpriced(f"provider '{resource.provider}' is not in the catalogue")
    if not resource.instances:
        return Line(resource.stack, resource.address, resource.type, component, "-", (), "no instances (count = 0)")
    rule_of_type = RULES.get(resource.type)
    if rule_of_type is None:
        free = context.catalogue.free(resource.provider, resource.type)
        if free is None:
            raise Unpriced(f"resource type {resource.type} is not in the catalogue")
        return Line(resource.stack, resource.address, resource.type, component, "-", (), free.reason)
    charges: list[Charge] = []
    for instance in resource.instances:
        charges += rule_of_type(_instance(resource, instance), context)
    region = context.region(resource)
    if not charges:
        return Line(resource.stack, resource.address, resource.type, component, region, (), "no charge")
    return Line(resource.stack, resource.address, resource.type, component, region, tuple(charges))


def _instance(resource: Resource, values: dict) -> Resource:
    """One instance to price: plan and state values win over the configuration they came from."""
    if values is resource.body:
        return resource
    return Resource(resource.stack, resource.address, resource.mode, resource.type, resource.name,
                    {**resource.body, **values}, [values], resource.references, resource.depends_on)


def _contents_listed(resource: Resource, expanded: set[tuple[str, str]]) -> bool:
    """A module call whose own resources are in the inventory (plans and state list them)."""
    return resource.mode == "module" and any(
        stack == resource.stack and (scope == resource.address or scope.startswith(f"{resource.address}."))
        for stack, scope in expanded)


def _count_is_expression(resource: Resource) -> bool:
    """Configuration (not plan or state) whose count or for_each is only known when Terraform evaluates it."""
    return any(isinstance(resource.body.get(key), str) for key in ("count", "for_each")) and \
        len(resource.instances) <= 1


def _spec_usage(inventory: Inventory) -> CostAssumptions | None:
    loaded = inventory.spec()
    return loaded.spec.cost if loaded else None

