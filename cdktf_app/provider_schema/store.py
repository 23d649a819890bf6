"""The provider schemas of the installed bindings, derived once per binding version and cached.

Deriving reads the binding's whole assembly (AWS: 155 MB of JSON, about 15 s and 0.9 GB the first time); the
derived schema is written to `$XDG_CACHE_HOME/nexus/provider-schemas/<package>-<version>.schema<FORMAT>.json`
(default `~/.cache`), so every later run reads a few MB. A new binding version (or a new FORMAT of the derived
schema) is a new file: a stale schema is never read.

In the file each resource type's block is a JSON string of its own (format 3), decoded when a check first asks
for that type: a synth uses a few dozen of AWS's ~1,600 types, and decoding all of them took ~0.09 s of each synth.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import sys
import tarfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from ..errors import ScanError
from ..files import write_atomically
from ..paths import user_cache_dir
from .derive import derive_schema, read_assembly

BINDING_PREFIX = "cdktn-provider-"
MODULE_PREFIX = BINDING_PREFIX.replace("-", "_")
FORMAT = 3   # 2: ephemeral resources; 3: each type's block a JSON string, decoded on use
TYPE_SECTIONS = ("resources", "data_sources", "ephemeral_resources")


@dataclass(frozen=True)
class Binding:
    """One installed prebuilt provider binding, e.g. cdktn-provider-google 21.1.0 for provider `google`."""

    provider: str          # the Terraform provider's local name: aws, google, azurerm, kubernetes
    package: str
    version: str

    @property
    def module(self) -> str:
        return self.package.replace("-", "_")

    def assembly_archive(self) -> Path:
        spec = importlib.util.find_spec(self.module)
        archives = sorted(Path(spec.submodule_search_locations[0], "_jsii").glob("*.jsii.tgz")) if spec else []
        if not archives:
            raise FileNotFoundError(f"{self.package} {self.version} has no jsii assembly (_jsii/*.jsii.tgz)")
        return archives[0]


def installed_bindings() -> dict[str, Binding]:
    """The prebuilt provider bindings installed beside Nexus, by Terraform provider name: each importable
    `cdktn_provider_*` package with its distribution's version (found by folder name: reading the metadata of
    every installed distribution to find them took 0.13 s of each synth)."""
    found = {}
    for module in sorted({entry.name for folder in sys.path if folder and os.path.isdir(folder)
                          for entry in os.scandir(folder) if entry.name.startswith(MODULE_PREFIX) and entry.is_dir()}):
        package = module.replace("_", "-")
        try:
            version = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
        provider = package.removeprefix(BINDING_PREFIX).replace("-", "_")
        found[provider] = Binding(provider=provider, package=package, version=version)
    return found


def schema_cache_dir() -> Path:
    return user_cache_dir() / "provider-schemas"


class SchemaStore:
    """Schemas by provider name, each read from the cache or derived (and cached) on first use."""

    def __init__(self, cache_dir: Path | None = None, bindings: dict[str, Binding] | None = None) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else schema_cache_dir()
        self._bindings = bindings
        self._schemas: dict[str, dict] = {}

    @cached_property
    def bindings(self) -> dict[str, Binding]:
        return self._bindings if self._bindings is not None else installed_bindings()

    def cache_file(self, binding: Binding) -> Path:
        return self.cache_dir / f"{binding.package}-{binding.version}.schema{FORMAT}.json"

    @property
    def loaded(self) -> list[str]:
        """The providers whose schema this store has read so far."""
        return sorted(self._schemas)

    def is_cached(self, provider: str) -> bool:
        binding = self.bindings.get(provider)
        return binding is not None and (provider in self._schemas or self.cache_file(binding).is_file())

    def schema(self, provider: str) -> dict | None:
        """The schema of PROVIDER's installed binding, or None when no binding for it is installed."""
        if provider in self._schemas:
            return self._schemas[provider]
        binding = self.bindings.get(provider)
        if binding is None:
            return None
        cached = self.cache_file(binding)
        try:
            schema = _unpacked(json.loads(cached.read_text(encoding="utf-8")), cached)
        except (OSError, ValueError):   # not derived yet, or a damaged file: derive it (again)
            schema = _derived(binding)
            try:
                write_atomically(cached, json.dumps(_packed(schema), separators=(",", ":"), sort_keys=True))
            except OSError:   # a read-only cache: the check still runs, and derives again next time
                pass
        self._schemas[provider] = schema
        return schema


def _packed(schema: dict) -> dict:
    return {key: {name: json.dumps(block, separators=(",", ":"), sort_keys=True) for name, block in value.items()}
            if key in TYPE_SECTIONS else value for key, value in schema.items()}


def _unpacked(data: dict, source: Path) -> dict:
    if not isinstance(data, dict):
        raise ValueError("not a schema")
    return {key: _Blocks(value, source) if key in TYPE_SECTIONS and isinstance(value, dict) else value
            for key, value in data.items()}


class _Blocks(Mapping):
    """A section of a cached schema: type name -> block, each decoded on first use."""

    def __init__(self, encoded: dict, source: Path) -> None:
        self._encoded, self._decoded, self._source = encoded, {}, source

    def __getitem__(self, name: str) -> dict:
        if name not in self._decoded:
            block = self._encoded[name]
            try:
                self._decoded[name] = json.loads(block) if isinstance(block, str) else block
            except ValueError:
                raise ScanError(f"the cached provider schema {self._source} is damaged at '{name}'; remove the "
                                "file and the next check derives it again") from None
        return self._decoded[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._encoded)

    def __len__(self) -> int:
        return len(self._encoded)

    def __contains__(self, name: object) -> bool:
        return name in self._encoded


def _derived(binding: Binding) -> dict:
    """The binding's schema from its assembly; ScanError (exit 4) when the assembly is missing or unreadable:
    the check cannot run, which is never a pass."""
    try:
        return derive_schema(read_assembly(binding.assembly_archive()), binding.package)
    except (OSError, ValueError, KeyError, tarfile.TarError) as error:
        raise ScanError(f"the provider schema of {binding.provider} cannot be derived from {binding.package} "
                        f"{binding.version}: {error}") from None
