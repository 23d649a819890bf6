"""Signing keys (cdktf_app.crypto.signing): Ed25519 + ML-DSA-65, text forms, key files, what a verifier requires."""
from __future__ import annotations

import base64

import pytest

from cdktf_app.crypto.signing import (CLASSICAL, ED25519, HYBRID, ML_DSA, SigningKey, generate_signing_key,
                                      load_signing_key, ml_dsa_supported, parse_signing_key, parse_verify_key,
                                      write_signing_key)
from cdktf_app.errors import EncryptionError, VerificationError

CONTEXT = b"test context"

# RFC 8032, section 7.1, TEST 1: Ed25519 of the empty message.
RFC8032_SECRET = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
RFC8032_PUBLIC = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
RFC8032_SIGNATURE = bytes.fromhex("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e"
                                  "39701cf9b46bd25bf5f0595bbe24655141438e7a100b")


def test_ed25519_known_answer_from_rfc_8032():
    key = SigningKey(CLASSICAL, RFC8032_SECRET)
    assert key.verify_key.public_bytes == RFC8032_PUBLIC
    assert base64.b64decode(key.sign(b"", b"")[ED25519]) == RFC8032_SIGNATURE


def test_the_installed_library_offers_ml_dsa_and_new_keys_are_hybrid():
    assert ml_dsa_supported()  # cryptography 51.0.1, pinned
    key = generate_signing_key()
    assert key.kind == HYBRID and set(key.sign(b"m", CONTEXT)) == {ED25519, ML_DSA}


@pytest.mark.parametrize("kind", [HYBRID, CLASSICAL])
def test_text_forms_round_trip_and_signatures_verify(kind):
    key = generate_signing_key(kind)
    again = parse_signing_key(f"# comment\n{key}\n", "key.txt")
    assert again.verify_key == key.verify_key == parse_verify_key(str(key.verify_key))
    key.verify_key.verify(b"message", again.sign(b"message", CONTEXT), CONTEXT, "here")
    assert str(key).rsplit("-", 1)[1] not in repr(key)  # the secret never reaches a log line


def test_a_hybrid_key_requires_both_signatures_and_the_same_context():
    key = generate_signing_key(HYBRID)
    signatures = key.sign(b"message", CONTEXT)
    with pytest.raises(VerificationError, match="no ML-DSA-65 signature"):
        key.verify_key.verify(b"message", {ED25519: signatures[ED25519]}, CONTEXT, "here")
    with pytest.raises(VerificationError, match="Ed25519 signature does not verify"):
        key.verify_key.verify(b"message", signatures, b"another context", "here")
    ml_dsa_only_changed = {**signatures, ML_DSA: key.sign(b"other", CONTEXT)[ML_DSA]}
    with pytest.raises(VerificationError, match="ML-DSA-65 signature does not verify"):
        key.verify_key.verify(b"message", ml_dsa_only_changed, CONTEXT, "here")


@pytest.mark.parametrize("text, expected", [
    ("NEXUS-SIGNING-KEY-1-RSA-AAAA", "expected `NEXUS-SIGNING-KEY-1-<KIND>-<key>`"),
    ("NEXUS-SIGNING-KEY-1-ED25519-AAAA", "an ed25519 key has 32 bytes, this one 3"),
    ("one\ntwo", "expected one line"),
])
def test_malformed_signing_keys_are_clear_errors(text, expected):
    with pytest.raises(EncryptionError, match=expected):
        parse_signing_key(text, "key.txt")


def test_a_key_file_is_owner_only_and_never_overwritten(tmp_path):
    key = generate_signing_key()
    path = tmp_path / "signing.key"
    write_signing_key(key, path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_signing_key(path).verify_key == key.verify_key
    with pytest.raises(EncryptionError, match="never overwritten"):
        write_signing_key(generate_signing_key(), path)
    assert load_signing_key(path).verify_key == key.verify_key


def test_the_key_comes_from_the_environment_when_no_file_is_named(monkeypatch):
    key = generate_signing_key()
    monkeypatch.setenv("NEXUS_SIGNING_KEY", str(key))
    assert load_signing_key().verify_key == key.verify_key
    monkeypatch.delenv("NEXUS_SIGNING_KEY")
    with pytest.raises(EncryptionError, match="no signing key"):
        load_signing_key()
