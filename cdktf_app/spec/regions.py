"""The regions each cloud has, so a spec naming `us-east-9` is refused at load rather than at apply.

AWS: botocore's endpoints data (every partition: aws, aws-cn, aws-us-gov, ...), the same model the SDKs and the
AWS provider are built from. GCP and Azure ship no offline list: `regions.yaml` beside this module holds theirs,
with the source page and date, validated when read (a mistake is a DataFileError at its line).
"""
from __future__ import annotations

import difflib
import functools
import importlib.util
import json
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

REGIONS_FILE = Path(__file__).with_name("regions.yaml")
AWS_SOURCE = "botocore's endpoints data"
CLOUD_NAMES = {"aws": "AWS", "gcp": "GCP", "azure": "Azure"}


class RegionList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(pattern=r"^https://\S+$")
    as_of: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="the date the list was taken from the source")
    regions: list[str] = Field(min_length=1)
    multi_regions: list[str] = Field(default_factory=list, description="valid in allowed_regions only")

    @field_validator("regions", "multi_regions")
    @classmethod
    def _names(cls, names: list[str]) -> list[str]:
        bad = [name for name in names if not re.fullmatch(r"[a-z][a-z0-9-]*[a-z0-9]", name)]
        if bad:
            raise ValueError(f"expected lower-case region names, got {', '.join(map(repr, bad))}")
        if len(set(names)) != len(names):
            raise ValueError("expected each region once")
        return names


class RegionsFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    gcp: RegionList
    azure: RegionList


@functools.lru_cache(maxsize=1)
def _listed() -> RegionsFile:
    from ..data_files import read_data_file, validated

    document = read_data_file(REGIONS_FILE)
    return validated(RegionsFile, document.data, document.source)


@functools.lru_cache(maxsize=1)
def _aws_regions() -> frozenset[str]:
    # botocore's data file, read without importing botocore (a second of every command's start)
    endpoints = json.loads((Path(importlib.util.find_spec("botocore").origin).parent / "data" / "endpoints.json")
                           .read_text(encoding="utf-8"))
    return frozenset(region for partition in endpoints["partitions"] for region in partition["regions"])


def known_regions(cloud: str, *, multi_regions: bool = False) -> frozenset[str]:
    """The cloud's regions; with `multi_regions`, also the locations only data residency may name (GCP's EU)."""
    if cloud == "aws":
        return _aws_regions()
    listed = getattr(_listed(), cloud)
    return frozenset(listed.regions) | (frozenset(listed.multi_regions) if multi_regions else frozenset())


def source_of(cloud: str) -> str:
    if cloud == "aws":
        return AWS_SOURCE
    listed = getattr(_listed(), cloud)
    return f"{REGIONS_FILE.name}: {listed.source} as of {listed.as_of}"


def unknown_region(cloud: str, region: str, *, multi_regions: bool = False) -> str | None:
    """Why `region` is not one of the cloud's, with the closest known names; None when it is known.
    Compared as Azure and GCP do: `West Europe` is `westeurope`, `EU` is `eu`."""
    known = known_regions(cloud, multi_regions=multi_regions)
    if region.replace(" ", "").lower() in known:
        return None
    close = difflib.get_close_matches(region.lower(), sorted(known), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(name) for name in close)}?" if close else ""
    return f"'{region}' is not a known {CLOUD_NAMES[cloud]} region ({source_of(cloud)}){hint}"
