"""State safety: a copy of each stack's state before every apply, and a check after a failed one.

`terraform state pull` works for every backend (local, S3, GCS, azurerm), so the backup is the same
everywhere: `.nexus/state-backups/<stack>/<UTC time>-serial<N>.tfstate`. After a failed apply the state is
read again; if it is unreadable, the last good copy is put back (pushed, for a remote backend).

A stack folder pointed at the sandbox (its override file is there) has state of its own, so its backups go to
`.nexus/sandbox-state-backups/<stack>/`: the folder follows the state terraform reads, and a copy of sandbox
state can never be put back into real state, nor the other way round.

With `encryption.recipients` in the spec a backup is written encrypted instead (`...tfstate.enc`, see
cdktf_app.crypto); putting one back needs the private key (NEXUS_PRIVATE_KEY).
"""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ..crypto.envelope import decrypt_bytes, encrypt_bytes
from ..crypto.keys import load_identity, parse_recipient
from ..errors import EncryptionError
from ..files import private_directory, write_atomically, write_atomically_with
from ..layout import SANDBOX_STATE_BACKUPS_DIR, STATE_BACKUPS_DIR
from ..sandbox.provider import OVERRIDE_FILE
from ..tools.terraform import run_terraform

KEEP = 20
PLAIN, ENCRYPTED = ".tfstate", ".tfstate.enc"


@dataclass(frozen=True)
class StateCheck:
    readable: bool
    serial: int | None
    resources: int
    restored_from: Path | None = None
    managed: int = 0          # managed resource instances: what a destroy still has to delete


def managed_in_state(state: dict) -> int:
    """Managed resource instances in a raw state file (`terraform state pull`)."""
    return sum(len(resource.get("instances") or []) for resource in state.get("resources") or []
               if resource.get("mode") == "managed")


def pull_state(stack_dir: Path, cli_config: Path | None, log_file: Path | None, timeout: float) -> dict | None:
    pulled = run_terraform(stack_dir, "state", "pull", cli_config=cli_config, timeout=timeout)
    if log_file:
        with open(log_file, "a", encoding="utf-8") as log:
            log.write(f"$ terraform state pull -> exit {pulled.returncode}\n")
    if not pulled.ok:
        return None
    text = pulled.output.strip()
    if not text:
        return {}
    try:
        return json.loads(text[text.index("{"):])
    except ValueError:
        return None


def backup_state(stack_dir: Path, state_dir: Path, stack: str, cli_config: Path | None, log_file: Path | None,
                 timeout: float, recipients: Sequence[str] = ()) -> Path | None:
    """Copy the current state (if there is any) before an apply, encrypted to RECIPIENTS when there are any;
    keeps the newest KEEP copies."""
    state = pull_state(stack_dir, cli_config, log_file, timeout)
    if not state:
        return None
    folder = private_directory(private_directory(backups_root(stack_dir, state_dir)) / stack)
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    name = f"{stamp}-serial{state.get('serial', 0)}"
    text = json.dumps(state, indent=2) + "\n"
    if recipients:
        target = folder / (name + ENCRYPTED)
        sealed = encrypt_bytes(text.encode("utf-8"), [parse_recipient(r) for r in recipients],
                               {"artifact": "state-backup", "stack": stack, "serial": str(state.get("serial", 0))})
        write_atomically_with(target, lambda sink: sink.write(sealed), private=True)
    else:
        target = folder / (name + PLAIN)
        write_atomically(target, text, private=True)
    for old in _backups(folder)[:-KEEP]:
        old.unlink()
    return target


def _backups(folder: Path) -> list[Path]:
    """A stack's backups, oldest first (the names start with their UTC time), plaintext and encrypted alike."""
    return sorted(path for path in folder.glob("*.tfstate*")
                  if path.name.endswith((PLAIN, ENCRYPTED)) and not path.name.startswith("."))


def backup_text(backup: Path) -> str:
    """The state a backup holds; an encrypted one is opened with the private key (NEXUS_PRIVATE_KEY)."""
    if backup.name.endswith(ENCRYPTED):
        return decrypt_bytes(backup.read_bytes(), load_identity(), str(backup))[0].decode("utf-8")
    return backup.read_text(encoding="utf-8")


def backups_root(stack_dir: Path, state_dir: Path) -> Path:
    """Where the backups of the state a stack folder uses live: real and sandbox state never share a folder."""
    return state_dir / (SANDBOX_STATE_BACKUPS_DIR if (stack_dir / OVERRIDE_FILE).is_file() else STATE_BACKUPS_DIR)


def latest_backup(stack_dir: Path, state_dir: Path, stack: str) -> Path | None:
    """The newest copy of the state the stack folder uses (real or sandbox, see `backups_root`)."""
    found = _backups(backups_root(stack_dir, state_dir) / stack)
    return found[-1] if found else None


def verify_state(stack_dir: Path, state_dir: Path, stack: str, cli_config: Path | None, log_file: Path | None,
                 timeout: float) -> StateCheck:
    """Is the state readable after a failure? If not, push the last good backup back."""
    state = pull_state(stack_dir, cli_config, log_file, timeout)
    if state is not None:
        return StateCheck(True, state.get("serial"), len(state.get("resources", [])),
                          managed=managed_in_state(state))
    backup = latest_backup(stack_dir, state_dir, stack)
    if backup is None:
        return StateCheck(False, None, 0)
    try:
        text = backup_text(backup)
    except EncryptionError as error:
        raise type(error)(f"{stack}: the state is unreadable after a failed apply and its last backup could not "
                              f"be opened to put it back: {error}. With the key: nexus keys decrypt {backup} -k KEY "
                              "(the state it prints goes back with `terraform state push`)") from None
    local = local_state_file(stack_dir)
    if local is not None:  # terraform cannot push over a state file it cannot parse: put the copy in place
        write_atomically(local, text, private=True)
        restored = True
    else:
        restored = _push(stack_dir, backup, text, cli_config, log_file, timeout)
    copy = json.loads(text)
    return StateCheck(restored, copy.get("serial"), len(copy.get("resources", [])),
                      restored_from=backup if restored else None, managed=managed_in_state(copy))


def _push(stack_dir: Path, backup: Path, text: str, cli_config: Path | None, log_file: Path | None,
          timeout: float) -> bool:
    """`terraform state push` of a backup; an encrypted one goes through an owner-only plaintext copy beside it,
    removed right after."""
    source = backup if backup.name.endswith(PLAIN) else backup.with_name(f".{backup.name}.push.tfstate")
    try:
        if source != backup:
            write_atomically(source, text, private=True)
        return run_terraform(stack_dir, "state", "push", "-force", "-lock=false", str(source),
                             cli_config=cli_config, timeout=timeout, log_file=log_file).ok
    finally:
        if source != backup:
            source.unlink(missing_ok=True)


def effective_backend(stack_dir: Path) -> dict:
    """The backend terraform will use for a stack: cdk.tf.json's, replaced by the last override file's that has
    one (terraform merges override files in name order); a `cloud` block counts as a backend too."""
    backend: dict = {}
    for name in ("cdk.tf.json", *sorted(path.name for path in stack_dir.glob("*override.tf.json"))):
        settings = json.loads((stack_dir / name).read_text(encoding="utf-8")).get("terraform", {})
        if "cloud" in settings:
            backend = {"cloud": settings["cloud"]}
        backend = settings.get("backend") or backend
    return backend


def local_state_file(stack_dir: Path) -> Path | None:
    """The local state file of a stack, or None when its backend is remote."""
    backend = effective_backend(stack_dir)
    if backend and "local" not in backend:
        return None
    return stack_dir / backend.get("local", {}).get("path", "terraform.tfstate")


def make_state_private(stack_dir: Path) -> None:
    """Every local state file in the stack folder (real and sandbox, terraform's backups of them, the one a custom
    local path names) owner-only: terraform keeps the mode of a file it rewrites, so a file an older run left at
    0644 would stay readable."""
    state = local_state_file(stack_dir)
    named = (state, state.with_name(state.name + ".backup")) if state else ()
    for path in {*named, *stack_dir.glob("*.tfstate"), *stack_dir.glob("*.tfstate.backup")}:
        if path.is_file():
            path.chmod(0o600)
