"""At the site: verify a bundle (signature, then every checksum), unpack it, and run `terraform init` against the
bundled mirror only (a CLI config whose one installation method is that mirror: no `direct`, so nothing is
fetched from a registry) and then `terraform plan`."""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..crypto.envelope import MAGIC, decrypt_file
from ..crypto.keys import Identity
from ..crypto.signing import VerifyKey
from ..errors import ToolError, UsageError
from ..files import private_directory
from ..tools.terraform import TerraformResult, run_terraform
from .archive import read_bundle, signature_path
from .build import MIRROR_DIR, STACK_DIR

CLI_CONFIG = "terraformrc"
TERRAFORM_TIMEOUT = 900


@contextmanager
def _plain_bundle(bundle: Path, identity: Identity | None) -> Iterator[BinaryIO]:
    """The bundle's tar.gz bytes: the file itself, or its decryption (all of it authenticated first) into an
    owner-only scratch file."""
    with open(bundle, "rb") as handle:
        encrypted = handle.read(len(MAGIC)) == MAGIC
        if not encrypted:
            handle.seek(0)
            yield handle
            return
    if identity is None:
        raise UsageError(f"{bundle} is encrypted: pass the site's private key (-k/--key, or NEXUS_PRIVATE_KEY)")
    with tempfile.TemporaryDirectory(prefix="nexus-bundle-") as scratch:
        plain = Path(scratch) / "bundle.tar.gz"
        decrypt_file(bundle, plain, identity)
        with open(plain, "rb") as handle:
            yield handle


def verify_bundle(bundle: Path, key: VerifyKey, *, identity: Identity | None = None,
                  signature: Path | None = None, extract_to: Path | None = None) -> dict:
    """The bundle's manifest once its signature and every file's checksum verify; VerificationError otherwise."""
    if not bundle.is_file():
        raise UsageError(f"{bundle}: no such bundle file")
    with _plain_bundle(bundle, identity) as plain:
        return read_bundle(plain, signature or signature_path(bundle), key, str(bundle), extract_to)


def cli_config_text(mirror: Path) -> str:
    return ("# Written by `nexus bundle apply`: providers come from the bundle's mirror and nowhere else.\n"
            f'provider_installation {{\n  filesystem_mirror {{\n    path = "{mirror}"\n  }}\n}}\n')


@dataclass(frozen=True)
class Applied:
    manifest: dict
    stack_dir: Path
    init: TerraformResult
    plan: TerraformResult | None


def unpack_bundle(bundle: Path, key: VerifyKey, directory: Path, *, identity: Identity | None = None,
                  signature: Path | None = None) -> dict:
    """Verify BUNDLE while unpacking it into a scratch folder, then put it in place in DIRECTORY; a bundle that
    fails leaves DIRECTORY as it was. A later bundle for the same site replaces the previous one's stack and
    mirror and keeps the site's state (the stack's `*.tfstate*`)."""
    directory = private_directory(directory.resolve())
    scratch = Path(tempfile.mkdtemp(prefix=".nexus-bundle-", dir=directory))
    try:
        manifest = verify_bundle(bundle, key, identity=identity, signature=signature, extract_to=scratch)
        _put_in_place(scratch, directory)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    (directory / CLI_CONFIG).write_text(cli_config_text(directory / MIRROR_DIR), encoding="utf-8")
    return manifest


def _put_in_place(scratch: Path, directory: Path) -> None:
    """SCRATCH's verified stack/ and mirror/ into DIRECTORY; the previous ones go to SCRATCH (removed with it),
    the site's state files move into the new stack/ first."""
    for name in (STACK_DIR, MIRROR_DIR):
        new, current = scratch / name, directory / name
        new.mkdir(exist_ok=True)
        if name == STACK_DIR and current.is_dir():
            for state in sorted(current.glob("*.tfstate*")):
                state.rename(new / state.name)
        if current.exists():
            current.rename(scratch / f"previous-{name}")
        new.rename(current)


def apply_bundle(bundle: Path, key: VerifyKey, directory: Path, *, identity: Identity | None = None,
                 signature: Path | None = None, plan: bool = True) -> Applied:
    """Verify and unpack BUNDLE into DIRECTORY, `terraform init` from its mirror alone, then `terraform plan`."""
    manifest = unpack_bundle(bundle, key, directory, identity=identity, signature=signature)
    stack_dir = directory.resolve() / STACK_DIR
    config = directory.resolve() / CLI_CONFIG
    init = run_terraform(stack_dir, "init", "-input=false", "-no-color", "-lockfile=readonly", cli_config=config,
                         timeout=TERRAFORM_TIMEOUT)
    if not init.ok:
        raise ToolError(f"terraform init from the bundle's mirror failed in {stack_dir}:\n{init.output.strip()}")
    planned = run_terraform(stack_dir, "plan", "-input=false", "-no-color", cli_config=config,
                            timeout=TERRAFORM_TIMEOUT) if plan else None
    if planned is not None and not planned.ok:
        raise ToolError(f"terraform init from the bundle's mirror succeeded; terraform plan failed in {stack_dir}:\n"
                        f"{planned.output.strip()[-4000:]}")
    return Applied(manifest, stack_dir, init, planned)
