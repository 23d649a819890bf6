"""Encryption at rest (cdktf_app/crypto): the primitives against their published vectors, then the envelope's
round trips and every way a file can be wrong (a flipped bit anywhere, a wrong key, a cut, an added or a swapped
chunk, a future version): always EncryptionError, and no plaintext written."""
from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cdktf_app.cli.main import cli
from cdktf_app.crypto import envelope
from cdktf_app.crypto.envelope import (CHUNK_SIZE, MAGIC, TAG_BYTES, decrypt_bytes, decrypt_file, encrypt_bytes,
                                       encrypt_file, rotate_file)
from cdktf_app.crypto.keys import (CLASSICAL, HYBRID, generate_identity, identity_file_text, load_identity,
                                   parse_identity, parse_recipient, write_identity)
from cdktf_app.errors import EncryptionError

KINDS = (HYBRID, CLASSICAL)
h = bytes.fromhex


# --- known answers: the primitives the envelope is built from -------------------------------------------------

@pytest.mark.parametrize("scalar, u, expected", [
    # RFC 7748 section 5.2, first vector
    ("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4",
     "e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c",
     "c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552"),
    # RFC 7748 section 6.1: Alice's private key with Bob's public key gives the shared secret
    ("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
     "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f",
     "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"),
])
def test_x25519_rfc7748_vectors(scalar, u, expected):
    private = x25519.X25519PrivateKey.from_private_bytes(h(scalar))
    assert private.exchange(x25519.X25519PublicKey.from_public_bytes(h(u))) == h(expected)


def test_x25519_rfc7748_public_keys():
    alice = x25519.X25519PrivateKey.from_private_bytes(
        h("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a"))
    assert alice.public_key().public_bytes_raw() == h(
        "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")


@pytest.mark.parametrize("key, iv, plaintext, aad, ciphertext_and_tag", [
    # McGrew & Viega, "The Galois/Counter Mode of Operation", AES-256 test cases 13, 14 and 16
    ("00" * 32, "00" * 12, "", "", "530f8afbc74536b9a963b4f1c4cb738b"),
    ("00" * 32, "00" * 12, "00" * 16, "", "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919"),
    ("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308", "cafebabefacedbaddecaf888",
     "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de6"
     "57ba637b39", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
     "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a"
     "0abcc9f662" "76fc6ece0f4e1768cddf8853bb2d551b"),
])
def test_aes_256_gcm_published_vectors(key, iv, plaintext, aad, ciphertext_and_tag):
    aead = AESGCM(h(key))
    assert aead.encrypt(h(iv), h(plaintext), h(aad) or None) == h(ciphertext_and_tag)
    assert aead.decrypt(h(iv), h(ciphertext_and_tag), h(aad) or None) == h(plaintext)


def test_hkdf_sha256_rfc5869_case_1():
    derived = HKDF(algorithm=hashes.SHA256(), length=42, salt=h("000102030405060708090a0b0c"),
                   info=h("f0f1f2f3f4f5f6f7f8f9")).derive(b"\x0b" * 22)
    assert derived == h("3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")


def test_mlkem768_sizes_and_seed_determinism_of_fips203():
    # No FIPS 203 vector ships with the library; what the envelope relies on: the sizes FIPS 203 fixes, a seed
    # giving the same key every time (the key file stores the seed), and decapsulation matching encapsulation.
    seed = bytes(range(64))
    first, second = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed), mlkem.MLKEM768PrivateKey.from_seed_bytes(seed)
    public = first.public_key()
    assert public.public_bytes_raw() == second.public_key().public_bytes_raw()
    assert len(public.public_bytes_raw()) == 1184
    shared, ciphertext = public.encapsulate()
    assert len(ciphertext) == 1088 and len(shared) == 32
    assert second.decapsulate(ciphertext) == shared


# --- keys --------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_key_text_forms_round_trip(kind):
    identity = generate_identity(kind)
    assert parse_identity(identity_file_text(identity), "key.txt") == identity
    assert parse_recipient(str(identity.recipient)) == identity.recipient
    assert str(identity.recipient).startswith(f"nexus1-{kind}-")
    assert str(identity)[-20:] not in repr(identity)  # the secret stays out of logs and tracebacks


def test_key_file_is_owner_only_and_never_overwritten(tmp_path):
    path = tmp_path / "key.txt"
    write_identity(generate_identity(CLASSICAL), path)
    before = path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(EncryptionError, match="exists; a key file is never overwritten"):
        write_identity(generate_identity(CLASSICAL), path)
    assert path.read_bytes() == before


@pytest.mark.parametrize("text, message", [
    ("# a comment only\n", "expected one line `NEXUS-SECRET-KEY-1-<KIND>-<key>`"),
    ("NEXUS-SECRET-KEY-1-RSA-AAAA", "key kind: expected HYBRID or X25519, got 'RSA'"),
    ("NEXUS-SECRET-KEY-1-X25519-AAAA", "a x25519 key has 32 bytes, this one 3"),
])
def test_malformed_private_key_is_a_clear_error(text, message, monkeypatch):
    monkeypatch.setenv("NEXUS_PRIVATE_KEY", text)
    with pytest.raises(EncryptionError) as raised:
        load_identity()
    assert message in str(raised.value)
    assert raised.value.exit_code == 2


def test_recipient_of_another_format_is_refused():
    with pytest.raises(EncryptionError, match="expected `nexus1-hybrid-...`"):
        parse_recipient("age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq")


# --- the envelope --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def identities():
    return {kind: generate_identity(kind) for kind in KINDS}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("size", [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 3 * CHUNK_SIZE + 5])
def test_round_trip_with_metadata(identities, kind, size):
    plaintext = os.urandom(size)
    sealed = encrypt_bytes(plaintext, [identities[kind].recipient], {"artifact": "state-backup", "stack": "app"})
    header = json.loads(sealed[len(MAGIC):sealed.index(b"\n", len(MAGIC))])
    assert (header["kem"], header["kdf"], header["aead"]) == (
        {HYBRID: "ML-KEM-768+X25519", CLASSICAL: "X25519"}[kind], "HKDF-SHA256", "AES-256-GCM")
    assert size < 16 or plaintext[:16] not in sealed
    assert decrypt_bytes(sealed, identities[kind]) == (plaintext, {"artifact": "state-backup", "stack": "app"})


def test_several_recipients_each_open_the_file(identities):
    other = generate_identity(HYBRID)
    sealed = encrypt_bytes(b"state", [identities[HYBRID].recipient, other.recipient])
    assert decrypt_bytes(sealed, identities[HYBRID])[0] == decrypt_bytes(sealed, other)[0] == b"state"


def test_mixing_hybrid_and_classical_recipients_is_refused(identities):
    # a classical recipient beside a hybrid one would leave the file open to a quantum attacker
    with pytest.raises(EncryptionError, match="mix hybrid and x25519"):
        encrypt_bytes(b"state", [identities[HYBRID].recipient, identities[CLASSICAL].recipient])


def _header_end(sealed: bytes) -> int:
    return sealed.index(b"\n", len(MAGIC)) + 1


def _offsets(sealed: bytes) -> dict[str, int]:
    header_end = _header_end(sealed)
    text = sealed[:header_end].decode()
    return {"magic": 3, "kem name": text.index('"kem":"') + 8, "metadata": text.index("state-backup"),
            "nonce": text.index('"nonce":"') + 10, "wrapped key": text.index('"wrapped_key":"') + 20,
            "first ciphertext byte": header_end, "middle of the payload": header_end + CHUNK_SIZE + 7,
            "tag of the last chunk": len(sealed) - 1}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("place", ["magic", "kem name", "metadata", "nonce", "wrapped key", "first ciphertext byte",
                                   "middle of the payload", "tag of the last chunk"])
def test_one_flipped_bit_anywhere_is_detected_and_nothing_is_written(identities, kind, place, tmp_path):
    sealed = bytearray(encrypt_bytes(os.urandom(2 * CHUNK_SIZE + 100), [identities[kind].recipient],
                                     {"artifact": "state-backup"}))
    sealed[_offsets(bytes(sealed))[place]] ^= 0x01
    source, target = tmp_path / "state.enc", tmp_path / "state.json"
    source.write_bytes(bytes(sealed))
    with pytest.raises(EncryptionError) as raised:
        decrypt_file(source, target, identities[kind])
    assert str(source) in str(raised.value)
    assert list(tmp_path.iterdir()) == [source]  # neither the target nor a temporary file


def test_wrong_key_names_the_recipients(identities):
    sealed = encrypt_bytes(b"state", [identities[HYBRID].recipient])
    stranger = generate_identity(HYBRID)
    with pytest.raises(EncryptionError, match=f"wrong key: the file is encrypted to "
                                              f"{identities[HYBRID].recipient.fingerprint}, this key is "
                                              f"{stranger.recipient.fingerprint}"):
        decrypt_bytes(sealed, stranger)


def _chunks(sealed: bytes) -> tuple[bytes, list[bytes]]:
    header_end, size = _header_end(sealed), CHUNK_SIZE + TAG_BYTES
    return sealed[:header_end], [sealed[i:i + size] for i in range(header_end, len(sealed), size)]


@pytest.mark.parametrize("change", ["drop the last chunk", "cut inside the last chunk", "append a chunk",
                                    "swap two chunks", "header only"])
def test_truncated_extended_or_reordered_payload_is_detected(identities, change):
    header, chunks = _chunks(encrypt_bytes(os.urandom(3 * CHUNK_SIZE + 9), [identities[CLASSICAL].recipient]))
    assert len(chunks) == 4
    changed = {"drop the last chunk": chunks[:-1], "cut inside the last chunk": chunks[:-1] + [chunks[-1][:-3]],
               "append a chunk": chunks + [chunks[1]], "swap two chunks": [chunks[1], chunks[0], *chunks[2:]],
               "header only": []}[change]
    with pytest.raises(EncryptionError, match="tampered with or truncated"):
        decrypt_bytes(header + b"".join(changed), identities[CLASSICAL])


def test_a_later_envelope_version_is_named_not_misread(identities):
    sealed = encrypt_bytes(b"state", [identities[CLASSICAL].recipient])
    with pytest.raises(EncryptionError, match="envelope version '2' is not one this Nexus reads"):
        decrypt_bytes(sealed.replace(b"nexus-envelope/1", b"nexus-envelope/2", 1), identities[CLASSICAL])
    with pytest.raises(EncryptionError, match="not a Nexus encrypted file"):
        decrypt_bytes(b'{"version": 4}', identities[CLASSICAL])


def test_file_round_trip_is_owner_only(identities, tmp_path):
    source = tmp_path / "state.json"
    source.write_bytes(os.urandom(CHUNK_SIZE * 2))
    encrypt_file(source, tmp_path / "state.enc", [identities[HYBRID].recipient], {"artifact": "state-backup"})
    assert stat.S_IMODE((tmp_path / "state.enc").stat().st_mode) == 0o600
    assert decrypt_file(tmp_path / "state.enc", tmp_path / "out.json", identities[HYBRID]) == {
        "artifact": "state-backup"}
    assert (tmp_path / "out.json").read_bytes() == source.read_bytes()


def test_rotation_re_encrypts_in_place_and_a_failed_one_changes_nothing(identities, tmp_path):
    path = tmp_path / "state.enc"
    plaintext = os.urandom(CHUNK_SIZE + 3)
    path.write_bytes(encrypt_bytes(plaintext, [identities[HYBRID].recipient], {"artifact": "state-backup"}))
    new = generate_identity(HYBRID)
    rotate_file(path, identities[HYBRID], [new.recipient])
    assert decrypt_bytes(path.read_bytes(), new) == (plaintext, {"artifact": "state-backup"})
    with pytest.raises(EncryptionError, match="wrong key"):
        decrypt_bytes(path.read_bytes(), identities[HYBRID])
    # a rotation that fails on the last chunk (a tampered tag) leaves the file as it was, no temporary behind
    damaged = bytearray(path.read_bytes())
    damaged[-1] ^= 0x80
    path.write_bytes(bytes(damaged))
    with pytest.raises(EncryptionError, match="chunk 1 fails authentication"):
        rotate_file(path, new, [identities[HYBRID].recipient])
    assert path.read_bytes() == bytes(damaged) and list(tmp_path.iterdir()) == [path]


def test_envelope_module_documents_its_format():
    assert "nexus-envelope/1" in envelope.__doc__ and "STREAM" in envelope.__doc__


# --- the CLI -------------------------------------------------------------------------------------------------

def test_cli_generate_show_and_rotate(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "generate", "-o", "key.txt"])
    assert made.exit_code == 0, made.output
    recipient = made.stdout.strip()
    assert recipient.startswith("nexus1-hybrid-") and stat.S_IMODE(os.stat("key.txt").st_mode) == 0o600
    assert runner.invoke(cli, ["keys", "show", "-k", "key.txt"]).stdout.strip() == recipient
    again = runner.invoke(cli, ["keys", "generate", "-o", "key.txt"])
    assert again.exit_code == 2 and "key.txt exists" in again.stderr

    classical = runner.invoke(cli, ["keys", "generate", "--classical"]).stdout
    shown = runner.invoke(cli, ["keys", "show"], env={"NEXUS_PRIVATE_KEY": classical})
    assert shown.stdout.strip() == str(parse_identity(classical, "stdout").recipient)

    (tmp_path / "state.enc").write_bytes(encrypt_bytes(b"state", [parse_recipient(recipient)]))
    new = generate_identity(HYBRID)
    rotated = runner.invoke(cli, ["keys", "rotate", "state.enc", "-k", "key.txt", "--to", str(new.recipient)])
    assert rotated.exit_code == 0, rotated.output
    assert decrypt_bytes((tmp_path / "state.enc").read_bytes(), new)[0] == b"state"
    refused = runner.invoke(cli, ["keys", "rotate", "state.enc", "-k", "key.txt", "--to", str(new.recipient)])
    assert refused.exit_code == 2 and "wrong key" in refused.stderr


def test_cli_decrypt_prints_the_plaintext_only_when_the_whole_file_authenticates(tmp_path, identities):
    key = tmp_path / "key.txt"
    key.write_text(identity_file_text(identities[CLASSICAL]))
    plaintext = os.urandom(CHUNK_SIZE) + b"the end"
    sealed = encrypt_bytes(plaintext, [identities[CLASSICAL].recipient])
    (tmp_path / "good.enc").write_bytes(sealed)
    (tmp_path / "bad.enc").write_bytes(sealed[:-1] + bytes([sealed[-1] ^ 1]))  # the last chunk's tag
    good = CliRunner().invoke(cli, ["keys", "decrypt", str(tmp_path / "good.enc"), "-k", str(key)])
    assert good.exit_code == 0 and good.stdout_bytes == plaintext
    bad = CliRunner().invoke(cli, ["keys", "decrypt", str(tmp_path / "bad.enc"), "-k", str(key)])
    assert bad.exit_code == 2 and bad.stdout_bytes == b"" and "chunk 1 fails authentication" in bad.stderr


def test_cli_without_a_key_says_where_one_comes_from(monkeypatch):
    monkeypatch.delenv("NEXUS_PRIVATE_KEY", raising=False)
    result = CliRunner().invoke(cli, ["keys", "show"])
    assert result.exit_code == 2
    assert "pass --key FILE or set NEXUS_PRIVATE_KEY" in result.stderr and "Traceback" not in result.output


# The README's "Encryption at rest" examples, exactly as printed there, run by bash with the venv's `nexus`.
README_KEYS = """\
nexus keys generate -o nexus-key.txt             # mode 0600; prints the recipient, nexus1-hybrid-...
nexus keys show -k nexus-key.txt                 # the recipient again
export NEXUS_PRIVATE_KEY="$(cat nexus-key.txt)"  # or give the key by environment, e.g. from a CI secret
nexus keys show
"""
README_RESTORE = """\
nexus keys decrypt -k nexus-key.txt .nexus/state-backups/shop-dev-aws/*-serial3.tfstate.enc > restored.tfstate
"""
README_ROTATION = """\
nexus keys generate -o new-key.txt
nexus keys rotate .nexus/state-backups/*/*.tfstate.enc -k nexus-key.txt --to "$(nexus keys show -k new-key.txt)"
"""


def _bash(script: str, folder) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "NEXUS_PRIVATE_KEY"}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_readme_examples_run(tmp_path):
    keys = _bash(README_KEYS, tmp_path)
    assert keys.returncode == 0, keys.stderr
    recipient = str(load_identity(tmp_path / "nexus-key.txt").recipient)
    assert keys.stdout.split() == [recipient] * 3
    backup = tmp_path / ".nexus" / "state-backups" / "shop-dev-aws" / "20260101T000000Z-serial3.tfstate.enc"
    backup.parent.mkdir(parents=True)
    backup.write_bytes(encrypt_bytes(b'{"serial": 3}', [parse_recipient(recipient)], {"artifact": "state-backup"}))
    restored = _bash(README_RESTORE, tmp_path)
    assert restored.returncode == 0 and (tmp_path / "restored.tfstate").read_bytes() == b'{"serial": 3}'
    rotated = _bash(README_ROTATION, tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    assert decrypt_bytes(backup.read_bytes(), load_identity(tmp_path / "new-key.txt")) == (
        b'{"serial": 3}', {"artifact": "state-backup"})
