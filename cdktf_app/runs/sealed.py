"""The run history's free-text columns encrypted at rest: a failure's evidence (a line of terraform's output or of
an error, which can quote a value the plan did not mark sensitive) and a gate override's reason (typed by a
person). With `encryption.recipients` in the spec they are stored as `nexus-envelope/1:<base64 envelope>` (the
envelope of cdktf_app.crypto, the same in SQLite and PostgreSQL text columns); counts, phases, classes and times
stay clear so `nexus runs list` and insights work without a key.
"""
from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import replace

from ..crypto.envelope import decrypt_bytes, encrypt_bytes
from ..crypto.keys import Identity, Recipient
from ..errors import EncryptionError
from .record import RunRecord

SENSITIVE_COLUMNS = ("error_evidence", "override_reason")
SEALED_PREFIX = "nexus-envelope/1:"


def is_sealed(value: object) -> bool:
    return isinstance(value, str) and value.startswith(SEALED_PREFIX)


def seal_text(text: str, recipients: Sequence[Recipient], run_id: str, column: str) -> str:
    envelope = encrypt_bytes(text.encode("utf-8"), list(recipients),
                             {"artifact": "run-column", "run": run_id, "column": column})
    return SEALED_PREFIX + base64.b64encode(envelope).decode("ascii")


def open_text(value: str, identity: Identity, run_id: str, column: str) -> str:
    where = f"run {run_id} {column}"
    try:
        envelope = base64.b64decode(value[len(SEALED_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise EncryptionError(f"{where}: the stored value is damaged (not base64)") from None
    plaintext, metadata = decrypt_bytes(envelope, identity, where)
    if (metadata.get("run"), metadata.get("column")) != (run_id, column):  # a value moved from another row
        raise EncryptionError(f"{where}: the sealed value belongs to run {metadata.get('run')} "
                              f"{metadata.get('column')}, not here")
    return plaintext.decode("utf-8")


def sealed_columns(run: RunRecord) -> list[str]:
    """The sensitive columns of RUN that are stored encrypted (and read back as such)."""
    return [name for name in SENSITIVE_COLUMNS if is_sealed(getattr(run, name))]


def sealed_row(row: dict, recipients: Sequence[Recipient]) -> dict:
    """ROW (a run about to be stored) with its sensitive columns encrypted to RECIPIENTS (none: unchanged)."""
    if not recipients:
        return row
    return {**row, **{name: seal_text(row[name], recipients, row["id"], name)
                      for name in SENSITIVE_COLUMNS if row.get(name) is not None and not is_sealed(row[name])}}


def opened(run: RunRecord, identity: Identity) -> RunRecord:
    """RUN with its encrypted columns decrypted; EncryptionError for a wrong key or a tampered value."""
    return replace(run, **{name: open_text(getattr(run, name), identity, run.id, name)
                           for name in sealed_columns(run)})
