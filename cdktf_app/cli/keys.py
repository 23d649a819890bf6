"""`nexus keys generate | show | rotate | decrypt`: the recipient key pairs Nexus encrypts its own artifacts to."""
from __future__ import annotations

from pathlib import Path

import click

from .options import is_stdout, output_file_option

KEY_FILE = click.option("-k", "--key", "key_file", type=click.Path(path_type=Path),
                        help="Private key file (from `nexus keys generate -o`); default: the NEXUS_PRIVATE_KEY "
                             "environment variable. A KMS-wrapped key is unwrapped with kms:Decrypt (exit 4 if KMS "
                             "cannot be used).")


@click.group()
def keys() -> None:
    """Recipient keys: hybrid ML-KEM-768 + X25519 (default) or X25519 alone (--classical)."""


@keys.command("generate")
@output_file_option("Write the private key to this new file (mode 0600, never overwritten) and print its public "
                    "recipient.")
@click.option("--classical", is_flag=True, help="X25519 only, for where ML-KEM is not available (not quantum-safe).")
@click.option("--kms-key-id", metavar="ARN_OR_ALIAS",
              help="Wrap the private key with this AWS KMS key (kms:Encrypt): the file holds only KMS ciphertext, "
                   "and every command that reads it needs kms:Decrypt on the key.")
@click.option("--region", help="The KMS key's region (default: AWS_DEFAULT_REGION or the profile's); kept in the "
                                "file.")
@click.option("--endpoint-url", metavar="URL",
              help="Another KMS endpoint (default: AWS_ENDPOINT_URL, else AWS's). Reading the key later uses "
                   "AWS_ENDPOINT_URL, not this.")
def generate(output_file: Path | None, classical: bool, kms_key_id: str | None, region: str | None,
             endpoint_url: str | None) -> None:
    """Make a new key pair.

    With --kms-key-id the private key is wrapped by AWS KMS (encryption context: nexus=private-key and the key's
    recipient fingerprint; file format nexus-kms-wrapped/1), with boto3's usual credentials. Exit 4 when KMS
    cannot be used (no credentials, access denied, key disabled or missing, KMS unreachable): the key cannot be
    obtained, so nothing runs; exit 2 for a malformed wrapped file or one KMS refuses to open (altered, or
    wrapped with another encryption context). GCP KMS and Azure Key Vault are not offered.
    """
    from ..crypto.keys import CLASSICAL, HYBRID, generate_identity, identity_file_text, write_identity
    from ..crypto.kms import KmsKey
    from ..errors import UsageError

    if kms_key_id is None and (region or endpoint_url):
        raise UsageError("--region and --endpoint-url are for --kms-key-id: name the KMS key that wraps the key")
    kms = KmsKey(kms_key_id, region, endpoint_url) if kms_key_id else None
    identity = generate_identity(CLASSICAL if classical else HYBRID)
    if is_stdout(output_file):
        click.echo(identity_file_text(identity, kms), nl=False)
        return
    write_identity(identity, output_file, kms)
    wrapped = f", wrapped by KMS key {kms_key_id}" if kms else ""
    click.echo(f"wrote {output_file} (private key{wrapped}, mode 0600)", err=True)
    click.echo(str(identity.recipient))


@keys.command("show")
@KEY_FILE
def show(key_file: Path | None) -> None:
    """Print the public recipient string of a private key (what files are encrypted to)."""
    from ..crypto.keys import load_identity

    click.echo(str(load_identity(key_file).recipient))


@keys.command("rotate")
@click.argument("files", nargs=-1, type=click.Path(exists=True, path_type=Path))
@KEY_FILE
@click.option("--to", "recipients", multiple=True, required=True, metavar="RECIPIENT",
              help="The new recipient (`nexus keys show` of the new key); repeat for several.")
@click.option("--runs", "runs_of", type=click.Path(file_okay=False, path_type=Path), metavar="PROJECT",
              help="Also the run history of this project folder (.nexus/runs.db, or NEXUS_RUNS_URL): its "
                   "encrypted columns, in one transaction.")
def rotate(files: tuple[Path, ...], key_file: Path | None, recipients: tuple[str, ...],
           runs_of: Path | None) -> None:
    """Re-encrypt encrypted FILES (state backups, saved plans and plan JSON, ...) in place to new recipients,
    atomically (a file that fails is left as it was); with --runs, the run history too (all or nothing)."""
    from ..crypto.envelope import rotate_file
    from ..crypto.keys import load_identity, parse_recipient
    from ..errors import UsageError

    if not files and runs_of is None:
        raise UsageError("nothing to rotate: name encrypted FILES, or --runs PROJECT")
    identity = load_identity(key_file)
    new = [parse_recipient(text) for text in recipients]
    for path in files:
        rotate_file(path, identity, new)
        click.echo(f"rotated {path}", err=True)
    if runs_of is not None:
        from ..runs import RunStore, runs_url

        with RunStore(runs_url(runs_of)) as store:
            count = store.rotate_sealed(identity, new)
        click.echo(f"rotated {count} encrypted value(s) in the run history of {runs_of}", err=True)


@keys.command("decrypt")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@KEY_FILE
def decrypt(file: Path, key_file: Path | None) -> None:
    """Print an encrypted file's plaintext (a state backup, to restore it by hand). Nothing is printed unless the
    whole file authenticates."""
    from ..crypto.envelope import decrypt_bytes
    from ..crypto.keys import load_identity

    plaintext, _ = decrypt_bytes(file.read_bytes(), load_identity(key_file), str(file))
    click.echo(plaintext, nl=False)


@click.command("key-provider")
@click.option("--spec", "spec_file", type=click.Path(path_type=Path),
              help="Encrypt to this spec's `encryption.recipients`.")
@click.option("--to", "recipients", multiple=True, metavar="RECIPIENT",
              help="Encrypt to this recipient (`nexus keys show`); repeat for several. Instead of --spec.")
@KEY_FILE
def key_provider(spec_file: Path | None, recipients: tuple[str, ...], key_file: Path | None) -> None:
    """OpenTofu's external key provider (protocol version 1), run by OpenTofu, not by hand: a fresh data key for
    each encryption, stored in OpenTofu's metadata sealed to the recipients; decryption opens it with the private
    key (--key or NEXUS_PRIVATE_KEY, needed only then).

    \b
    terraform {
      encryption {
        key_provider "external" "nexus" { command = ["nexus", "key-provider", "--spec", "nexus.yaml"] }
        method "aes_gcm" "nexus" { keys = key_provider.external.nexus }
        state { method = method.aes_gcm.nexus }
        plan  { method = method.aes_gcm.nexus }
      }
    }
    """
    import sys

    from ..crypto.key_provider import serve
    from ..crypto.keys import load_identity, parse_recipient
    from ..errors import UsageError

    if bool(spec_file) == bool(recipients):
        raise UsageError("give --spec FILE or --to RECIPIENT (one of them): whom the data keys are sealed to")
    if spec_file:
        from ..spec.loader import load_spec

        encryption = load_spec(spec_file).spec.encryption
        if encryption is None:
            raise UsageError(f"{spec_file}: encryption.recipients: the spec has no `encryption` section; add "
                             "the recipients (`nexus keys show`) or pass --to")
        recipients = tuple(encryption.recipients)
    serve(sys.stdin, sys.stdout, [parse_recipient(text) for text in recipients], lambda: load_identity(key_file))
