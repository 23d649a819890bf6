"""Signing keys: Ed25519, with an ML-DSA-65 key beside it where the `cryptography` build offers ML-DSA (FIPS 204).
A hybrid signature holds while either algorithm does; a verifier requires every signature the key names.

Text forms (base64url, no padding): the secret `NEXUS-SIGNING-KEY-1-<KIND>-<seeds>` and the public key
`nexus1-sign-<kind>-<public keys>`, KIND being HYBRID (32-byte Ed25519 seed + 32-byte ML-DSA-65 seed) or
ED25519 (the seed alone, for a library without ML-DSA: not quantum-safe).
ML-DSA signatures are randomized (hedged), so a signature is never part of anything that must be deterministic."""
from __future__ import annotations

import base64
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives.asymmetric import ed25519

from ..errors import EncryptionError, VerificationError
from .keys import PublicKey, _decode, _encode, read_key_text, write_key_file

SIGNING_KEY_VARIABLE = "NEXUS_SIGNING_KEY"
HYBRID, CLASSICAL = "hybrid", "ed25519"
ED25519, ML_DSA = "Ed25519", "ML-DSA-65"
ALGORITHMS = {HYBRID: (ED25519, ML_DSA), CLASSICAL: (ED25519,)}
SECRET_PREFIX = "NEXUS-SIGNING-KEY-1-"
PUBLIC_PREFIX = "nexus1-sign-"
SEED_BYTES, ED25519_PUBLIC_BYTES, MLDSA_PUBLIC_BYTES = 32, 32, 1952


def ml_dsa_supported() -> bool:
    return backend.mldsa_supported()


def _mldsa():
    if not ml_dsa_supported():
        raise EncryptionError("this build of the `cryptography` library has no ML-DSA: hybrid signing keys cannot "
                              "be used here; generate an Ed25519 key (`nexus bundle keygen --classical`)")
    from cryptography.hazmat.primitives.asymmetric import mldsa
    return mldsa


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@dataclass(frozen=True)
class VerifyKey(PublicKey):
    """A public signing key: checks the signatures a SigningKey made."""

    prefix: ClassVar[str] = PUBLIC_PREFIX

    @property
    def algorithms(self) -> tuple[str, ...]:
        return ALGORITHMS[self.kind]

    def verify(self, message: bytes, signatures: dict[str, str], context: bytes, where: str) -> None:
        """Every signature this key names must be present and valid over MESSAGE; VerificationError otherwise."""
        for algorithm in self.algorithms:
            encoded = signatures.get(algorithm)
            if not isinstance(encoded, str):
                raise VerificationError(f"{where}: no {algorithm} signature, and this key requires one")
            try:
                signature = base64.b64decode(encoded, validate=True)
                if algorithm == ED25519:
                    ed25519.Ed25519PublicKey.from_public_bytes(self.public_bytes[:ED25519_PUBLIC_BYTES]).verify(
                        signature, context + message)
                else:
                    _mldsa().MLDSA65PublicKey.from_public_bytes(self.public_bytes[ED25519_PUBLIC_BYTES:]).verify(
                        signature, message, context)
            except (InvalidSignature, ValueError):
                raise VerificationError(f"{where}: the {algorithm} signature does not verify with key "
                                        f"{self.fingerprint}: the signed content was changed, the signature was "
                                        "damaged, or another key signed it") from None


@dataclass(frozen=True)
class SigningKey:
    kind: str
    seeds: bytes = field(repr=False)  # never in a log line or a traceback

    def __str__(self) -> str:
        return f"{SECRET_PREFIX}{self.kind.upper()}-{_encode(self.seeds)}"

    def _ed25519(self) -> ed25519.Ed25519PrivateKey:
        return ed25519.Ed25519PrivateKey.from_private_bytes(self.seeds[:SEED_BYTES])

    def _ml_dsa(self):
        return _mldsa().MLDSA65PrivateKey.from_seed_bytes(self.seeds[SEED_BYTES:])

    @property
    def verify_key(self) -> VerifyKey:
        public = self._ed25519().public_key().public_bytes_raw()
        if self.kind == HYBRID:
            public += self._ml_dsa().public_key().public_bytes_raw()
        return VerifyKey(self.kind, public)

    def sign(self, message: bytes, context: bytes) -> dict[str, str]:
        """Signatures over MESSAGE, one per algorithm of the key, bound to CONTEXT (domain separation)."""
        signatures = {ED25519: _b64(self._ed25519().sign(context + message))}
        if self.kind == HYBRID:
            signatures[ML_DSA] = _b64(self._ml_dsa().sign(message, context))
        return signatures


def generate_signing_key(kind: str | None = None) -> SigningKey:
    """A new key: hybrid where ML-DSA is available (or asked for), else Ed25519 alone."""
    kind = kind or (HYBRID if ml_dsa_supported() else CLASSICAL)
    if kind not in ALGORITHMS:
        raise EncryptionError(f"signing key kind: expected one of {', '.join(ALGORITHMS)}, got {kind!r}")
    if kind == HYBRID:
        _mldsa()
    return SigningKey(kind, os.urandom(SEED_BYTES * len(ALGORITHMS[kind])))


def _split(text: str, prefix: str, what: str, expected: str) -> tuple[str, bytes]:
    kind, _, encoded = text[len(prefix):].partition("-")
    if not text.startswith(prefix) or kind.lower() not in ALGORITHMS:
        raise EncryptionError(f"{what}: expected `{expected}`, as written by `nexus bundle keygen`")
    return kind.lower(), _decode(encoded, what)


def parse_signing_key(text: str, source: str) -> SigningKey:
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1:
        raise EncryptionError(f"{source}: expected one line `{SECRET_PREFIX}<KIND>-<key>`, as written by "
                              "`nexus bundle keygen`")
    kind, seeds = _split(lines[0], SECRET_PREFIX, source, f"{SECRET_PREFIX}<KIND>-<key>")
    if len(seeds) != SEED_BYTES * len(ALGORITHMS[kind]):
        raise EncryptionError(f"{source}: an {kind} key has {SEED_BYTES * len(ALGORITHMS[kind])} bytes, "
                              f"this one {len(seeds)}")
    return SigningKey(kind, seeds)


def parse_verify_key(text: str) -> VerifyKey:
    """A public key `nexus1-sign-<kind>-<key>` (what `nexus bundle keygen` prints)."""
    body = text.strip()
    kind, public = _split(body, PUBLIC_PREFIX, f"public key {body[:40]!r}", f"{PUBLIC_PREFIX}<kind>-<key>")
    expected = ED25519_PUBLIC_BYTES + (MLDSA_PUBLIC_BYTES if kind == HYBRID else 0)
    if len(public) != expected:
        raise EncryptionError(f"public key: an {kind} key has {expected} bytes, this one {len(public)}")
    return VerifyKey(kind, public)


def load_signing_key(path: Path | None = None) -> SigningKey:
    """The signing key from PATH, else from the NEXUS_SIGNING_KEY environment variable."""
    return parse_signing_key(*read_key_text(path, SIGNING_KEY_VARIABLE, "signing key", "--signing-key"))


def signing_key_file_text(key: SigningKey) -> str:
    return (f"# Nexus signing key ({', '.join(ALGORITHMS[key.kind])}); keep it secret. Written by "
            f"`nexus bundle keygen`.\n# public key: {key.verify_key}\n{key}\n")


def write_signing_key(key: SigningKey, path: Path) -> None:
    """Create PATH (mode 0600 from the start) holding the key; an existing file is never overwritten."""
    write_key_file(path, signing_key_file_text(key))
