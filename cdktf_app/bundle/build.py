"""Building an air-gapped edge site's bundle: the site's stack as synth wrote it (its JSON and the modules beside
it), the provider packages it needs copied from the local filesystem mirror, the lock file terraform computes for
them (`terraform providers lock -fs-mirror`: h1: hashes, and zh: for zipped packages), the terraform version
constraint, and a manifest of SHA-256 checksums, signed; optionally encrypted to the site's recipient key."""
from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..build import build
from ..crypto.envelope import encrypt_stream
from ..crypto.keys import Recipient
from ..crypto.signing import ML_DSA, SigningKey, ml_dsa_supported
from ..errors import SpecError, ToolError, UsageError
from ..files import write_atomically, write_atomically_with
from ..layout import read_manifest
from ..spec.loader import LoadedSpec
from ..tools.terraform import (MINIMUM_VERSION, REGISTRY_HOST, find_provider_mirror, run_terraform,
                               terraform_version)
from .archive import (FORMAT, SIGNING_CONTEXT, Member, manifest_bytes, manifest_entries, signature_document,
                      signature_path, write_bundle)

AIR_GAPPED = "air_gapped"
DEFAULT_PLATFORM = "linux_amd64"
STACK_DIR, MIRROR_DIR, LOCK_FILE = "stack", "mirror", ".terraform.lock.hcl"
LOCK_TIMEOUT = 600


@dataclass(frozen=True)
class BuiltBundle:
    path: Path
    signature: Path
    manifest: dict
    encrypted: bool


def site_stack(loaded: LoadedSpec, location: str, environment: str | None) -> tuple[str, str]:
    """The edge stack of LOCATION (and ENVIRONMENT) and its environment; a located spec error when the spec has no
    such air-gapped site."""
    spec, source = loaded.spec, loaded.source
    edge = spec.providers.edge
    if edge is None or location not in edge.locations:
        known = ", ".join(edge.locations) if edge else "none (no providers.edge)"
        raise SpecError([source.problem(("providers", "edge", "locations"),
                                        f"expected an edge location named {location!r}; the spec has {known}")])
    if edge.update_strategy != AIR_GAPPED:
        raise SpecError([source.problem(("providers", "edge", "update_strategy"),
                                        f"a bundle is for air-gapped sites: expected {AIR_GAPPED!r}, got "
                                        f"{edge.update_strategy!r}")])
    environments = list(spec.environments)
    if environment is None and len(environments) > 1:
        raise UsageError(f"the spec has environments {', '.join(environments)}: name one with --environment")
    environment = environment or environments[0]
    if environment not in environments:
        raise UsageError(f"--environment {environment!r}: expected one of {', '.join(environments)}")
    return environment, location


def _stack_files(out_dir: Path, stack: str) -> list[str]:
    """The stack's files as synth recorded them (nexus.json outputs), relative to its folder: never state, plans
    or .terraform/."""
    prefix = f"stacks/{stack}/"
    recorded = (read_manifest(out_dir) or {}).get("outputs", {})
    return [name[len(prefix):] for name in sorted(recorded) if name.startswith(prefix)]


def _locked_providers(lock_text: str) -> list[tuple[str, str, list[str]]]:
    """(source address, version, hashes) of each provider in a .terraform.lock.hcl."""
    import hcl2

    found = []
    for block in hcl2.loads(lock_text).get("provider", []):
        for address, body in block.items():
            found.append((address.strip('"'), body["version"].strip('"'),
                          sorted(item.strip('"') for item in body.get("hashes", []))))
    return found


def _provider_members(mirror: Path, address: str, version: str, platform: str) -> list[Member]:
    """The mirror's package of ADDRESS VERSION for PLATFORM, unpacked (a folder) or packed (a zip), as it is."""
    relative = Path(address)
    unpacked = mirror / relative / version / platform
    packed = mirror / relative.parent / relative.name / \
        f"terraform-provider-{relative.name}_{version}_{platform}.zip"
    if unpacked.is_dir():
        return [Member(f"{MIRROR_DIR}/{path.relative_to(mirror).as_posix()}", path,
                       executable=bool(path.stat().st_mode & 0o111))
                for path in sorted(unpacked.rglob("*")) if path.is_file()]
    if packed.is_file():
        return [Member(f"{MIRROR_DIR}/{packed.relative_to(mirror).as_posix()}", packed)]
    raise ToolError(f"provider {address} {version} ({platform}) is not in the mirror {mirror}; add it there first "
                    f"(`terraform providers mirror -platform={platform} {mirror}` on a connected machine)")


def _lock_file(stack_dir: Path, mirror: Path, platform: str) -> str:
    """The lock file terraform writes for the stack from MIRROR alone (modules fetched first: they are local)."""
    with tempfile.TemporaryDirectory(prefix="nexus-bundle-") as scratch:
        work = Path(scratch) / STACK_DIR
        shutil.copytree(stack_dir, work, ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", LOCK_FILE))
        for arguments in (("get", "-no-color"),
                          ("providers", "lock", f"-fs-mirror={mirror}", f"-platform={platform}", "-no-color")):
            result = run_terraform(work, *arguments, timeout=LOCK_TIMEOUT)
            if not result.ok:
                raise ToolError(f"terraform {' '.join(arguments[:2])} failed for the bundle:\n"
                                f"{result.output.strip()[-2000:]}")
        return (work / LOCK_FILE).read_text(encoding="utf-8")


def _terraform_constraint(stack_files: list[Path]) -> str:
    """The stack's `terraform.required_version`, else the oldest terraform Nexus supports."""
    for path in stack_files:
        required = json.loads(path.read_text(encoding="utf-8")).get("terraform", {}).get("required_version")
        if required:
            return required
    return f">= {'.'.join(map(str, MINIMUM_VERSION))}"


def bundle_manifest(site: dict, platform: str, constraint: str, providers: list[tuple[str, str, list[str]]],
                    members: list[Member]) -> dict:
    return {
        "format": FORMAT,
        "site": site,
        "terraform": {"required_version": constraint, "locked_with": ".".join(map(str, terraform_version()))},
        "platform": platform,
        "providers": [{"source": address, "version": version, "hashes": hashes}
                      for address, version, hashes in providers],
        "signatures": _signature_note(),
        "files": manifest_entries(members),
    }


def _signature_note() -> dict:
    if ml_dsa_supported():
        return {"algorithms": ["Ed25519", ML_DSA]}
    return {"algorithms": ["Ed25519"], "note": "the installed `cryptography` offers no ML-DSA: Ed25519 only, "
                                               "not quantum-safe"}


def build_bundle(loaded: LoadedSpec, location: str, output: Path, signing_key: SigningKey, *,
                 environment: str | None = None, recipients: list[Recipient] | None = None,
                 platform: str = DEFAULT_PLATFORM, mirror: Path | None = None) -> BuiltBundle:
    """Pack LOCATION's air-gapped site into OUTPUT (and its signature into OUTPUT.sig); encrypted when RECIPIENTS
    are given. The mirror is the project's (NEXUS_PROVIDER_MIRROR, else the usual places) unless named."""
    environment, location = site_stack(loaded, location, environment)
    result = build(loaded, None).result
    stack = next(info.name for info in result.stacks
                 if info.provider == "edge" and info.location == location and info.environment == environment)
    site = {"spec": loaded.spec.name, "environment": environment, "location": location, "stack": stack,
            "update_strategy": AIR_GAPPED}
    return pack_stack(result.stack_dir(stack), _stack_files(result.out_dir, stack), site, output, signing_key,
                      recipients=recipients, platform=platform, mirror=mirror)


def pack_stack(stack_dir: Path, files: list[str], site: dict, output: Path, signing_key: SigningKey, *,
               recipients: list[Recipient] | None = None, platform: str = DEFAULT_PLATFORM,
               mirror: Path | None = None) -> BuiltBundle:
    """What build_bundle does once it has the site's stack: FILES of STACK_DIR (its configuration, relative
    paths), the providers it needs from the mirror and their lock file, a manifest naming SITE; signed, and
    encrypted when RECIPIENTS are given."""
    mirror = mirror or find_provider_mirror()
    if mirror is None:
        raise ToolError("no provider mirror found: set NEXUS_PROVIDER_MIRROR to a folder holding "
                        f"{REGISTRY_HOST}/<namespace>/<provider>/ (made by `terraform providers mirror`)")
    lock_text = _lock_file(stack_dir, mirror, platform)
    providers = _locked_providers(lock_text)
    members = [Member(f"{STACK_DIR}/{name}", stack_dir / name) for name in files]
    members.append(Member(f"{STACK_DIR}/{LOCK_FILE}", lock_text.encode()))
    for address, version, _ in providers:
        members += _provider_members(mirror, address, version, platform)
    constraint = _terraform_constraint([stack_dir / name for name in files if name.endswith(".tf.json")])
    manifest = bundle_manifest(site, platform, constraint, providers, members)
    manifest_data = manifest_bytes(manifest)
    if recipients:
        write_atomically_with(output, lambda sink: _write_encrypted(sink, manifest_data, members, recipients, site))
    else:
        write_atomically_with(output, lambda sink: write_bundle(sink, manifest_data, members))
    signature = signature_path(output)
    write_atomically(signature, signature_document(manifest_data, signing_key.sign(manifest_data, SIGNING_CONTEXT),
                                                   signing_key.verify_key.fingerprint).decode("utf-8"))
    return BuiltBundle(output, signature, manifest, bool(recipients))


def _write_encrypted(sink, manifest_data: bytes, members: list[Member], recipients: list[Recipient],
                     site: dict) -> None:
    with tempfile.TemporaryFile() as plain:
        write_bundle(plain, manifest_data, members)
        plain.seek(0)
        encrypt_stream(plain, sink, recipients, {"kind": FORMAT, **site})

