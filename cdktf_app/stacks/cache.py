"""The synth cache key: everything the synthesized output depends on, hashed.

The spec's bytes, Nexus' version and its own code (an edited construct must not be served from the cache),
the versions of the CDK runtime and bindings, the HCL modules and any function source directories the spec
points at. Computing it imports no CDK code (that costs seconds). The output is reused only if each file synth
wrote still has the digest recorded in nexus.json.
"""
from __future__ import annotations

import hashlib
from functools import cache
from importlib import metadata
from pathlib import Path

from .. import __version__
from ..spec.loader import LoadedSpec
from ..spec.model import Function

BINDING_DISTRIBUTIONS = ("cdktn", "cdktn-provider-aws", "cdktn-provider-google", "cdktn-provider-azurerm",
                         "cdktn-provider-kubernetes", "cdktn-provider-vault", "cdktn-provider-random",
                         "cdktn-provider-time", "jsii", "constructs")


@cache
def binding_versions() -> tuple[str, ...]:
    versions = []
    for distribution in BINDING_DISTRIBUTIONS:
        try:
            versions.append(f"{distribution}=={metadata.version(distribution)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{distribution}==missing")
    return tuple(versions)


@cache
def code_digest() -> bytes:
    """Nexus' own Python code, hashed (~150 files, a few milliseconds)."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.digest()


def _hash_files(digest, files: list[tuple[str, bytes]]) -> None:
    for name, content in files:
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())


def cache_key(loaded: LoadedSpec) -> str:
    from ..hcl_modules import modules_dir
    from ..kit.assets import function_source_files

    digest = hashlib.sha256()
    digest.update(loaded.digest.encode())
    digest.update(__version__.encode())
    digest.update(code_digest())
    digest.update("\n".join(binding_versions()).encode())
    digest.update(str(loaded.path.name if loaded.path else "<spec>").encode())
    uses_modules = loaded.spec.providers.edge is not None or any(
        component.type == "module" for component in loaded.spec.components.values())
    if uses_modules:  # synth copies each module's *.tf files
        modules = modules_dir()
        _hash_files(digest, [(path.relative_to(modules).as_posix(), path.read_bytes())
                             for path in sorted(modules.glob("*/*.tf"))])
    for name, component in loaded.spec.components.items():
        if isinstance(component, Function) and component.source:
            where = loaded.source.problem(("components", name, "source"), "")
            _hash_files(digest, function_source_files(loaded.base_dir, component.source, where))
    return digest.hexdigest()


def output_digests(directory: Path) -> dict[str, str]:
    """The SHA-256 of every file synth wrote under `directory`, by relative path: nexus.json keeps them so that a
    hand-edited or deleted output is never served from the cache."""
    return {path.relative_to(directory).as_posix(): _file_digest(path)
            for path in sorted(directory.rglob("*")) if path.is_file()}


def outputs_unchanged(out_dir: Path, digests: dict[str, str] | None) -> bool:
    if not digests:
        return False
    try:
        return all(_file_digest(out_dir / name) == digest for name, digest in digests.items())
    except OSError:
        return False


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
