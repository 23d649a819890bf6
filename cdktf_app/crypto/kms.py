"""Private keys wrapped by AWS KMS: the key file holds only a KMS ciphertext of the secret key text, so reading it
takes kms:Decrypt on one KMS key (an IAM permission that can be granted, audited in CloudTrail and revoked).

The file (JSON, versioned by `format`):

    {"format": "nexus-kms-wrapped/1", "kms": "aws", "kms_key_id": "<key ARN>", "region": "<region>",
     "encryption_context": {"nexus": "private-key", "recipient": "<recipient fingerprint>"},
     "ciphertext": "<base64 CiphertextBlob>"}

The encryption context is authenticated by KMS: a ciphertext opens only with the context it was wrapped with, so
a KMS ciphertext made for anything else cannot pass as a Nexus key, and the recipient it names is checked against
the unwrapped key. Credentials, region and endpoint come from boto3's standard chain (AWS_PROFILE,
AWS_DEFAULT_REGION, AWS_ENDPOINT_URL, ...); the region is also kept in the file, as the key lives there.

Errors: a malformed file, or one KMS refuses to open (altered, or wrapped with another context) is bad input,
exit 2; KMS that cannot be used (no credentials, access denied, key disabled or missing, KMS unreachable) means
the key cannot be obtained and the operation cannot run, exit 4. GCP KMS and Azure Key Vault are not offered."""
from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass

from ..errors import EncryptionError, UsageError

FORMAT = "nexus-kms-wrapped/1"
FORMAT_PREFIX = "nexus-kms-wrapped/"
PURPOSE = {"nexus": "private-key"}
FINGERPRINT = re.compile(r"[0-9a-f]{16}")
FIELDS = {"format": str, "kms": str, "kms_key_id": str, "region": str, "encryption_context": dict, "ciphertext": str}
# KMS answers that mean "this ciphertext does not open here": the file is wrong, not the environment.
REFUSED_CIPHERTEXT = {"InvalidCiphertextException", "IncorrectKeyException"}


class KeyUnavailableError(EncryptionError):
    """The private key cannot be obtained from KMS (no credentials, access denied, key disabled or missing, KMS
    unreachable): the operation that needs it cannot run, exit 4."""

    exit_code = 4


@dataclass(frozen=True)
class KmsKey:
    """The AWS KMS key a private key is wrapped with: an ARN, key id or alias (`alias/nexus`)."""

    key_id: str
    region: str | None = None
    endpoint_url: str | None = None


def context_for(fingerprint: str) -> dict[str, str]:
    return PURPOSE | {"recipient": fingerprint}


def _client(region: str | None, endpoint_url: str | None = None):
    from boto3.session import Session
    from botocore.config import Config
    from botocore.exceptions import NoRegionError

    config = Config(retries={"max_attempts": 2, "mode": "standard"}, connect_timeout=10, read_timeout=30)
    try:  # a session of its own: credentials are looked up now, not reused from an earlier default session
        return Session().client("kms", region_name=region, endpoint_url=endpoint_url, config=config)
    except NoRegionError:
        raise UsageError("AWS KMS: no region: pass --region or set AWS_DEFAULT_REGION") from None


def _call(client, operation: str, where: str, **parameters) -> dict:
    """One KMS call; its failures as Nexus errors (see the module's docstring for which exit code)."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return getattr(client, operation)(**parameters)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        message = error.response.get("Error", {}).get("Message", "")
        if code in REFUSED_CIPHERTEXT:
            raise EncryptionError(
                f"{where}: KMS refused to decrypt it ({code}): the file was altered, or wrapped with another "
                f"KMS key or encryption context than {parameters.get('EncryptionContext')}") from None
        raise KeyUnavailableError(f"{where}: AWS KMS {operation} failed ({code}: {message}); the private key "
                                  "cannot be obtained") from None
    except BotoCoreError as error:  # no credentials, endpoint unreachable, timeouts
        raise KeyUnavailableError(f"{where}: AWS KMS {operation} failed: {error}; the private key cannot be "
                                  "obtained") from None


def wrap_secret(secret: str, fingerprint: str, key: KmsKey) -> str:
    """The wrapped-key file text holding SECRET (a NEXUS-SECRET-KEY line) encrypted by KEY with kms:Encrypt."""
    client = _client(key.region, key.endpoint_url)
    context = context_for(fingerprint)
    answer = _call(client, "encrypt", f"KMS key {key.key_id}", KeyId=key.key_id, Plaintext=secret.encode("ascii"),
                   EncryptionContext=context)
    wrapped = {"format": FORMAT, "kms": "aws", "kms_key_id": answer["KeyId"], "region": client.meta.region_name,
               "encryption_context": context,
               "ciphertext": base64.b64encode(answer["CiphertextBlob"]).decode("ascii")}
    return json.dumps(wrapped, indent=2) + "\n"


def is_wrapped(text: str) -> bool:
    """A wrapped-key file is JSON; the secret key text is never."""
    return text.lstrip().startswith("{")


def _malformed(source: str, what: str) -> EncryptionError:
    return EncryptionError(f"{source}: not a KMS-wrapped key as `nexus keys generate --kms-key-id` writes it: {what}")


def _parsed(text: str, source: str) -> dict:
    try:
        wrapped = json.loads(text)
    except ValueError as error:
        line = getattr(error, "lineno", None)
        raise _malformed(f"{source}:{line}" if line else source, f"not JSON ({error})") from None
    if not isinstance(wrapped, dict):
        raise _malformed(source, "expected a JSON object")
    version = wrapped.get("format")
    if isinstance(version, str) and version.startswith(FORMAT_PREFIX) and version != FORMAT:
        raise EncryptionError(f"{source}: format {version!r}: written by a later Nexus; this one reads {FORMAT}")
    if version != FORMAT:
        raise _malformed(source, f"format: expected {FORMAT!r}, got {version!r}")
    wrong = [f"{name} ({kind.__name__})" for name, kind in FIELDS.items()
             if not isinstance(wrapped.get(name), kind) or not wrapped[name]]
    if wrong:
        raise _malformed(source, f"missing or empty: {', '.join(wrong)}")
    if wrapped["kms"] != "aws":
        raise _malformed(source, f"kms: expected 'aws' (the one KMS this Nexus reads), got {wrapped['kms']!r}")
    context = wrapped["encryption_context"]
    recipient = context.get("recipient")
    if not isinstance(recipient, str) or not FINGERPRINT.fullmatch(recipient) or context != context_for(recipient):
        raise _malformed(source, f"encryption_context: expected {context_for('<recipient fingerprint>')}, got "
                                 f"{context!r:.120}")
    return wrapped


def unwrap_secret(text: str, source: str) -> tuple[str, str]:
    """The secret key text in the wrapped-key file TEXT (kms:Decrypt) and the recipient fingerprint its
    encryption context names."""
    wrapped = _parsed(text, source)
    try:
        blob = base64.b64decode(wrapped["ciphertext"], validate=True)
    except (binascii.Error, ValueError):
        raise _malformed(source, "ciphertext: not base64") from None
    context = wrapped["encryption_context"]
    answer = _call(_client(wrapped["region"]), "decrypt", f"{source} (KMS key {wrapped['kms_key_id']})",
                   CiphertextBlob=blob, KeyId=wrapped["kms_key_id"], EncryptionContext=context)
    try:
        return answer["Plaintext"].decode("ascii"), context["recipient"]
    except UnicodeDecodeError:
        raise _malformed(source, "the unwrapped key is not a Nexus secret key") from None
