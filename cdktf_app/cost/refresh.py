"""`refresh_catalogue()`: the price catalogue rebuilt from the providers' public machine-readable price lists.

Every catalogue entry with a `price_list` selector is looked up SKU by SKU and region by region in
- AWS: the Price List bulk offer files (`/offers/v1.0/aws/<service>/current/<region>/index.json`);
- GCP: the Cloud Billing Catalog API (`/v1/services/<service>/skus`, paged by `nextPageToken`; it needs an API
  key, NEXUS_GCP_API_KEY);
- Azure: the Retail Prices API (`/api/retail/prices?$filter=...`, paged by `NextPageLink`).
An amount found once (one price among the matching items) becomes `verified` today with the list as its
`source`; one not found, or ambiguous, keeps its amount and provenance, and the outcome says why. Entries without
a selector stay as they are. The endpoints can be pointed elsewhere (NEXUS_<CLOUD>_PRICE_LIST_URL, or the
`endpoints` argument) for a mirror or a test serving the same lists; `source` names the provider's public list.

The rebuilt files are validated with the catalogue schema and written atomically, all or none: an endpoint that
cannot be reached (or answers an error, or not JSON) is `PriceListError`, exit 4, and nothing is written.
"""
from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Protocol

import yaml

from ..errors import NexusError, SpecError
from ..files import write_atomically
from ..spec.source import read_yaml
from ..data_files import read_data_file
from .catalogue import CLOUDS, catalogue_dir, document_problems

ENDPOINT_ENV = {"aws": "NEXUS_AWS_PRICE_LIST_URL", "gcp": "NEXUS_GCP_PRICE_LIST_URL",
                "azure": "NEXUS_AZURE_PRICE_LIST_URL"}
PUBLIC_ENDPOINT = {"aws": "https://pricing.us-east-1.amazonaws.com", "gcp": "https://cloudbilling.googleapis.com",
                   "azure": "https://prices.azure.com"}
GCP_API_KEY_ENV = "NEXUS_GCP_API_KEY"
TIMEOUT_SECONDS = 120
MAX_PAGES = 500
PLACEHOLDER = re.compile(r"\{(\w+)\}")


class PriceListError(NexusError):
    """A price list that could not be read (unreachable, an error answer, not JSON) or that gave a catalogue that
    is not valid: the refresh did not happen, nothing was written."""

    exit_code = 4


@dataclass(frozen=True)
class Found:
    amount: float
    source: str


@dataclass
class CloudRefresh:
    """What a refresh did to one cloud's catalogue file."""

    cloud: str
    file: Path
    verified: list[str] = field(default_factory=list)     # `key sku region` read from the price list
    kept: list[str] = field(default_factory=list)         # `key sku region: why` left as it was

    def as_dict(self) -> dict:
        return {"cloud": self.cloud, "file": str(self.file), "verified": self.verified, "kept": self.kept}


def endpoint(cloud: str, endpoints: dict[str, str] | None = None) -> str:
    chosen = (endpoints or {}).get(cloud) or os.environ.get(ENDPOINT_ENV[cloud]) or PUBLIC_ENDPOINT[cloud]
    return chosen.rstrip("/")


def refresh_catalogue(clouds: Iterable[str] = CLOUDS, keys: Iterable[str] | None = None,
                      endpoints: dict[str, str] | None = None, today: date | None = None,
                      directory: Path | None = None) -> list[CloudRefresh]:
    """Re-read the prices of CLOUDS (only the entries named in KEYS, when given) from the price lists and write
    the catalogue files of `directory` (default: the catalogue in use) that changed."""
    directory = Path(directory or catalogue_dir())
    wanted = set(keys) if keys is not None else None
    day = (today or date.today()).isoformat()
    outcomes, texts = [], {}
    for cloud in clouds:
        path = directory / f"{cloud}.yaml"
        document = read_data_file(path).data
        outcome = CloudRefresh(cloud, path)
        reader = READERS[cloud](endpoint(cloud, endpoints))
        for key, entry in document["prices"].items():
            if "price_list" in entry and (wanted is None or key in wanted):
                document["prices"][key] = _refreshed_entry(key, entry, reader, day, outcome)
        outcomes.append(outcome)
        if outcome.verified:
            texts[path] = _validated_text(cloud, path, document, day)
    for path, text in texts.items():
        write_atomically(path, text)
    return outcomes


def _refreshed_entry(key: str, entry: dict, reader: "PriceList", day: str, outcome: CloudRefresh) -> dict:
    """The entry with every amount the price list gives; the others keep their own provenance, spelt out."""
    selector, own = entry["price_list"], _provenance(entry)
    tables = {None: entry["regions"]} if "regions" in entry else dict(entry["skus"])
    rebuilt, source = {}, None
    for sku, table in tables.items():
        rebuilt[sku] = {}
        for region, value in table.items():
            where = " ".join(part for part in (key, sku, region) if part)
            found = reader.find(selector, sku, region)
            if isinstance(found, Found):
                rebuilt[sku][region], source = found.amount, found.source
                outcome.verified.append(where)
            else:
                rebuilt[sku][region] = _spelt_out(value, own)
                outcome.kept.append(f"{where}: {found}")
    if source is None:
        return entry
    fresh = {name: value for name, value in entry.items()
             if name not in ("source", "verified", "derived_from", "regions", "skus")}
    fresh = {"description": fresh.pop("description"), "unit": fresh.pop("unit"), "source": source,
             "verified": day, **fresh}
    if "regions" in entry:
        return fresh | {"regions": rebuilt[None]}
    return fresh | {"skus": rebuilt}


def _provenance(entry: dict) -> dict:
    kind = "verified" if "verified" in entry else "derived_from"
    return {"source": entry["source"], kind: entry[kind]}


def _spelt_out(value: float | dict, own: dict) -> dict:
    """An amount kept as it was, with its provenance written beside it (its entry's is about to change)."""
    value = value if isinstance(value, dict) else {"amount": value}
    stated = {kind: value[kind] for kind in ("verified", "derived_from") if kind in value}
    return {"amount": value["amount"], "source": value.get("source", own["source"]),
            **(stated or {kind: text for kind, text in own.items() if kind != "source"})}


def _validated_text(cloud: str, path: Path, document: dict, day: str) -> str:
    header = "".join(line for line in _leading_comments(path))
    text = (f"{header}# Amounts re-read by `nexus cost catalogue refresh` on {day} (entries with a price_list).\n"
            + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120, default_flow_style=None))
    try:
        problems = document_problems(cloud, read_yaml(text, file=str(path)))
    except SpecError as error:
        problems = error.problems
    if problems:
        raise PriceListError("the price lists gave a catalogue that is not valid; nothing was written\n"
                             + "\n".join(f"  {problem}" for problem in problems))
    return text


def _leading_comments(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    comments = []
    for line in lines:
        if not line.startswith("#") or line.startswith("# Amounts re-read by"):
            break
        comments.append(line)
    return comments


# ---------------------------------------------------------------- reading the lists


def _get_json(url: str, what: str, shown: str | None = None) -> dict | None:
    """GET a JSON document; None when the list has no such document (404); PriceListError otherwise."""
    shown = shown or url
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise PriceListError(f"{what}: {shown} is not an http(s) URL; nothing was written")
    request = urllib.request.Request(url, headers={"Accept": "application/json", "User-Agent": "nexus-cost"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as error:
        if error.code == 404:
            return None
        raise PriceListError(f"{what}: {shown} answered HTTP {error.code} {error.reason}; nothing was written") \
            from None
    except (urllib.error.URLError, OSError) as error:
        raise PriceListError(f"{what}: {shown} cannot be reached ({getattr(error, 'reason', error)}); nothing was "
                             "written") from None
    except ValueError as error:
        raise PriceListError(f"{what}: {shown} did not answer JSON ({error}); nothing was written") from None


def _values(selector: dict, sku: str | None, region: str) -> dict[str, str]:
    """What {1}, {2}... (the SKU's /-separated parts, spelt as the list spells them) and {region} stand for."""
    names = selector.get("names", {})
    parts = sku.split("/") if sku else []
    return {"region": region, **{str(index): names.get(part, part) for index, part in enumerate(parts, 1)}}


def _filled(pattern: str, values: dict[str, str], escape: Callable[[str], str]) -> str:
    return PLACEHOLDER.sub(lambda match: escape(values[match.group(1)]) if match.group(1) in values
                           else match.group(0), pattern)


def _patterns(rules: dict[str, str], values: dict[str, str]) -> dict[str, re.Pattern]:
    return {name: re.compile(_filled(pattern, values, re.escape)) for name, pattern in rules.items()}


def _one(amounts: set[float], scale: float, source: str) -> Found | str:
    if not amounts:
        return "not in the price list"
    if len(amounts) > 1:
        return f"ambiguous in the price list ({len(amounts)} different prices match)"
    return Found(round(amounts.pop() * scale, 10), source)


class PriceList(Protocol):
    def find(self, selector: dict, sku: str | None, region: str) -> Found | str:
        """The amount of one SKU in one region, or why there is none."""


class AwsPriceList:
    """AWS Price List bulk offer files, one per service and region, read once each."""

    def __init__(self, base: str):
        self.base = base
        self.offers: dict[tuple[str, str], dict | None] = {}

    def find(self, selector: dict, sku: str | None, region: str) -> Found | str:
        service = selector["service"]
        offer = self._offer(service, region)
        if offer is None:
            return f"no {service} offer file for {region}"
        patterns = _patterns(selector["match"], _values(selector, sku, region))
        products = [code for code, product in offer.get("products", {}).items()
                    if all(pattern.fullmatch(str(product.get(name, product.get("attributes", {}).get(name, ""))))
                           for name, pattern in patterns.items())]
        amounts = {amount for code in products for amount in _on_demand(offer, code)}
        return _one(amounts, selector.get("scale", 1), f"{PUBLIC_ENDPOINT['aws']}/offers/v1.0/aws/{service}/current/"
                                                        "region_index.json")

    def _offer(self, service: str, region: str) -> dict | None:
        if (service, region) not in self.offers:
            path = f"/offers/v1.0/aws/{urllib.parse.quote(service)}/current/{urllib.parse.quote(region)}/index.json"
            self.offers[service, region] = None if region == "global" else \
                _get_json(self.base + path, f"AWS Price List ({service}, {region})")
        return self.offers[service, region]


def _on_demand(offer: dict, code: str) -> list[float]:
    """The USD on-demand prices of a product, first tier of each."""
    amounts = []
    for term in offer.get("terms", {}).get("OnDemand", {}).get(code, {}).values():
        for dimension in term.get("priceDimensions", {}).values():
            usd = dimension.get("pricePerUnit", {}).get("USD")
            if usd is not None and str(dimension.get("beginRange", "0")) == "0":
                amounts.append(float(usd))
    return amounts


class GcpPriceList:
    """The Cloud Billing Catalog API: every SKU of a service, all pages, read once per service."""

    def __init__(self, base: str):
        self.base = base
        self.services: dict[str, list[dict]] = {}

    def find(self, selector: dict, sku: str | None, region: str) -> Found | str:
        service = selector["service"]
        patterns = _patterns(selector["match"], _values(selector, sku, region))
        matched = [item for item in self._skus(service) if region in item.get("serviceRegions", []) and
                   all(pattern.fullmatch(str(_sku_field(item, name))) for name, pattern in patterns.items())]
        return _one({_unit_price(item) for item in matched}, selector.get("scale", 1),
                    f"{PUBLIC_ENDPOINT['gcp']}/v1/services/{service}/skus")

    def _skus(self, service: str) -> list[dict]:
        if service in self.services:
            return self.services[service]
        key = os.environ.get(GCP_API_KEY_ENV)
        if not key:
            raise PriceListError(f"the Cloud Billing Catalog API needs an API key: set {GCP_API_KEY_ENV} (or refresh "
                                 "other clouds with --cloud); nothing was written")
        items, token = [], ""
        for _ in range(MAX_PAGES):
            query = {"currencyCode": "USD", "pageSize": "5000", **({"pageToken": token} if token else {})}
            url = f"{self.base}/v1/services/{urllib.parse.quote(service)}/skus?{urllib.parse.urlencode(query)}"
            page = _get_json(f"{url}&key={urllib.parse.quote(key)}", f"Cloud Billing Catalog ({service})", shown=url)
            items += (page or {}).get("skus", [])
            token = (page or {}).get("nextPageToken", "")
            if not token:
                self.services[service] = items
                return items
        raise PriceListError(f"Cloud Billing Catalog ({service}): more than {MAX_PAGES} pages; nothing was written")


def _sku_field(item: dict, name: str) -> object:
    return item.get(name, item.get("category", {}).get(name, ""))


def _unit_price(item: dict) -> float:
    """The first paid tier's unit price (a free tier, when there is one, comes first)."""
    rates = item["pricingInfo"][0]["pricingExpression"]["tieredRates"]
    prices = [int(rate["unitPrice"].get("units", "0")) + rate["unitPrice"].get("nanos", 0) / 1e9 for rate in rates]
    return next((price for price in prices if price > 0), prices[0])


class AzurePriceList:
    """The Retail Prices API: the items of a $filter, following NextPageLink."""

    def __init__(self, base: str):
        self.base = base
        self.queries: dict[str, list[dict]] = {}

    def find(self, selector: dict, sku: str | None, region: str) -> Found | str:
        values = _values(selector, sku, region)
        items = self._items(_filled(selector["filter"], values, lambda text: text.replace("'", "''")))
        excluded = _patterns(selector.get("exclude", {}), values)
        kept = [item for item in items if item.get("type", "Consumption") == "Consumption" and
                not any(pattern.search(str(item.get(name, ""))) for name, pattern in excluded.items())]
        lowest = min((item.get("tierMinimumUnits", 0) for item in kept), default=0)
        amounts = {float(item["retailPrice"]) for item in kept if item.get("tierMinimumUnits", 0) == lowest}
        return _one(amounts, selector.get("scale", 1), f"{PUBLIC_ENDPOINT['azure']}/api/retail/prices")

    def _items(self, odata_filter: str) -> list[dict]:
        if odata_filter in self.queries:
            return self.queries[odata_filter]
        url = f"{self.base}/api/retail/prices?{urllib.parse.urlencode({'$filter': odata_filter})}"
        items = []
        for _ in range(MAX_PAGES):
            page = _get_json(url, "Azure Retail Prices") or {}
            items += page.get("Items", [])
            url = page.get("NextPageLink")
            if not url:
                self.queries[odata_filter] = items
                return items
        raise PriceListError(f"Azure Retail Prices: more than {MAX_PAGES} pages; nothing was written")


READERS: dict[str, Callable[[str], PriceList]] = {"aws": AwsPriceList, "gcp": GcpPriceList, "azure": AzurePriceList}
