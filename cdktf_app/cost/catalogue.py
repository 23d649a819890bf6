"""The price catalogue: data files in `catalogue/<cloud>.yaml`, each price with its unit, its source and how it
was obtained: `verified: DATE` (read from the source that day) or `derived_from: RULE` (a regional uplift, a
look-alike SKU, a published figure not re-read). An entry states it for all its amounts; one amount may state its
own (`{amount: 0.0454, derived_from: ...}`), so a table read from a page can hold a value that was not.

A price is looked up by key, region and (for priced-by-size services) SKU. A missing price is an answer too:
`None`, which makes the resource unpriced rather than free.

Each file is read with line marks and checked against `catalogue.schema.json` (and here, for what a schema
cannot say), so a mistake reads `aws.yaml:14:7: prices.ec2_instance.unit: expected one of ..., got 'hours'`
(a `DataFileError`, exit 2) instead of a wrong estimate. NEXUS_PRICE_CATALOGUE_DIR names another folder of
`<cloud>.yaml` files (a team's negotiated prices, or a test's broken copy); the schema is always this one.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator

from ..data_files import expected, read_data_file, schema_problems
from ..errors import DataFileError, Problem
from ..inventory.resources import CLOUD_OF_PREFIX
from ..spec.source import SourceDocument, SourceMap

CATALOGUE_DIR = Path(__file__).parent / "catalogue"
CATALOGUE_DIR_ENV = "NEXUS_PRICE_CATALOGUE_DIR"
SCHEMA_PATH = Path(__file__).parent / "catalogue.schema.json"
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
    description: str
    verified: str | None = None           # the day the amount was read from `source`
    derived_from: str | None = None       # else the rule that produced it
    secure_default: str | None = None     # why Nexus's secure defaults bring this charge, when they do

    @property
    def derived(self) -> bool:
        return self.derived_from is not None

    @property
    def provenance(self) -> str:
        return f"derived from {self.derived_from}" if self.derived else f"verified {self.verified}"


@dataclass(frozen=True)
class FreeType:
    reason: str
    source: str
    verified: str


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
        value = table.get(region, table.get("global"))
        if value is None:
            return None
        own = value if isinstance(value, dict) else {"amount": value}
        provenance = own if "verified" in own or "derived_from" in own else entry
        return Price(cloud, key, float(own["amount"]), entry["unit"], region if region in table else "global", sku,
                     own.get("source", entry["source"]), entry.get("description", key),
                     provenance.get("verified"), provenance.get("derived_from"), _secure_default(entry, sku))

    def free(self, cloud: str, resource_type: str) -> FreeType | None:
        section = self.documents.get(cloud, {}).get("free", {})
        reason = section.get("types", {}).get(resource_type)
        return FreeType(reason, section["source"], section["verified"]) if reason else None


def _secure_default(entry: dict, sku: str | None) -> str | None:
    note = entry.get("secure_default")
    return note.get(sku) if isinstance(note, dict) else note


def catalogue_dir() -> Path:
    configured = os.environ.get(CATALOGUE_DIR_ENV)
    return Path(configured) if configured else CATALOGUE_DIR


def load_catalogue() -> Catalogue:
    """Every cloud's prices, validated; re-read only when a file changes."""
    files = [catalogue_dir() / f"{cloud}.yaml" for cloud in CLOUDS]
    return _load(tuple((str(path), *_stamp(path)) for path in files))


def _stamp(path: Path) -> tuple[int, int]:
    try:
        status = path.stat()
    except OSError:
        return 0, 0  # read_data_file reports it
    return status.st_mtime_ns, status.st_size


@lru_cache(maxsize=4)
def _load(signature: tuple[tuple[str, int, int], ...]) -> Catalogue:
    documents: dict[str, dict] = {}
    problems: list[Problem] = []
    for cloud, (file, _, _) in zip(CLOUDS, signature):
        try:
            document = read_data_file(Path(file))
        except DataFileError as error:
            problems += error.problems
            continue
        problems += document_problems(cloud, document)
        documents[cloud] = document.data
    if problems:
        raise DataFileError(problems=problems)
    return Catalogue(documents)


def document_problems(cloud: str, document: SourceDocument) -> list[Problem]:
    """Everything wrong with one cloud's catalogue document: its schema, then what the schema cannot say."""
    return schema_problems(_validator(), document.data, document.source) or \
        _consistency_problems(cloud, document.data, document.source)


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def _consistency_problems(cloud: str, data: dict, source: SourceMap) -> list[Problem]:
    """What the schema cannot say: the file's cloud, one table kind per price, one provenance per price and per
    amount that states its own, finite numbers, free types of this cloud's providers."""
    problems = [] if data["cloud"] == cloud else [expected(source, ("cloud",), f"{cloud!r} (the file's name)",
                                                           data["cloud"])]
    for key, entry in data["prices"].items():
        kinds = [kind for kind in ("regions", "skus") if kind in entry]
        if len(kinds) != 1:
            problems.append(source.problem(("prices", key), "expected either regions or skus, got "
                                                            f"{' and '.join(kinds) or 'neither'}"))
        tables = {("regions",): entry.get("regions", {})} | \
            {("skus", sku): table for sku, table in entry.get("skus", {}).items()}
        problems += _provenance_problems(source, ("prices", key), entry, required=True)
        for where, table in tables.items():
            for region, value in table.items():
                at = ("prices", key, *where, region)
                if isinstance(value, dict):
                    problems += _provenance_problems(source, at, value, required=False)
                    at, value = (*at, "amount"), value["amount"]
                if not math.isfinite(value):
                    problems.append(expected(source, at, "a finite number", value))
    problems += [source.problem(("free", "types", name), f"expected a {cloud} resource type, got {name!r}")
                 for name in data["free"]["types"] if CLOUD_OF_PREFIX.get(name.split("_")[0]) != cloud]
    return problems


def _provenance_problems(source: SourceMap, where: tuple, entry: dict, *, required: bool) -> list[Problem]:
    """A price says how it was obtained, one way: read (`verified`) or worked out (`derived_from`)."""
    given = [kind for kind in ("verified", "derived_from") if kind in entry]
    if len(given) == 2 or (required and not given):
        got = " and ".join(given) or "neither"
        return [source.problem(where, "expected either verified (the day it was read from the source) or "
                                      f"derived_from (the rule that produced it), got {got}")]
    return []
