"""Recipient key pairs. A hybrid key is an ML-KEM-768 seed plus an X25519 private key, used through HPKE's
ML-KEM-768+X25519 KEM (`cryptography`'s hpke module): a file stays confidential while either algorithm holds.
A classical key is X25519 alone, for environments whose crypto library has no ML-KEM.

Text forms (base64url, no padding): the secret `NEXUS-SECRET-KEY-1-<KIND>-<key bytes>` and the public recipient
`nexus1-<kind>-<public key bytes>`, KIND being HYBRID (64-byte seed + 32-byte X25519 key) or X25519. A key file
may instead hold the secret text wrapped by AWS KMS (kms.py); `load_identity` unwraps it."""
from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from cryptography.hazmat.backends.openssl.backend import backend
from cryptography.hazmat.primitives import hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519

from ..errors import EncryptionError
from .kms import KmsKey, is_wrapped, unwrap_secret, wrap_secret

PRIVATE_KEY_VARIABLE = "NEXUS_PRIVATE_KEY"
HYBRID, CLASSICAL = "hybrid", "x25519"
KINDS = (HYBRID, CLASSICAL)
SECRET_PREFIX = "NEXUS-SECRET-KEY-1-"
RECIPIENT_PREFIX = "nexus1-"
MLKEM_SEED_BYTES, MLKEM_PUBLIC_BYTES, X25519_BYTES = 64, 1184, 32


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _decode(text: str, what: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as error:
        raise EncryptionError(f"{what}: not base64url ({error})") from None


def require_mlkem() -> None:
    if not backend.mlkem_supported():
        raise EncryptionError("this build of the `cryptography` library has no ML-KEM-768: hybrid keys cannot be "
                              "used here; generate a classical key (`nexus keys generate --classical`)")


@dataclass(frozen=True)
class PublicKey:
    """A public key as text: its prefix, its kind and its bytes, encoded."""

    prefix: ClassVar[str]
    kind: str
    public_bytes: bytes

    def __str__(self) -> str:
        return f"{self.prefix}{self.kind}-{_encode(self.public_bytes)}"

    @property
    def fingerprint(self) -> str:
        """A short stable name of the key, written in headers and manifests so a wrong key is named as such."""
        return hashlib.sha256(str(self).encode("ascii")).hexdigest()[:16]


@dataclass(frozen=True)
class Recipient(PublicKey):
    """A public key files are encrypted to. `hpke_key` is what HPKE's KEM takes."""

    prefix: ClassVar[str] = RECIPIENT_PREFIX

    def hpke_key(self):
        if self.kind == CLASSICAL:
            return x25519.X25519PublicKey.from_public_bytes(self.public_bytes)
        require_mlkem()
        return hpke.MLKEM768X25519PublicKey(
            mlkem.MLKEM768PublicKey.from_public_bytes(self.public_bytes[:MLKEM_PUBLIC_BYTES]),
            x25519.X25519PublicKey.from_public_bytes(self.public_bytes[MLKEM_PUBLIC_BYTES:]))


@dataclass(frozen=True)
class Identity:
    """A private key: decrypts what was encrypted to its `recipient`."""

    kind: str
    secret_bytes: bytes = field(repr=False)  # never in a log line or a traceback

    def __str__(self) -> str:
        return f"{SECRET_PREFIX}{self.kind.upper()}-{_encode(self.secret_bytes)}"

    def _parts(self) -> tuple[mlkem.MLKEM768PrivateKey | None, x25519.X25519PrivateKey]:
        if self.kind == CLASSICAL:
            return None, x25519.X25519PrivateKey.from_private_bytes(self.secret_bytes)
        require_mlkem()
        return (mlkem.MLKEM768PrivateKey.from_seed_bytes(self.secret_bytes[:MLKEM_SEED_BYTES]),
                x25519.X25519PrivateKey.from_private_bytes(self.secret_bytes[MLKEM_SEED_BYTES:]))

    def hpke_key(self):
        post_quantum, classical = self._parts()
        return classical if post_quantum is None else hpke.MLKEM768X25519PrivateKey(post_quantum, classical)

    @property
    def recipient(self) -> Recipient:
        post_quantum, classical = self._parts()
        public = classical.public_key().public_bytes_raw()
        if post_quantum is not None:
            public = post_quantum.public_key().public_bytes_raw() + public
        return Recipient(self.kind, public)


def generate_identity(kind: str = HYBRID) -> Identity:
    if kind not in KINDS:
        raise EncryptionError(f"key kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    classical = x25519.X25519PrivateKey.generate().private_bytes_raw()
    if kind == CLASSICAL:
        return Identity(CLASSICAL, classical)
    require_mlkem()
    return Identity(HYBRID, mlkem.MLKEM768PrivateKey.generate().private_bytes_raw() + classical)


def _checked_length(kind: str, data: bytes, lengths: dict[str, int], what: str) -> bytes:
    if len(data) != lengths[kind]:
        raise EncryptionError(f"{what}: a {kind} key has {lengths[kind]} bytes, this one {len(data)}")
    return data


def parse_identity(text: str, source: str) -> Identity:
    """The secret key in TEXT: its one line starting NEXUS-SECRET-KEY-1- (comment lines `#` are skipped)."""
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if len(lines) != 1 or not lines[0].startswith(SECRET_PREFIX):
        raise EncryptionError(f"{source}: expected one line `{SECRET_PREFIX}<KIND>-<key>`, as written by "
                              "`nexus keys generate`")
    kind, _, encoded = lines[0][len(SECRET_PREFIX):].partition("-")
    kind = kind.lower()
    if kind not in KINDS:
        raise EncryptionError(f"{source}: key kind: expected HYBRID or X25519, got {kind.upper()!r}")
    lengths = {HYBRID: MLKEM_SEED_BYTES + X25519_BYTES, CLASSICAL: X25519_BYTES}
    return Identity(kind, _checked_length(kind, _decode(encoded, source), lengths, source))


def parse_recipient(text: str) -> Recipient:
    """A public recipient string `nexus1-<kind>-<key>` (what `nexus keys show` prints)."""
    body = text.strip()
    kind, _, encoded = body[len(RECIPIENT_PREFIX):].partition("-")
    if not body.startswith(RECIPIENT_PREFIX) or kind not in KINDS:
        raise EncryptionError(f"recipient {body[:40]!r}: expected `{RECIPIENT_PREFIX}hybrid-...` or "
                              f"`{RECIPIENT_PREFIX}x25519-...`, as printed by `nexus keys show`")
    lengths = {HYBRID: MLKEM_PUBLIC_BYTES + X25519_BYTES, CLASSICAL: X25519_BYTES}
    return Recipient(kind, _checked_length(kind, _decode(encoded, "recipient"), lengths, "recipient"))


def load_identity(path: Path | None = None) -> Identity:
    """The private key from PATH, else from the NEXUS_PRIVATE_KEY environment variable; either may hold the key
    wrapped by AWS KMS (unwrapped here with kms:Decrypt)."""
    return _identity_from(*read_key_text(path, PRIVATE_KEY_VARIABLE, "private key", "--key"))


def read_key_text(path: Path | None, variable: str, what: str, option: str) -> tuple[str, str]:
    """A key's text and where it came from: PATH, else the environment VARIABLE."""
    if path is not None:
        try:
            return Path(path).read_text(encoding="utf-8"), str(path)
        except (FileNotFoundError, IsADirectoryError, UnicodeDecodeError) as error:
            raise EncryptionError(f"{path}: cannot read the {what} ({error.__class__.__name__})") from None
    text = os.environ.get(variable)
    if not text:
        raise EncryptionError(f"no {what}: pass {option} FILE or set {variable}")
    return text, variable


def _identity_from(text: str, source: str) -> Identity:
    if not is_wrapped(text):
        return parse_identity(text, source)
    secret, fingerprint = unwrap_secret(text, source)
    identity = parse_identity(secret, f"{source} (unwrapped by KMS)")
    if identity.recipient.fingerprint != fingerprint:
        raise EncryptionError(f"{source}: the unwrapped key is not the one its encryption context names "
                              f"(recipient {fingerprint}, key {identity.recipient.fingerprint})")
    return identity


def identity_file_text(identity: Identity, kms: KmsKey | None = None) -> str:
    """The key file's text: the secret key, or with KMS the secret key wrapped by kms:Encrypt."""
    if kms is not None:
        return wrap_secret(str(identity), identity.recipient.fingerprint, kms)
    return (f"# Nexus private key ({identity.kind}); keep it secret. Written by `nexus keys generate`.\n"
            f"# recipient: {identity.recipient}\n{identity}\n")


def write_identity(identity: Identity, path: Path, kms: KmsKey | None = None) -> None:
    """Create PATH (mode 0600 from the start) holding the key (wrapped by KMS if given); an existing file is never
    overwritten."""
    write_key_file(path, identity_file_text(identity, kms))


def write_key_file(path: Path, text: str) -> None:
    """Create PATH with mode 0600 from the start; an existing file is never overwritten."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise EncryptionError(f"{path} exists; a key file is never overwritten (remove it first)") from None
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
