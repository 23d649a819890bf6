"""The bundle file: a deterministic tar.gz whose first member is `manifest.json` (format, site, providers, terraform
version, and the SHA-256, size and mode of every other member), beside a detached signature file over the
manifest.

Deterministic: members in a fixed order (the manifest, then the rest sorted by path), mtime 0, uid/gid 0, no user
or group names, modes 0644 or 0755 only, GNU tar headers, gzip with mtime 0 and no file name. The same inputs give
the same bytes. The signature sits apart because ML-DSA signatures are randomized.

Reading verifies as it streams: the manifest's signature first, then each member against the manifest (regular
files only, names relative and without `..`, none missing, none added, none twice), then the gzip trailer's CRC.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import tarfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ..crypto.signing import VerifyKey
from ..errors import VerificationError

FORMAT = "nexus-bundle/1"
SIGNATURE_FORMAT = "nexus-bundle-signature/1"
MANIFEST = "manifest.json"
SIGNATURE_SUFFIX = ".sig"
SIGNING_CONTEXT = b"nexus-bundle/1 manifest"
READ_SIZE = 1 << 20
MAX_MANIFEST_BYTES = 16 << 20


@dataclass(frozen=True)
class Member:
    """A file to pack: its path in the bundle and where its bytes are (a file on disk, or bytes)."""

    name: str
    source: Path | bytes
    executable: bool = False

    def open(self) -> BinaryIO:
        return io.BytesIO(self.source) if isinstance(self.source, bytes) else open(self.source, "rb")

    @property
    def size(self) -> int:
        return len(self.source) if isinstance(self.source, bytes) else self.source.stat().st_size


def digest(member: Member) -> str:
    sha = hashlib.sha256()
    with member.open() as handle:
        for block in iter(lambda: handle.read(READ_SIZE), b""):
            sha.update(block)
    return sha.hexdigest()


def manifest_entries(members: Iterable[Member]) -> dict[str, dict]:
    return {member.name: {"sha256": digest(member), "size": member.size, "executable": member.executable}
            for member in sorted(members, key=lambda member: member.name)}


def manifest_bytes(manifest: dict) -> bytes:
    return json.dumps(manifest, indent=1, sort_keys=True).encode("utf-8") + b"\n"


def _tar_info(name: str, size: int, executable: bool) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, 0, 0o755 if executable else 0o644
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def write_bundle(sink: BinaryIO, manifest: bytes, members: list[Member]) -> None:
    """The manifest, then MEMBERS sorted by name, as a deterministic tar.gz into SINK."""
    with gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=6) as compressed, \
            tarfile.open(fileobj=compressed, mode="w|", format=tarfile.GNU_FORMAT) as archive:
        archive.addfile(_tar_info(MANIFEST, len(manifest), False), io.BytesIO(manifest))
        for member in sorted(members, key=lambda member: member.name):
            with member.open() as handle:
                archive.addfile(_tar_info(member.name, member.size, member.executable), handle)


def signature_document(manifest: bytes, signatures: dict[str, str], key_fingerprint: str) -> bytes:
    document = {"format": SIGNATURE_FORMAT, "key": key_fingerprint,
                "manifest_sha256": hashlib.sha256(manifest).hexdigest(), "signatures": signatures}
    return json.dumps(document, indent=1, sort_keys=True).encode("utf-8") + b"\n"


def signature_path(bundle: Path) -> Path:
    return bundle.with_name(bundle.name + SIGNATURE_SUFFIX)


def _safe_name(name: str, where: str) -> str:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name != str(path):
        raise VerificationError(f"{where}: member {name!r} is not a plain relative path; refused")
    return name


def _check_signature(manifest: bytes, signature_file: Path, key: VerifyKey, where: str) -> None:
    try:
        document = json.loads(signature_file.read_bytes())
        signatures = document["signatures"]
        if document.get("format") != SIGNATURE_FORMAT or not isinstance(signatures, dict):
            raise ValueError
    except FileNotFoundError:
        raise VerificationError(f"{signature_file}: no signature file beside the bundle (expected "
                                f"{signature_file.name})") from None
    except (ValueError, KeyError, TypeError):
        raise VerificationError(f"{signature_file}: not a {SIGNATURE_FORMAT} document (damaged)") from None
    if document.get("key") != key.fingerprint:
        raise VerificationError(f"{signature_file}: signed by key {document.get('key')}, not by the trusted key "
                                f"{key.fingerprint}")
    key.verify(manifest, signatures, SIGNING_CONTEXT, str(signature_file))


def _parsed_manifest(data: bytes, where: str) -> dict:
    manifest = json.loads(data)
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT or \
            not isinstance(manifest.get("files"), dict):
        raise VerificationError(f"{where}: the manifest is not a {FORMAT} manifest")
    return manifest


def _copy_checked(source: BinaryIO, entry: dict, name: str, target: Path | None, where: str) -> None:
    sha = hashlib.sha256()
    sink = open(target, "wb") if target else None
    try:
        for block in iter(lambda: source.read(READ_SIZE), b""):
            sha.update(block)
            if sink:
                sink.write(block)
    finally:
        if sink:
            sink.close()
    if sha.hexdigest() != entry.get("sha256"):
        raise VerificationError(f"{where}: {name}: SHA-256 {sha.hexdigest()} differs from the manifest's "
                                f"{entry.get('sha256')}: the file was changed")


def read_bundle(bundle: BinaryIO, signature_file: Path, key: VerifyKey, where: str,
                extract_to: Path | None = None) -> dict:
    """Verify the bundle streamed from BUNDLE (and, with EXTRACT_TO, write its members there as they are read);
    returns the manifest. VerificationError at the first problem (EXTRACT_TO may then hold a part: extract into
    a scratch folder and move it into place only on success)."""
    try:
        with gzip.GzipFile(fileobj=bundle, mode="rb") as compressed:
            with tarfile.open(fileobj=compressed, mode="r|") as archive:
                manifest = _read_members(archive, signature_file, key, where, extract_to)
            shutil.copyfileobj(compressed, io.BytesIO())  # to the end: the gzip trailer's CRC and length
    except (tarfile.TarError, gzip.BadGzipFile, EOFError, zlib.error, OSError, ValueError) as error:
        raise VerificationError(f"{where}: the bundle is damaged ({error.__class__.__name__}: {error}); "
                                "nothing in it can be trusted") from None
    return manifest


def _read_members(archive: tarfile.TarFile, signature_file: Path, key: VerifyKey, where: str,
                  extract_to: Path | None) -> dict:
    first = archive.next()
    if first is None or first.name != MANIFEST or not first.isfile() or first.size > MAX_MANIFEST_BYTES:
        raise VerificationError(f"{where}: the first member is not {MANIFEST}: not a Nexus bundle")
    manifest_data = archive.extractfile(first).read()
    _check_signature(manifest_data, signature_file, key, where)
    manifest = _parsed_manifest(manifest_data, where)
    expected, seen = manifest["files"], set()
    while (member := archive.next()) is not None:
        name = _safe_name(member.name, where)
        entry = expected.get(name)
        if entry is None or name in seen:
            raise VerificationError(f"{where}: {name} is not in the signed manifest (or is there twice): a file "
                                    "was added")
        if not member.isfile() or member.size != entry.get("size") or \
                bool(member.mode & 0o111) != bool(entry.get("executable")):
            raise VerificationError(f"{where}: {name}: type, size or mode differs from the manifest")
        seen.add(name)
        target = None
        if extract_to is not None:
            target = extract_to / name
            target.parent.mkdir(parents=True, exist_ok=True)
        _copy_checked(archive.extractfile(member), entry, name, target, where)
        if target is not None:
            target.chmod(0o755 if entry.get("executable") else 0o644)
    missing = sorted(set(expected) - seen)
    if missing:
        raise VerificationError(f"{where}: {len(missing)} file(s) of the manifest are missing: "
                                f"{', '.join(missing[:5])}")
    return manifest
