"""The remediation record, `.nexus/remediation.json`: the key of the last `compliance.auto_remediate` pass that
found nothing to fix, so that a build of exactly the same inputs skips its checkov pass (seconds, on a cache hit).

The key hashes everything the pass's outcome depends on: the spec's bytes and its path, Nexus's code (the synth
cache's code digest), every file of the compliance folder (packs, checks, fixes, exemptions) and the pack schema,
which checkov runs and its settings in the environment, and the out dir: its path, nexus.json, each file synth
wrote (re-hashed, so a hand-edited output never matches) and findings.json as the pass left it. Only the date is
left out: an expired suppression is the one outcome it changes, and `raise_if_expired` runs before any skip.
A missing or damaged record, or any difference in the key, means the pass runs.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..files import write_atomically
from ..layout import FINDINGS_FILE, NEXUS_MANIFEST, state_dir
from ..paths import compliance_dir
from ..spec.loader import LoadedSpec
from ..stacks.cache import code_digest, outputs_unchanged
from .checkov import checkov_python
from .packs import schema_path

RECORD_FILE = "remediation.json"
KEY_VERSION = b"nexus-remediation-1"
CHECKOV_SETTINGS = ("CKV_", "BC_", "CHECKOV", "LOG_LEVEL")   # environment checkov itself reads


def record_path(spec_path: Path) -> Path:
    return state_dir(Path(spec_path).parent) / RECORD_FILE


def remediation_key(loaded: LoadedSpec, spec_path: Path, out_dir: Path) -> str | None:
    """The key of a pass over LOADED (the spec at SPEC_PATH) synthesized into OUT_DIR, or None when the out dir is
    not what its nexus.json says synth wrote (nothing to key)."""
    out_dir = Path(out_dir)
    try:
        manifest_bytes = (out_dir / NEXUS_MANIFEST).read_bytes()
        outputs = json.loads(manifest_bytes).get("outputs")
    except (OSError, ValueError, AttributeError):
        return None
    if not outputs_unchanged(out_dir, outputs):
        return None
    digest = hashlib.sha256(KEY_VERSION)
    for part in (str(Path(spec_path).resolve()), loaded.digest, str(out_dir.resolve())):
        digest.update(part.encode() + b"\0")
    digest.update(code_digest())
    digest.update(manifest_bytes)
    digest.update(_optional_file_digest(out_dir / FINDINGS_FILE))
    _hash_compliance_files(digest)
    _hash_checkov(digest)
    return digest.hexdigest()


def already_clean(loaded: LoadedSpec, spec_path: Path, out_dir: Path) -> bool:
    """Whether a previous pass found nothing to fix for exactly these inputs."""
    try:
        recorded = json.loads(record_path(spec_path).read_text(encoding="utf-8"))["key"]
    except (OSError, ValueError, TypeError, KeyError):
        return False
    return isinstance(recorded, str) and recorded == remediation_key(loaded, spec_path, out_dir)


def record_clean(loaded: LoadedSpec, spec_path: Path, out_dir: Path) -> None:
    """Remember that the pass found nothing to fix for these inputs (written atomically). A project folder that
    cannot be written keeps no record: the next build runs the pass, as it did before records existed."""
    key = remediation_key(loaded, spec_path, out_dir)
    if key is None:
        return
    try:
        write_atomically(record_path(spec_path), json.dumps({"key": key}) + "\n")
    except OSError:
        pass


def _optional_file_digest(path: Path) -> bytes:
    try:
        return hashlib.sha256(path.read_bytes()).digest()
    except OSError:
        return b"absent"


def _hash_compliance_files(digest) -> None:
    directory = compliance_dir()
    digest.update(str(directory.resolve()).encode() + b"\0")
    files = sorted(path for path in directory.rglob("*") if path.is_file() and "__pycache__" not in path.parts)
    for path in [*files, schema_path()]:
        digest.update(str(path).encode() + b"\0" + _optional_file_digest(path))


def _hash_checkov(digest) -> None:
    python = checkov_python()   # no checkov: ScanError, as the pass itself would raise
    installed = sorted(path.name for path in python.parent.parent.glob("lib/python*/site-packages/checkov-*"))
    settings = sorted(f"{name}={value}" for name, value in os.environ.items() if name.startswith(CHECKOV_SETTINGS))
    digest.update("\0".join([str(python), *installed, *settings]).encode())
