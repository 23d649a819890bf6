"""State backups encrypted to the spec's `encryption.recipients` (cdktf_app/deploy/state.py): real terraform on
a local backend pulls the state; the backup holds no plaintext, opens with the key, and is what a failed apply's
check puts back; without the key that check says which variable to set."""
from __future__ import annotations

import json
import stat
import subprocess

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.crypto.envelope import decrypt_bytes
from cdktf_app.crypto.keys import CLASSICAL, HYBRID, generate_identity
from cdktf_app.deploy.state import backup_state, latest_backup, verify_state
from cdktf_app.errors import EncryptionError, SpecError
from cdktf_app.spec import load_spec
from tests.helpers import AWS_SPEC_HEAD, write_spec

STATE = {"version": 4, "terraform_version": "1.11.0", "serial": 7, "lineage": "6b3c0f5e-1111-2222-3333-444455556666",
         "outputs": {"db_password": {"value": "hunter2-very-secret", "type": "string", "sensitive": True}},
         "resources": [], "check_results": None}


@pytest.fixture
def stack_dir(tmp_path):
    folder = tmp_path / "stacks" / "app"
    folder.mkdir(parents=True)
    (folder / "cdk.tf.json").write_text(json.dumps({"terraform": {"backend": {"local": {"path": "terraform.tfstate"}}}}))
    (folder / "terraform.tfstate").write_text(json.dumps(STATE))
    subprocess.run(["terraform", "init", "-input=false", "-no-color"], cwd=folder, check=True, capture_output=True)
    return folder


@pytest.fixture(scope="module")
def identity():
    return generate_identity(HYBRID)


def test_backup_is_encrypted_to_the_recipients_and_opens_with_the_key(stack_dir, tmp_path, identity):
    backup = backup_state(stack_dir, tmp_path / ".nexus", "app", None, None, 60, [str(identity.recipient)])
    assert backup.name.endswith("-serial7.tfstate.enc") and backup == latest_backup(stack_dir, tmp_path / ".nexus",
                                                                                     "app")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert b"hunter2-very-secret" not in backup.read_bytes()
    plaintext, metadata = decrypt_bytes(backup.read_bytes(), identity)
    assert json.loads(plaintext)["outputs"]["db_password"]["value"] == "hunter2-very-secret"
    assert metadata == {"artifact": "state-backup", "stack": "app", "serial": "7"}


def test_without_recipients_the_backup_stays_plaintext(stack_dir, tmp_path):
    backup = backup_state(stack_dir, tmp_path / ".nexus", "app", None, None, 60)
    assert backup.name.endswith("-serial7.tfstate") and json.loads(backup.read_text())["serial"] == 7


def test_a_broken_state_is_restored_from_the_encrypted_backup_with_the_key(stack_dir, tmp_path, identity,
                                                                           monkeypatch):
    backup_state(stack_dir, tmp_path / ".nexus", "app", None, None, 60, [str(identity.recipient)])
    (stack_dir / "terraform.tfstate").write_text("{ half a state")
    monkeypatch.setenv("NEXUS_PRIVATE_KEY", str(identity))
    check = verify_state(stack_dir, tmp_path / ".nexus", "app", None, None, 60)
    assert (check.readable, check.serial) == (True, 7)
    assert json.loads((stack_dir / "terraform.tfstate").read_text())["lineage"] == STATE["lineage"]


@pytest.mark.parametrize("key, message", [(None, "set NEXUS_PRIVATE_KEY"), ("other", "wrong key")])
def test_restoring_an_encrypted_backup_without_its_key_is_a_clear_error(stack_dir, tmp_path, identity, monkeypatch,
                                                                        key, message):
    backup_state(stack_dir, tmp_path / ".nexus", "app", None, None, 60, [str(identity.recipient)])
    (stack_dir / "terraform.tfstate").write_text("{ half a state")
    if key is None:
        monkeypatch.delenv("NEXUS_PRIVATE_KEY", raising=False)
    else:
        monkeypatch.setenv("NEXUS_PRIVATE_KEY", str(generate_identity(HYBRID)))
    with pytest.raises(EncryptionError, match=message) as raised:
        verify_state(stack_dir, tmp_path / ".nexus", "app", None, None, 60)
    assert (stack_dir / "terraform.tfstate").read_text() == "{ half a state"
    assert "app: the state is unreadable after a failed apply" in str(raised.value)
    # the way out the message names: `nexus keys decrypt BACKUP -k KEY` prints the state
    backup = latest_backup(stack_dir, tmp_path / ".nexus", "app")
    assert f"nexus keys decrypt {backup} -k KEY" in str(raised.value)
    (tmp_path / "key.txt").write_text(str(identity))
    printed = CliRunner().invoke(cli, ["keys", "decrypt", str(backup), "-k", str(tmp_path / "key.txt")])
    assert printed.exit_code == 0
    assert {key: json.loads(printed.stdout)[key] for key in ("lineage", "serial", "outputs")} == {
        key: STATE[key] for key in ("lineage", "serial", "outputs")}


@pytest.mark.parametrize("recipients, message", [
    ("[nexus1-x25519-AAAA]", "encryption.recipients: recipient: a x25519 key has 32 bytes, this one 3"),
    ("[]", "encryption.recipients:"),
    ("MIXED", "encryption.recipients: recipients mix hybrid and x25519 keys"),
])
def test_spec_encryption_recipients_are_checked_with_line_and_path(tmp_path, recipients, message):
    if recipients == "MIXED":
        recipients = f"[{generate_identity(HYBRID).recipient}, {generate_identity(CLASSICAL).recipient}]"
    spec = write_spec(tmp_path, AWS_SPEC_HEAD + f"encryption:\n  recipients: {recipients}\n")
    with pytest.raises(SpecError) as raised:
        load_spec(spec)
    assert message in str(raised.value) and "nexus.yaml:6" in str(raised.value)


def test_spec_with_valid_recipients_loads(tmp_path, identity):
    spec = write_spec(tmp_path, AWS_SPEC_HEAD + f"encryption:\n  recipients: [{identity.recipient}]\n")
    assert load_spec(spec).spec.encryption.recipients == [str(identity.recipient)]
