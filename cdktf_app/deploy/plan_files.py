"""Saved plans when the spec has `encryption`: a plan holds every value it sets in clear (passwords, keys), so
it never rests on disk as plaintext longer than terraform needs it.

During a run terraform writes its plan into the stack's private folder (`.nexus/plans/<stack>/`, 0700); once
`show -json` has read it, it is sealed (the envelope of cdktf_app.crypto) to a key made for this run and held
only in memory, and the plaintext removed: while a person is asked to approve, the folder holds ciphertext nobody
can open after the run ends. For `apply` it is opened to a 0600 file beside it and removed right after, on
failure and Ctrl-C/SIGTERM too; a run killed with -9 leaves at most that file, removed when the next run
prepares the stack. `plan --plan-dir DIR` keeps `<stack>.tfplan.enc` and `<stack>.tfplan.json.enc`, sealed to
the spec's recipients: `nexus keys decrypt` opens them.
"""
from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ..crypto.envelope import decrypt_file, encrypt_bytes, encrypt_file
from ..crypto.keys import Identity, Recipient
from ..files import private_directory, write_atomically_with
from ..layout import PLANS_DIR

SEALED = ".enc"


def private_plan_folder(state_dir: Path, stack: str) -> Path:
    return private_directory(private_directory(state_dir / PLANS_DIR) / stack)


def clear_private_plans(state_dir: Path, stack: str) -> None:
    """What a killed run left of the stack's plans (a plan is never reused across runs)."""
    shutil.rmtree(state_dir / PLANS_DIR / stack, ignore_errors=True)


def seal_plan(plan: Path, recipients: Sequence[Recipient], stack: str) -> Path:
    """PLAN encrypted beside itself (`.enc`), the plaintext removed; returns the sealed file."""
    sealed = plan.with_name(plan.name + SEALED)
    try:
        encrypt_file(plan, sealed, list(recipients), {"artifact": "plan", "stack": stack})
    finally:
        plan.unlink(missing_ok=True)
    return sealed


@contextmanager
def opened_plan(sealed: Path, identity: Identity) -> Iterator[Path]:
    """The plaintext plan of SEALED as a 0600 file for the length of the block, removed after whatever happens."""
    plain = sealed.with_name(sealed.name.removesuffix(SEALED))
    try:
        decrypt_file(sealed, plain, identity)
        yield plain
    finally:
        plain.unlink(missing_ok=True)


def keep_sealed_plan(plan: Path, plan_json: str, plan_dir: Path, stack: str,
                     recipients: Sequence[Recipient]) -> tuple[Path, Path]:
    """`plan --plan-dir`: the saved plan and its JSON sealed to RECIPIENTS in PLAN_DIR (0700)."""
    folder = private_directory(plan_dir.resolve())
    kept, kept_json = folder / f"{stack}.tfplan{SEALED}", folder / f"{stack}.tfplan.json{SEALED}"
    encrypt_file(plan, kept, list(recipients), {"artifact": "plan", "stack": stack})
    sealed_json = encrypt_bytes(plan_json.encode("utf-8"), list(recipients), {"artifact": "plan-json", "stack": stack})
    write_atomically_with(kept_json, lambda sink: sink.write(sealed_json), private=True)
    return kept, kept_json
