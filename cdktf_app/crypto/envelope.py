"""The envelope Nexus encrypts its artifacts in, version 1.

    nexus-envelope/1\\n
    {"aead": "AES-256-GCM", "chunk_size": 65536, "kdf": "HKDF-SHA256", "kem": "ML-KEM-768+X25519",
     "metadata": {...}, "nonce": "<16 bytes>", "recipients": [{"fingerprint": ..., "wrapped_key": ...}],
     "version": 1}\\n                                       (one line of JSON, keys sorted)
    chunk 0 | chunk 1 | ... | final chunk                   (AES-256-GCM, each chunk_size bytes + 16-byte tag)

A random 32-byte file key is wrapped for each recipient with HPKE (RFC 9180, base mode; KEM as named, HKDF-SHA256,
AES-256-GCM). The payload key is HKDF-SHA256(file key, salt=nonce). The payload is cut into chunks sealed like
age's STREAM: chunk i's GCM nonce is i (11 bytes, big-endian) followed by 1 if it is the last chunk, else 0, so
reordering, dropping or appending chunks and cutting the file at a chunk boundary all fail. Every chunk's
associated data is the SHA-256 of the two header lines: a flipped bit in the header (algorithms, metadata,
recipients) fails like one in the ciphertext. Metadata is authenticated, not secret.

The version and the algorithm names are read first, so a later version can add algorithms; a reader refuses
names it does not know.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..errors import EncryptionError
from ..files import write_atomically_with
from .keys import CLASSICAL, HYBRID, Identity, Recipient

MAGIC = b"nexus-envelope/1\n"
VERSION = 1
KEM_NAMES = {HYBRID: "ML-KEM-768+X25519", CLASSICAL: "X25519"}
HPKE_KEMS = {HYBRID: hpke.KEM.MLKEM768_X25519, CLASSICAL: hpke.KEM.X25519}
KDF_NAME, AEAD_NAME = "HKDF-SHA256", "AES-256-GCM"
CHUNK_SIZE = 64 * 1024
TAG_BYTES = 16
MAX_HEADER_BYTES = 1 << 20
HPKE_INFO = b"nexus-envelope/1 file key"
PAYLOAD_INFO = b"nexus-envelope/1 payload"
LAST_CHUNK_INDEX = (1 << 88) - 1


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _suite(kind: str) -> hpke.Suite:
    return hpke.Suite(HPKE_KEMS[kind], hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def _payload_key(file_key: bytes, nonce: bytes) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=nonce, info=PAYLOAD_INFO).derive(file_key)
    return AESGCM(derived)


def _chunk_nonce(index: int, last: bool) -> bytes:
    if index > LAST_CHUNK_INDEX:
        raise EncryptionError("too many chunks for one envelope")
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def recipients_kind(recipients: list[Recipient]) -> str:
    """The one kind of key RECIPIENTS share (hybrid or x25519); an error for none or a mix."""
    kinds = {recipient.kind for recipient in recipients}
    if not kinds:
        raise EncryptionError("no recipient to encrypt to")
    if len(kinds) > 1:  # a classical recipient beside hybrid ones would let a quantum attacker read the file
        raise EncryptionError("recipients mix hybrid and x25519 keys; encrypt to one kind only")
    return kinds.pop()


def _header_lines(recipients: list[Recipient], file_key: bytes, nonce: bytes, metadata: dict[str, str]) -> bytes:
    kind = recipients_kind(recipients)
    suite = _suite(kind)
    header = {
        "version": VERSION, "kem": KEM_NAMES[kind], "kdf": KDF_NAME, "aead": AEAD_NAME, "chunk_size": CHUNK_SIZE,
        "metadata": {str(key): str(value) for key, value in metadata.items()}, "nonce": _b64(nonce),
        "recipients": [{"fingerprint": recipient.fingerprint,
                        "wrapped_key": _b64(suite.encrypt(file_key, recipient.hpke_key(), info=HPKE_INFO))}
                       for recipient in recipients],
    }
    return MAGIC + json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8") + b"\n"


def _sized_chunks(pieces: Iterable[bytes], size: int) -> Iterator[tuple[bytes, bool]]:
    """PIECES re-cut into SIZE-byte chunks, each with whether it is the last; an empty input is one empty chunk."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) > size:  # keep at least one byte back: only the end of input says which chunk is last
            yield bytes(buffer[:size]), False
            del buffer[:size]
    yield bytes(buffer), True


def _seal(pieces: Iterable[bytes], sink: BinaryIO, recipients: list[Recipient], metadata: dict[str, str]) -> None:
    file_key, nonce = os.urandom(32), os.urandom(16)
    header = _header_lines(recipients, file_key, nonce, metadata)
    sink.write(header)
    aead = _payload_key(file_key, nonce)
    associated = hashlib.sha256(header).digest()
    for index, (chunk, last) in enumerate(_sized_chunks(pieces, CHUNK_SIZE)):
        sink.write(aead.encrypt(_chunk_nonce(index, last), chunk, associated))


def _read_pieces(source: BinaryIO) -> Iterator[bytes]:
    return iter(lambda: source.read(CHUNK_SIZE), b"")


def encrypt_stream(source: BinaryIO, sink: BinaryIO, recipients: list[Recipient],
                   metadata: dict[str, str] | None = None) -> None:
    _seal(_read_pieces(source), sink, recipients, metadata or {})


def _read_header(source: BinaryIO, where: str) -> tuple[bytes, dict]:
    magic = source.read(len(MAGIC))
    if magic != MAGIC:
        if magic.startswith(b"nexus-envelope/"):
            raise EncryptionError(f"{where}: envelope version {magic[15:].strip().decode('ascii', 'replace')!r} "
                                  "is not one this Nexus reads (it reads 1)")
        raise EncryptionError(f"{where}: not a Nexus encrypted file (no `nexus-envelope/1` header)")
    line = source.readline(MAX_HEADER_BYTES)
    try:
        header = json.loads(line)
        if not isinstance(header, dict):
            raise ValueError("not an object")
    except ValueError:
        raise EncryptionError(f"{where}: the envelope header is damaged (not one line of JSON)") from None
    return MAGIC + line, header


def _check_algorithms(header: dict, where: str) -> str:
    expected = {"version": VERSION, "kdf": KDF_NAME, "aead": AEAD_NAME, "chunk_size": CHUNK_SIZE}
    for name, value in expected.items():
        if header.get(name) != value:
            raise EncryptionError(f"{where}: header {name}: expected {value!r}, got {header.get(name)!r} "
                                  "(a newer Nexus, or a damaged file)")
    kinds = {name: kind for kind, name in KEM_NAMES.items()}
    if header.get("kem") not in kinds:
        raise EncryptionError(f"{where}: header kem: expected one of {', '.join(kinds)}, got {header.get('kem')!r}")
    return kinds[header["kem"]]


def _unwrap_file_key(header: dict, identity: Identity, kind: str, where: str) -> bytes:
    recipient = identity.recipient
    entries = header.get("recipients") if isinstance(header.get("recipients"), list) else []
    mine = [entry for entry in entries if isinstance(entry, dict) and entry.get("fingerprint") ==
            recipient.fingerprint]
    if not mine or identity.kind != kind:
        names = ", ".join(str(entry.get("fingerprint")) for entry in entries if isinstance(entry, dict))
        raise EncryptionError(f"{where}: wrong key: the file is encrypted to {names or 'no recipient'}, this key "
                              f"is {recipient.fingerprint} ({identity.kind})")
    try:
        return _suite(kind).decrypt(base64.b64decode(mine[0]["wrapped_key"]), identity.hpke_key(), info=HPKE_INFO)
    except (InvalidTag, ValueError, KeyError, TypeError):
        raise EncryptionError(f"{where}: the wrapped file key does not open with this key: the header was "
                              "tampered with") from None


def _opened(source: BinaryIO, identity: Identity, where: str) -> tuple[dict[str, str], Iterator[bytes]]:
    """The metadata, and the plaintext chunks as they are authenticated (the last one raises if anything was cut,
    added or changed: write them somewhere that is discarded on error)."""
    header_bytes, header = _read_header(source, where)
    kind = _check_algorithms(header, where)
    file_key = _unwrap_file_key(header, identity, kind, where)
    try:
        aead = _payload_key(file_key, base64.b64decode(header["nonce"], validate=True))
    except (KeyError, TypeError, ValueError):
        raise EncryptionError(f"{where}: header nonce is damaged") from None
    associated = hashlib.sha256(header_bytes).digest()
    metadata = header.get("metadata") if isinstance(header.get("metadata"), dict) else {}

    def chunks() -> Iterator[bytes]:
        sealed = source.read(CHUNK_SIZE + TAG_BYTES)
        index = 0
        while True:
            following = source.read(CHUNK_SIZE + TAG_BYTES)
            last = not following
            try:
                yield aead.decrypt(_chunk_nonce(index, last), sealed, associated)
            except InvalidTag:
                raise EncryptionError(f"{where}: chunk {index} fails authentication: the file was tampered with "
                                      "or truncated; nothing was decrypted") from None
            if last:
                return
            sealed, index = following, index + 1

    return metadata, chunks()


def decrypt_stream(source: BinaryIO, sink: BinaryIO, identity: Identity, where: str = "<stream>") -> dict[str, str]:
    """Decrypt SOURCE into SINK; returns the metadata. SINK may have received chunks when a later one fails:
    decrypt_file and decrypt_bytes are the calls that never expose a partial plaintext."""
    metadata, chunks = _opened(source, identity, where)
    for chunk in chunks:
        sink.write(chunk)
    return metadata


def encrypt_bytes(plaintext: bytes, recipients: list[Recipient], metadata: dict[str, str] | None = None) -> bytes:
    sink = io.BytesIO()
    encrypt_stream(io.BytesIO(plaintext), sink, recipients, metadata)
    return sink.getvalue()


def decrypt_bytes(envelope: bytes, identity: Identity, where: str = "<bytes>") -> tuple[bytes, dict[str, str]]:
    sink = io.BytesIO()
    metadata = decrypt_stream(io.BytesIO(envelope), sink, identity, where)
    return sink.getvalue(), metadata


def encrypt_file(source: Path, target: Path, recipients: list[Recipient],
                 metadata: dict[str, str] | None = None) -> None:
    """Encrypt SOURCE into TARGET (owner-only, written atomically), one chunk in memory at a time."""
    with open(source, "rb") as handle:
        write_atomically_with(target, lambda sink: encrypt_stream(handle, sink, recipients, metadata), private=True)


def decrypt_file(source: Path, target: Path, identity: Identity) -> dict[str, str]:
    """Decrypt SOURCE into TARGET (owner-only); on any failure TARGET is untouched. Returns the metadata."""
    found: dict[str, str] = {}
    with open(source, "rb") as handle:
        write_atomically_with(target, lambda sink: found.update(decrypt_stream(handle, sink, identity, str(source))),
                              private=True)
    return found


def rotate_file(path: Path, identity: Identity, recipients: list[Recipient]) -> None:
    """Re-encrypt PATH in place to new RECIPIENTS (a new file key, the same metadata), atomically: the plaintext
    passes through memory chunk by chunk and never touches the disk; any failure leaves PATH as it was."""
    with open(path, "rb") as handle:
        metadata, chunks = _opened(handle, identity, str(path))
        write_atomically_with(path, lambda sink: _seal(chunks, sink, recipients, metadata), private=True)
