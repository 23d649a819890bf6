"""OpenTofu's external key provider protocol, version 1, spoken by `nexus key-provider`: OpenTofu's state and
plan encryption (its AES-GCM method) takes its key from Nexus, protected by the same recipient key as Nexus's own
artifacts, hybrid ML-KEM-768 + X25519 included.

The protocol (OpenTofu, internal/encryption/keyprovider/external: README and protocol/*.schema.json):
1. the command writes one header line on stdout: {"magic": "OpenTofu-External-Key-Provider", "version": 1};
2. OpenTofu writes on stdin `null` (it only encrypts) or the metadata stored beside the data it must decrypt,
   {"external_data": {...}};
3. the command writes {"keys": {"encryption_key": B64, "decryption_key": B64}, "meta": {"external_data": {...}}}
   on stdout (base64, standard alphabet); decryption_key only when the input's metadata allows it. OpenTofu
   refuses unknown fields and stores `meta` beside what it encrypts with `encryption_key`.

Every call makes a fresh 32-byte data key for encryption and stores it sealed to the recipients (the Nexus
envelope) in the metadata, as a KMS key provider stores a wrapped key; decrypting opens the stored one with the
private key. So OpenTofu's state holds only ciphertext and a wrapped key, and the private key never leaves Nexus.
"""
from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Sequence
from typing import TextIO

from ..errors import EncryptionError
from .envelope import decrypt_bytes, encrypt_bytes
from .keys import Identity, Recipient

HEADER = {"magic": "OpenTofu-External-Key-Provider", "version": 1}
SEALED_KEY_FIELD = "nexus_sealed_key"
KEY_BYTES = 32  # AES-256: OpenTofu's aes_gcm method takes 16, 24 or 32 bytes
ARTIFACT = "opentofu-data-key"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def header_line() -> str:
    return json.dumps(HEADER, separators=(",", ":")) + "\n"


def _stored_key(external_data: dict, identity: Callable[[], Identity]) -> bytes:
    try:
        sealed = base64.b64decode(external_data[SEALED_KEY_FIELD], validate=True)
    except (binascii.Error, TypeError, ValueError):
        raise EncryptionError(f"OpenTofu metadata external_data.{SEALED_KEY_FIELD}: not base64") from None
    key, metadata = decrypt_bytes(sealed, identity(), f"OpenTofu metadata external_data.{SEALED_KEY_FIELD}")
    if metadata.get("artifact") != ARTIFACT or len(key) != KEY_BYTES:
        raise EncryptionError(f"OpenTofu metadata external_data.{SEALED_KEY_FIELD}: not a data key Nexus sealed")
    return key


def provide(stored: object, recipients: Sequence[Recipient], identity: Callable[[], Identity]) -> dict:
    """The answer to OpenTofu's input STORED (None, or the metadata it kept). IDENTITY is called only when there is
    a key to open, so encrypting needs the public recipients alone."""
    if stored is not None and not isinstance(stored, dict):
        raise EncryptionError(f"OpenTofu input: expected null or {{\"external_data\": {{...}}}}, got {stored!r:.60}")
    fresh = os.urandom(KEY_BYTES)
    sealed = encrypt_bytes(fresh, list(recipients), {"artifact": ARTIFACT})
    answer = {"keys": {"encryption_key": _b64(fresh)},
              "meta": {"external_data": {SEALED_KEY_FIELD: _b64(sealed)}}}
    external_data = (stored or {}).get("external_data")
    if isinstance(external_data, dict) and SEALED_KEY_FIELD in external_data:
        answer["keys"]["decryption_key"] = _b64(_stored_key(external_data, identity))
    return answer


def serve(stdin: TextIO, stdout: TextIO, recipients: Sequence[Recipient], identity: Callable[[], Identity]) -> None:
    """One exchange of the protocol: the header, OpenTofu's input, the keys."""
    stdout.write(header_line())
    stdout.flush()
    text = stdin.read()
    try:
        stored = json.loads(text)
    except ValueError:
        raise EncryptionError(f"OpenTofu input: not JSON ({text[:40]!r})") from None
    stdout.write(json.dumps(provide(stored, recipients, identity), separators=(",", ":")))
    stdout.flush()
