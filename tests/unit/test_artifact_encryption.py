"""Every kind of artifact Nexus encrypts, made by the code that makes it: a deploy's saved plan (sealed to the
run's key), `plan --plan-dir`'s plan and plan JSON, a run-history column, OpenTofu's data key. Each round-trips;
one flipped bit in the header, the ciphertext or the tag is refused with nothing written; another key is named
a wrong key; `nexus keys rotate` re-encrypts it. Then ML-KEM-768 key generation against NIST's ACVP vectors
(state backups have the same checks in test_state_backup_encryption.py and test_crypto.py)."""
from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import mlkem

from cdktf_app.cli.main import cli
from cdktf_app.crypto.envelope import MAGIC, decrypt_bytes
from cdktf_app.crypto.key_provider import SEALED_KEY_FIELD, provide
from cdktf_app.crypto.keys import CLASSICAL, HYBRID, Identity, generate_identity, identity_file_text
from cdktf_app.deploy.plan_files import keep_sealed_plan, opened_plan, seal_plan
from cdktf_app.errors import EncryptionError
from cdktf_app.runs.sealed import SEALED_PREFIX, seal_text

PLAN = b"PK\x03\x04 a terraform plan, with db_password = hunter2 inside" * 50
PLAN_JSON = json.dumps({"resource_changes": [{"address": "aws_db_instance.db", "after": {"password": "hunter2"}}]})
FIXTURES = Path(__file__).parent.parent / "fixtures" / "crypto"


def made(kind: str, identity: Identity, folder: Path) -> tuple[Path, bytes]:
    """An artifact of KIND encrypted to IDENTITY by the code that makes it, as a file, and its plaintext."""
    recipients = [identity.recipient]
    if kind in ("plan", "kept-plan", "kept-plan-json"):
        (folder / "nexus.tfplan").write_bytes(PLAN)
        if kind == "plan":
            return seal_plan(folder / "nexus.tfplan", recipients, "app-dev-aws"), PLAN
        plan, plan_json = keep_sealed_plan(folder / "nexus.tfplan", PLAN_JSON, folder / "kept", "app-dev-aws",
                                           recipients)
        return (plan, PLAN) if kind == "kept-plan" else (plan_json, PLAN_JSON.encode())
    if kind == "run-column":
        stored = seal_text("Error: password hunter2 rejected", recipients, "abc123", "error_evidence")
        envelope = base64.b64decode(stored[len(SEALED_PREFIX):])
        plaintext = b"Error: password hunter2 rejected"
    else:  # opentofu-data-key
        answer = provide(None, recipients, lambda: identity)
        envelope = base64.b64decode(answer["meta"]["external_data"][SEALED_KEY_FIELD])
        plaintext = base64.b64decode(answer["keys"]["encryption_key"])
    path = folder / f"{kind}.enc"
    path.write_bytes(envelope)
    return path, plaintext


KINDS = ("plan", "kept-plan", "kept-plan-json", "run-column", "opentofu-data-key")
METADATA = {"plan": {"artifact": "plan", "stack": "app-dev-aws"},
            "kept-plan": {"artifact": "plan", "stack": "app-dev-aws"},
            "kept-plan-json": {"artifact": "plan-json", "stack": "app-dev-aws"},
            "run-column": {"artifact": "run-column", "run": "abc123", "column": "error_evidence"},
            "opentofu-data-key": {"artifact": "opentofu-data-key"}}


@pytest.fixture(scope="module")
def identities():
    return {kind: generate_identity(kind) for kind in (HYBRID, CLASSICAL)}


@pytest.mark.parametrize("key_kind", [HYBRID, CLASSICAL])
@pytest.mark.parametrize("kind", KINDS)
def test_each_artifact_round_trips_and_holds_no_plaintext(kind, key_kind, identities, tmp_path):
    path, plaintext = made(kind, identities[key_kind], tmp_path)
    sealed = path.read_bytes()
    assert sealed.startswith(MAGIC) and b"hunter2" not in sealed and plaintext not in sealed
    assert decrypt_bytes(sealed, identities[key_kind]) == (plaintext, METADATA[kind])


def _flipped(sealed: bytes, place: str) -> bytes:
    header_end = sealed.index(b"\n", len(MAGIC)) + 1
    at = {"header": sealed.index(b'"metadata"') + 2, "ciphertext": header_end, "tag": len(sealed) - 1}[place]
    return sealed[:at] + bytes([sealed[at] ^ 1]) + sealed[at + 1:]


@pytest.mark.parametrize("place", ["header", "ciphertext", "tag"])
@pytest.mark.parametrize("kind", KINDS)
def test_one_flipped_bit_is_refused_and_nothing_is_opened(kind, place, identities, tmp_path):
    identity = identities[HYBRID]
    path, _ = made(kind, identity, tmp_path)
    path.write_bytes(_flipped(path.read_bytes(), place))
    with pytest.raises(EncryptionError, match="chunk 0 fails authentication"):
        with opened_plan(path, identity) as plain:
            pytest.fail(f"opened {plain}")
    assert not path.with_name(path.name.removesuffix(".enc")).exists()  # no plaintext written


@pytest.mark.parametrize("kind", KINDS)
def test_another_key_is_named_a_wrong_key(kind, identities, tmp_path):
    path, _ = made(kind, identities[HYBRID], tmp_path)
    with pytest.raises(EncryptionError, match="wrong key: the file is encrypted to"):
        decrypt_bytes(path.read_bytes(), generate_identity(HYBRID))


def test_keys_rotate_re_encrypts_every_artifact_file_kind(identities, tmp_path):
    old = identities[HYBRID]
    key = tmp_path / "old.txt"
    key.write_text(identity_file_text(old))
    files = {}
    for kind in KINDS:
        folder = tmp_path / kind
        folder.mkdir()
        files[kind] = made(kind, old, folder)
    new = generate_identity(HYBRID)
    rotated = CliRunner().invoke(cli, ["keys", "rotate", *(str(path) for path, _ in files.values()), "-k", str(key),
                                       "--to", str(new.recipient)])
    assert rotated.exit_code == 0, rotated.output
    for kind, (path, plaintext) in files.items():
        assert decrypt_bytes(path.read_bytes(), new) == (plaintext, METADATA[kind])
        with pytest.raises(EncryptionError, match="wrong key"):
            decrypt_bytes(path.read_bytes(), old)


def test_an_opened_plan_is_owner_only_and_gone_after_the_block_even_on_error(identities, tmp_path):
    (tmp_path / "nexus.tfplan").write_bytes(PLAN)
    sealed = seal_plan(tmp_path / "nexus.tfplan", [identities[CLASSICAL].recipient], "app")
    assert not (tmp_path / "nexus.tfplan").exists()
    with pytest.raises(KeyboardInterrupt):
        with opened_plan(sealed, identities[CLASSICAL]) as plain:
            assert plain.read_bytes() == PLAN and plain.stat().st_mode & 0o777 == 0o600
            raise KeyboardInterrupt
    assert not plain.exists() and sealed.exists()


# --- ML-KEM-768 key generation: NIST ACVP known answers -----------------------------------------------------------
# cryptography exposes key generation from the FIPS 203 seed (d || z), so ACVP's keyGen vectors apply. It does not
# expose encapsulation with a chosen message m (nor import of an expanded decapsulation key, which ACVP's
# decapsulation vectors give), so those are covered by round trips only.

ACVP = json.loads((FIXTURES / "ml-kem-768-acvp-keygen.json").read_text())


@pytest.mark.parametrize("case", ACVP["tests"], ids=lambda case: f"tcId{case['tcId']}")
def test_mlkem768_key_generation_matches_nist_acvp(case):
    seed = bytes.fromhex(case["d"] + case["z"])
    assert mlkem.MLKEM768PrivateKey.from_seed_bytes(seed).public_key().public_bytes_raw() == bytes.fromhex(case["ek"])
    identity = Identity(HYBRID, seed + bytes(range(32)))  # a Nexus hybrid key: the ML-KEM seed, then X25519
    assert identity.recipient.public_bytes[:1184] == bytes.fromhex(case["ek"])
