"""The price catalogue: data files in `catalogue/<cloud>.yaml`, each price with its unit, source URL and date.

A price is looked up by key, region and (for priced-by-size services) SKU. A missing price is an answer too:
`None`, which makes the resource unpriced rather than free.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
CLOUDS = ("aws", "gcp", "azure")


@dataclass(frozen=True)
class Price:
    cloud: str
    key: str
    amount: float                 # USD per unit
    unit: str
    region: str
    sku: str | None
    source: str
    date: str
    description: str


@dataclass(frozen=True)
class FreeType:
    reason: str
    source: str
    date: str


class Catalogue:
    def __init__(self, documents: dict[str, dict]):
        self.documents = documents

    def price(self, cloud: str, key: str, region: str, sku: str | None = None) -> Price | None:
        entry = self.documents.get(cloud, {}).get("prices", {}).get(key)
        if entry is None:
            return None
        table = entry.get("skus", {}).get(sku) if sku is not None else entry.get("regions")
        if not table:
            return None
        amount = table.get(region, table.get("global"))
        if amount is None:
            return None
        return Price(cloud, key, float(amount), entry["unit"], region if region in table else "global", sku,
                     entry["source"], str(entry["date"]), entry.get("description", key))

    def free(self, cloud: str, resource_type: str) -> FreeType | None:
        section = self.documents.get(cloud, {}).get("free", {})
        reason = section.get("types", {}).get(resource_type)
        return FreeType(reason, section["source"], str(section["date"])) if reason else None

    def dates(self) -> list[str]:
        return sorted({str(entry["date"]) for document in self.documents.values()
                       for entry in document.get("prices", {}).values()})


@functools.cache
def load_catalogue() -> Catalogue:
    return Catalogue({cloud: yaml.safe_load((CATALOGUE_DIR / f"{cloud}.yaml").read_text(encoding="utf-8"))
                      for cloud in CLOUDS})
