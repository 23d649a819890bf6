"""`nexus key-provider` against OpenTofu's external key provider protocol, version 1 (OpenTofu's
internal/encryption/keyprovider/external: README.md, protocol/{header,input,output}.schema.json, provider.go).
There is no tofu binary here, so the test is OpenTofu's side of the exchange: the command is started as a
process, its first stdout line must be the header, OpenTofu's input goes on stdin (`null`, or the metadata it
stored), and the rest of stdout must decode as provider.go decodes it (unknown fields refused, base64 keys).
The keys then encrypt and decrypt a state with AES-256-GCM, as OpenTofu's aes_gcm method does."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cdktf_app.crypto.key_provider import SEALED_KEY_FIELD, provide
from cdktf_app.crypto.keys import CLASSICAL, HYBRID, generate_identity
from cdktf_app.errors import EncryptionError
from tests.helpers import AWS_SPEC_HEAD, write_spec

# The documented shapes, as provider.go enforces them: the header may grow fields; the output may not.
HEADER_SCHEMA = {"type": "object", "required": ["magic", "version"],
                 "properties": {"magic": {"const": "OpenTofu-External-Key-Provider"}, "version": {"const": 1}}}
OUTPUT_SCHEMA = {
    "type": "object", "required": ["keys", "meta"], "additionalProperties": False,
    "properties": {
        "keys": {"type": "object", "required": ["encryption_key"], "additionalProperties": False,
                 "properties": {"encryption_key": {"type": "string"}, "decryption_key": {"type": "string"}}},
        "meta": {"type": "object", "additionalProperties": False,
                 "properties": {"external_data": {"type": "object"}}}}}
NEXUS = [str(Path(sys.executable).parent / "nexus"), "key-provider"]  # as OpenTofu runs a command


def as_opentofu(arguments: list[str], stored: object, environment: dict[str, str] | None = None) -> dict:
    """One exchange as OpenTofu runs it: the header line checked first, then the output decoded strictly; a
    non-zero exit is a failure whose stderr OpenTofu shows."""
    env = {key: value for key, value in os.environ.items() if key != "NEXUS_PRIVATE_KEY"} | (environment or {})
    done = subprocess.run([*NEXUS, *arguments], input=json.dumps(stored), capture_output=True, text=True,
                          timeout=60, env=env)
    if done.returncode != 0:
        raise AssertionError(f"exit {done.returncode}\n{done.stderr}")
    header, _, rest = done.stdout.partition("\n")
    jsonschema.validate(json.loads(header), HEADER_SCHEMA)
    output = json.loads(rest)
    jsonschema.validate(output, OUTPUT_SCHEMA)
    for value in output["keys"].values():
        assert len(base64.b64decode(value, validate=True)) == 32  # AES-256 for the aes_gcm method
    return output


def failing(arguments: list[str], stored: object, environment: dict[str, str] | None = None):
    env = {key: value for key, value in os.environ.items() if key != "NEXUS_PRIVATE_KEY"} | (environment or {})
    return subprocess.run([*NEXUS, *arguments], input=json.dumps(stored), capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.fixture(scope="module")
def identity():
    return generate_identity(HYBRID)


def test_encrypt_then_decrypt_a_state_as_opentofu_does(identity):
    to = ["--to", str(identity.recipient)]
    first = as_opentofu(to, None)  # OpenTofu only encrypts: no decryption key
    assert set(first["keys"]) == {"encryption_key"}
    key = base64.b64decode(first["keys"]["encryption_key"])
    state = json.dumps({"version": 4, "outputs": {"password": {"value": "hunter2"}}}).encode()
    nonce = os.urandom(12)
    sealed_state = AESGCM(key).encrypt(nonce, state, None)
    stored = first["meta"]  # what OpenTofu keeps beside the encrypted state and hands back
    assert b"hunter2" not in json.dumps(stored).encode() and key.hex() not in json.dumps(stored)
    second = as_opentofu(to, stored, {"NEXUS_PRIVATE_KEY": str(identity)})
    assert base64.b64decode(second["keys"]["decryption_key"]) == key
    assert AESGCM(base64.b64decode(second["keys"]["decryption_key"])).decrypt(nonce, sealed_state, None) == state
    assert second["keys"]["encryption_key"] != first["keys"]["encryption_key"]  # a fresh key for the next write
    third = as_opentofu(to, second["meta"], {"NEXUS_PRIVATE_KEY": str(identity)})
    assert third["keys"]["decryption_key"] == second["keys"]["encryption_key"]


def test_the_spec_names_the_recipients(identity, tmp_path):
    spec = write_spec(tmp_path, AWS_SPEC_HEAD + f"encryption:\n  recipients: ['{identity.recipient}']\n")
    made = as_opentofu(["--spec", str(spec)], None)
    opened = provide(made["meta"], [identity.recipient], lambda: identity)
    assert opened["keys"]["decryption_key"] == made["keys"]["encryption_key"]


def test_empty_metadata_asks_for_no_decryption_key(identity):
    # meta.go: an empty external_data map is valid input (stored by a provider that keeps no metadata)
    assert "decryption_key" not in as_opentofu(["--to", str(identity.recipient)], {"external_data": {}})["keys"]


@pytest.mark.parametrize("environment, message", [
    ({}, "no private key: pass --key FILE or set NEXUS_PRIVATE_KEY"),
    ({"NEXUS_PRIVATE_KEY": str(generate_identity(HYBRID))}, "wrong key"),
])
def test_decrypting_without_the_right_key_fails_with_a_clear_message(identity, environment, message):
    stored = as_opentofu(["--to", str(identity.recipient)], None)["meta"]
    done = failing(["--to", str(identity.recipient)], stored, environment)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
    assert "decryption_key" not in done.stdout


def test_tampered_metadata_is_refused(identity):
    stored = as_opentofu(["--to", str(identity.recipient)], None)["meta"]
    sealed = bytearray(base64.b64decode(stored["external_data"][SEALED_KEY_FIELD]))
    sealed[-1] ^= 1  # the tag of the sealed data key
    stored["external_data"][SEALED_KEY_FIELD] = base64.b64encode(bytes(sealed)).decode()
    with pytest.raises(EncryptionError, match="fails authentication"):
        provide(stored, [identity.recipient], lambda: identity)


@pytest.mark.parametrize("arguments, message", [
    ([], "give --spec FILE or --to RECIPIENT"),
    (["--spec", "SPEC"], "encryption.recipients: the spec has no `encryption` section"),
    (["--to", "nexus1-nothing"], "expected `nexus1-hybrid-...` or `nexus1-x25519-...`"),
])
def test_bad_arguments_are_usage_errors(arguments, message, tmp_path):
    spec = write_spec(tmp_path, AWS_SPEC_HEAD)
    done = failing([str(spec) if part == "SPEC" else part for part in arguments], None)
    assert done.returncode == 2 and message in done.stderr


def test_bad_input_is_a_clear_error():
    recipient = str(generate_identity(CLASSICAL).recipient)
    for stored, message in ((["a list"], "expected null or"), ("{", None)):
        done = subprocess.run([*NEXUS, "--to", recipient], input="{" if stored == "{" else json.dumps(stored),
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 2 and (message or "not JSON") in done.stderr
