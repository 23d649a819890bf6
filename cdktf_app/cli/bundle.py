"""`nexus bundle SPEC --location L -o site.bundle | keygen | verify | apply`: air-gapped edge bundles."""
from __future__ import annotations

from pathlib import Path

import click

from .cost import _CostGroup as _TargetFirstGroup  # `nexus bundle SPEC ...` beside `nexus bundle verify ...`
from .options import OutputFile, is_stdout, output_file_option

PUBLIC_KEY = click.option("--public-key", "public_key", required=True, metavar="KEY",
                          help="The signer's public key (`nexus1-sign-...`, as `nexus bundle keygen` prints it), "
                               "or a file holding it.")
SITE_KEY = click.option("-k", "--key", "key_file", type=click.Path(path_type=Path),
                        help="The site's private key, for an encrypted bundle (default: NEXUS_PRIVATE_KEY).")
SIGNATURE = click.option("--signature", "signature", type=click.Path(path_type=Path),
                         help="The signature file (default: BUNDLE.sig beside the bundle).")


def _verify_key(text: str):
    """The public key given as such, or read from the file named."""
    from ..crypto.signing import PUBLIC_PREFIX, parse_verify_key
    from ..errors import UsageError

    if text.strip().startswith(PUBLIC_PREFIX):
        return parse_verify_key(text)
    try:
        return parse_verify_key(Path(text).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        # the value is not echoed: a private key pasted here by mistake must not reach a log
        raise UsageError(f"--public-key: neither a `{PUBLIC_PREFIX}...` key nor a readable file holding one "
                         f"({error.__class__.__name__})") from None


def _site_identity(bundle: Path, key_file: Path | None):
    """The site's private key when the bundle is encrypted and one is given (else None: the library says what is
    missing)."""
    import os

    from ..crypto.envelope import MAGIC
    from ..crypto.keys import PRIVATE_KEY_VARIABLE, load_identity

    if not bundle.is_file():
        return None
    with open(bundle, "rb") as handle:
        encrypted = handle.read(len(MAGIC)) == MAGIC
    if encrypted and (key_file or os.environ.get(PRIVATE_KEY_VARIABLE)):
        return load_identity(key_file)
    return None


def _summary(manifest: dict) -> str:
    site = manifest["site"]
    providers = ", ".join(f"{item['source'].split('/', 1)[-1]} {item['version']}" for item in manifest["providers"])
    named = ", ".join(str(site[key]) for key in ("spec", "environment") if key in site)
    return (f"site {site.get('location')} ({named + ', ' if named else ''}stack {site.get('stack')}): "
            f"{len(manifest['files'])} files, providers {providers or 'none'}, signed "
            f"{' + '.join(manifest['signatures']['algorithms'])}")


@click.group(cls=_TargetFirstGroup, invoke_without_command=True)
@click.argument("spec", type=click.Path(path_type=Path), default="nexus.yaml")
@click.option("--location", "location", metavar="L", help="The air-gapped edge location to pack (required).")
@click.option("--environment", "environment", metavar="ENV", help="Its environment, when the spec has several.")
@click.option("-o", "--output-file", "output_file", type=OutputFile(), metavar="PATH",
              help="The bundle to write (required; a file, never stdout); its signature goes beside it, as PATH.sig.")
@click.option("--recipient", "recipients", multiple=True, metavar="RECIPIENT",
              help="Encrypt the bundle to the site's key (`nexus keys show` at the site); repeat for several.")
@click.option("--signing-key", "signing_key", type=click.Path(path_type=Path),
              help="The signing key file (from `nexus bundle keygen -o`); default: NEXUS_SIGNING_KEY.")
@click.option("--platform", default="linux_amd64", show_default=True, help="The site's OS_ARCH for providers.")
@click.pass_context
def bundle(ctx: click.Context, spec: Path, location: str | None, environment: str | None,
           output_file: Path | None, recipients: tuple[str, ...], signing_key: Path | None, platform: str) -> None:
    """Pack an air-gapped edge site for carrying to it: the site's stack JSON and modules, the providers it
    needs from the local mirror (NEXUS_PROVIDER_MIRROR, else the usual places) with their lock-file hashes, the
    terraform version constraint and a manifest of SHA-256 checksums; signed (Ed25519 + ML-DSA-65) into
    PATH.sig, optionally encrypted to the site's key. The same inputs give the same bytes.

    \b
    Examples:
      nexus bundle keygen -o signing.key > signing.pub
      nexus bundle nexus.yaml --location factory_floor -o site.bundle --signing-key signing.key
      nexus bundle verify site.bundle --public-key signing.pub
      nexus bundle apply site.bundle --public-key signing.pub --dir site
    """
    from ..bundle import build_bundle
    from ..crypto.keys import parse_recipient
    from ..crypto.signing import load_signing_key
    from ..errors import UsageError
    from ..workspace import load

    if ctx.invoked_subcommand:
        return
    if not location:
        raise UsageError("nexus bundle: --location L is required (an air-gapped edge location of the spec)")
    if is_stdout(output_file):
        raise UsageError("nexus bundle: -o/--output-file PATH is required (the signature is written beside it)")
    loaded = load(spec)   # the spec's problems first, then the key's
    built = build_bundle(loaded, location, output_file, load_signing_key(signing_key), environment=environment,
                         recipients=[parse_recipient(text) for text in recipients] or None, platform=platform)
    click.echo(f"wrote {built.path} ({'encrypted, ' if built.encrypted else ''}signature {built.signature.name}): "
               f"{_summary(built.manifest)}")


@bundle.command("keygen")
@output_file_option("Write the signing key to this new file (mode 0600, never overwritten) and print its public "
                    "key.")
@click.option("--classical", is_flag=True, help="Ed25519 only (where ML-DSA is not available; not quantum-safe).")
def keygen(output_file: Path | None, classical: bool) -> None:
    """Make a signing key: Ed25519 + ML-DSA-65 where the crypto library offers ML-DSA, else Ed25519."""
    from ..crypto.signing import CLASSICAL, generate_signing_key, signing_key_file_text, write_signing_key

    key = generate_signing_key(CLASSICAL if classical else None)
    if is_stdout(output_file):
        click.echo(signing_key_file_text(key), nl=False)
        return
    write_signing_key(key, output_file)
    click.echo(f"wrote {output_file} (signing key, mode 0600)", err=True)
    click.echo(str(key.verify_key))


@bundle.command("verify")
@click.argument("bundle_file", metavar="BUNDLE", type=click.Path(path_type=Path))
@PUBLIC_KEY
@SITE_KEY
@SIGNATURE
def verify(bundle_file: Path, public_key: str, key_file: Path | None, signature: Path | None) -> None:
    """Check BUNDLE's signature and every file's SHA-256 against its manifest. Exit 1 when it fails."""
    from ..bundle import verify_bundle

    manifest = verify_bundle(bundle_file, _verify_key(public_key), identity=_site_identity(bundle_file, key_file),
                             signature=signature)
    click.echo(f"verified {bundle_file}: {_summary(manifest)}")


@bundle.command("apply")
@click.argument("bundle_file", metavar="BUNDLE", type=click.Path(path_type=Path))
@PUBLIC_KEY
@click.option("--dir", "directory", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="The site's folder: stack/, mirror/ and terraformrc go there; a later bundle replaces them and keeps "
                   "the stack's state files.")
@SITE_KEY
@SIGNATURE
def apply(bundle_file: Path, public_key: str, directory: Path, key_file: Path | None,
          signature: Path | None) -> None:
    """At the site: verify BUNDLE, unpack it into --dir, `terraform init` from the bundled mirror only (nothing
    from the network), then `terraform plan`. The plan is printed; apply it with terraform in DIR/stack."""
    from ..bundle import apply_bundle

    applied = apply_bundle(bundle_file, _verify_key(public_key), directory,
                           identity=_site_identity(bundle_file, key_file), signature=signature)
    click.echo(applied.plan.output.rstrip("\n"))
    click.echo(f"verified and unpacked {bundle_file} into {directory}: {_summary(applied.manifest)}; "
               f"initialized from the bundled mirror, planned in {applied.stack_dir}", err=True)
