"""Private keys wrapped by AWS KMS (`nexus keys generate --kms-key-id`), against the sandbox's moto server: the
wrapped key opens artifacts and rotates them wherever a private key is read (file or NEXUS_PRIVATE_KEY); a
tampered file or one wrapped with another encryption context is refused (exit 2); KMS that cannot be used (key
disabled, no credentials, unreachable) means the key cannot be obtained (exit 4), never a partial result."""
from __future__ import annotations

import base64
import json
import os
import socket
import stat
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.crypto.envelope import decrypt_bytes, encrypt_bytes
from cdktf_app.crypto.keys import HYBRID, generate_identity, identity_file_text, load_identity, parse_recipient
from cdktf_app.crypto.kms import FORMAT, KmsKey, context_for
from cdktf_app.errors import EncryptionError
from tests.helpers import sandbox_aws

REGION = "eu-west-1"
STATE = b'{"serial": 3, "outputs": {"db_password": "hunter2"}}'


@pytest.fixture(scope="module")
def kms_key(sandbox) -> str:
    """A KMS key in the sandbox, reachable as alias/nexus-keys; its ARN."""
    kms = sandbox_aws("kms", sandbox.url, REGION)
    arn = kms.create_key(Description="wraps Nexus private keys")["KeyMetadata"]["Arn"]
    kms.create_alias(AliasName="alias/nexus-keys", TargetKeyId=arn)
    return arn


@pytest.fixture
def aws(sandbox, monkeypatch):
    """boto3's standard chain pointed at the sandbox, as a user's shell would be: credentials, region, endpoint."""
    for name in ("AWS_PROFILE", "AWS_REGION", "NEXUS_PRIVATE_KEY", "AWS_ENDPOINT_URL_KMS"):
        monkeypatch.delenv(name, raising=False)
    variables = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
                 "AWS_ENDPOINT_URL": sandbox.url, "AWS_EC2_METADATA_DISABLED": "true",
                 "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return variables


def nexus(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def generate_wrapped(folder: Path, name: str = "key.kms.json") -> tuple[Path, str]:
    made = nexus("keys", "generate", "--kms-key-id", "alias/nexus-keys", "-o", str(folder / name))
    assert made.exit_code == 0, made.output
    return folder / name, made.stdout.strip()


def test_a_wrapped_key_holds_only_kms_ciphertext_and_opens_an_artifact(aws, kms_key, tmp_path):
    key, recipient = generate_wrapped(tmp_path)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    wrapped = json.loads(key.read_text())
    identity = load_identity(key)
    assert str(identity.recipient) == recipient
    assert wrapped["format"] == FORMAT and wrapped["kms_key_id"] == kms_key and wrapped["region"] == REGION
    assert wrapped["encryption_context"] == {"nexus": "private-key", "recipient": identity.recipient.fingerprint}
    assert str(identity) not in key.read_text() and "NEXUS-SECRET-KEY" not in key.read_text()

    (tmp_path / "state.enc").write_bytes(encrypt_bytes(STATE, [parse_recipient(recipient)]))
    opened = nexus("keys", "decrypt", str(tmp_path / "state.enc"), "-k", str(key))
    assert opened.exit_code == 0, opened.output
    assert opened.stdout_bytes == STATE
    by_environment = nexus("keys", "decrypt", str(tmp_path / "state.enc"), env={"NEXUS_PRIVATE_KEY": key.read_text()})
    assert by_environment.exit_code == 0 and by_environment.stdout_bytes == STATE


def test_rotation_from_one_wrapped_key_to_another(aws, kms_key, tmp_path):
    old, old_recipient = generate_wrapped(tmp_path, "old.kms.json")
    new, new_recipient = generate_wrapped(tmp_path, "new.kms.json")
    (tmp_path / "state.enc").write_bytes(encrypt_bytes(STATE, [parse_recipient(old_recipient)]))
    rotated = nexus("keys", "rotate", str(tmp_path / "state.enc"), "-k", str(old), "--to", new_recipient)
    assert rotated.exit_code == 0, rotated.output
    assert decrypt_bytes((tmp_path / "state.enc").read_bytes(), load_identity(new))[0] == STATE
    again = nexus("keys", "rotate", str(tmp_path / "state.enc"), "-k", str(old), "--to", new_recipient)
    assert again.exit_code == 2 and "wrong key" in again.stderr


def _rewritten(key: Path, **fields) -> Path:
    wrapped = json.loads(key.read_text()) | fields
    key.write_text(json.dumps(wrapped))
    return key


def test_a_tampered_wrapped_key_is_refused_with_nothing_printed(aws, kms_key, tmp_path):
    key, recipient = generate_wrapped(tmp_path)
    (tmp_path / "state.enc").write_bytes(encrypt_bytes(STATE, [parse_recipient(recipient)]))
    blob = bytearray(base64.b64decode(json.loads(key.read_text())["ciphertext"]))
    blob[-1] ^= 1  # one bit of the KMS ciphertext's authentication tag
    _rewritten(key, ciphertext=base64.b64encode(bytes(blob)).decode())
    refused = nexus("keys", "decrypt", str(tmp_path / "state.enc"), "-k", str(key))
    assert refused.exit_code == 2 and refused.stdout_bytes == b""
    assert "KMS refused to decrypt it (InvalidCiphertextException): the file was altered" in refused.stderr
    assert "Traceback" not in refused.output


def test_a_key_wrapped_with_another_encryption_context_is_refused(aws, kms_key, tmp_path):
    key, _ = generate_wrapped(tmp_path)
    other = generate_identity(HYBRID).recipient.fingerprint
    _rewritten(key, encryption_context=context_for(other))  # the file now names another recipient
    refused = nexus("keys", "show", "-k", str(key))
    assert refused.exit_code == 2 and refused.stdout == ""
    assert f"'recipient': '{other}'" in refused.stderr and "InvalidCiphertextException" in refused.stderr

    # A ciphertext whose context KMS does authenticate, but that names another key than the one inside.
    identity = generate_identity(HYBRID)
    blob = sandbox_aws("kms", aws["AWS_ENDPOINT_URL"], REGION).encrypt(
        KeyId=kms_key, Plaintext=str(identity).encode(), EncryptionContext=context_for(other))["CiphertextBlob"]
    _rewritten(key, ciphertext=base64.b64encode(blob).decode())
    mislabelled = nexus("keys", "show", "-k", str(key))
    assert mislabelled.exit_code == 2 and mislabelled.stdout == ""
    assert "the unwrapped key is not the one its encryption context names" in mislabelled.stderr

    # A context of another shape is not asked of KMS at all: any ciphertext made without Nexus's context stays shut.
    _rewritten(key, encryption_context={"purpose": "anything"})
    foreign = nexus("keys", "show", "-k", str(key))
    assert foreign.exit_code == 2 and "encryption_context: expected {'nexus': 'private-key'" in foreign.stderr


@pytest.mark.parametrize("text, message", [
    ('{"format": "nexus-kms-wrapped/1",\n "kms": }', ":2: not a KMS-wrapped key as `nexus keys generate "
                                                     "--kms-key-id` writes it: not JSON"),
    ('{"format": "nexus-kms-wrapped/2"}', "format 'nexus-kms-wrapped/2': written by a later Nexus"),
    ('{"format": "nexus-kms-wrapped/1", "kms": "aws"}', "missing or empty: kms_key_id (str), region (str)"),
])
def test_a_malformed_wrapped_key_is_bad_input(text, message, tmp_path):
    (tmp_path / "key.kms.json").write_text(text)
    result = nexus("keys", "show", "-k", str(tmp_path / "key.kms.json"))
    assert result.exit_code == 2 and message in result.stderr and "Traceback" not in result.output


def test_a_wrapped_key_whose_ciphertext_is_not_base64_is_bad_input(aws, kms_key, tmp_path):
    key, _ = generate_wrapped(tmp_path)
    _rewritten(key, ciphertext="not base64!")
    result = nexus("keys", "show", "-k", str(key))
    assert result.exit_code == 2 and "ciphertext: not base64" in result.stderr


class _KmsKeyStates(BaseHTTPRequestHandler):
    """AWS KMS's answer for a disabled key (moto 5.2.5 encrypts and decrypts with one anyway): a DisabledException
    for Encrypt/Decrypt naming a disabled key; every other request passed on to moto unchanged."""

    upstream: str = ""

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        target = self.headers.get("X-Amz-Target", "")
        key_id = json.loads(body or b"{}").get("KeyId") if target.startswith("TrentService.") else None
        if target in ("TrentService.Encrypt", "TrentService.Decrypt") and key_id:
            metadata = sandbox_aws("kms", self.upstream, REGION).describe_key(KeyId=key_id)["KeyMetadata"]
            if metadata["KeyState"] == "Disabled":
                return self._answer(400, {"__type": "DisabledException", "message": f"{metadata['Arn']} is disabled."})
        forwarded = urllib.request.Request(self.upstream + self.path, data=body, method="POST",
                                           headers={name: value for name, value in self.headers.items()
                                                    if name.lower() != "host"})
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with direct.open(forwarded, timeout=30) as response:
                status, payload = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, payload = error.code, error.read()
        self._reply(status, payload)

    def _answer(self, status: int, document: dict) -> None:
        self._reply(status, json.dumps(document).encode())

    def _reply(self, status: int, payload: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:
        pass


@contextmanager
def kms_with_key_states(upstream: str):
    """A KMS endpoint on 127.0.0.1 in front of moto that answers for disabled keys as AWS does; stopped on exit."""
    handler = type("Handler", (_KmsKeyStates,), {"upstream": upstream})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_disabled_kms_key_means_the_key_cannot_be_obtained(aws, sandbox, tmp_path, monkeypatch):
    kms = sandbox_aws("kms", sandbox.url, REGION)
    metadata = kms.create_key(Description="disabled after wrapping")["KeyMetadata"]
    arn = metadata["Arn"]
    with kms_with_key_states(sandbox.url) as endpoint:
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        key = tmp_path / "key.kms.json"
        made = nexus("keys", "generate", "--kms-key-id", arn, "-o", str(key))
        assert made.exit_code == 0, made.output
        (tmp_path / "state.enc").write_bytes(encrypt_bytes(STATE, [parse_recipient(made.stdout.strip())]))
        assert nexus("keys", "decrypt", str(tmp_path / "state.enc"), "-k", str(key)).stdout_bytes == STATE

        kms.disable_key(KeyId=metadata["KeyId"])  # moto's DisableKey takes the key id only
        refused = nexus("keys", "decrypt", str(tmp_path / "state.enc"), "-k", str(key))
        assert refused.exit_code == 4 and refused.stdout_bytes == b""
        assert f"AWS KMS decrypt failed (DisabledException: {arn} is disabled.)" in refused.stderr
        assert "the private key cannot be obtained" in refused.stderr
        not_wrapped = nexus("keys", "generate", "--kms-key-id", arn, "-o", str(tmp_path / "second.kms.json"))
        assert not_wrapped.exit_code == 4 and not (tmp_path / "second.kms.json").exists()


def test_no_credentials_means_the_key_cannot_be_obtained(aws, kms_key, tmp_path, monkeypatch):
    key, _ = generate_wrapped(tmp_path)
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    result = nexus("keys", "show", "-k", str(key))
    assert result.exit_code == 4 and result.stdout == ""
    assert "AWS KMS decrypt failed: Unable to locate credentials; the private key cannot be obtained" in result.stderr


def test_kms_not_answering_means_the_key_cannot_be_obtained(aws, kms_key, tmp_path, monkeypatch):
    key, _ = generate_wrapped(tmp_path)
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{probe.getsockname()[1]}")
    result = nexus("--log-format", "json", "keys", "show", "-k", str(key))
    assert result.exit_code == 4 and result.stdout == ""
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error["error"] == "KeyUnavailableError" and "Could not connect to the endpoint URL" in error["message"]


def test_region_and_endpoint_belong_to_a_kms_key(tmp_path):
    result = nexus("keys", "generate", "--region", REGION, "-o", str(tmp_path / "key.txt"))
    assert result.exit_code == 2 and "--region and --endpoint-url are for --kms-key-id" in result.stderr
    assert not (tmp_path / "key.txt").exists()


def test_the_library_wraps_with_an_explicit_region_and_endpoint(sandbox, kms_key, monkeypatch, tmp_path):
    """Without AWS_ENDPOINT_URL and AWS_DEFAULT_REGION: `KmsKey` carries them (what --region/--endpoint-url give)."""
    for name in ("AWS_ENDPOINT_URL", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    identity = generate_identity(HYBRID)
    text = identity_file_text(identity, KmsKey("alias/nexus-keys", REGION, sandbox.url))
    assert json.loads(text)["region"] == REGION
    monkeypatch.setenv("AWS_ENDPOINT_URL", sandbox.url)  # reading honours the standard chain; the region is the file's
    (tmp_path / "key.kms.json").write_text(text)
    assert load_identity(tmp_path / "key.kms.json") == identity


# The README's section on KMS-wrapped keys, exactly as printed there (/tmp/nexus/readme-kms-keys.md).
README_KMS_KEYS = """\
nexus keys generate --kms-key-id alias/nexus-keys --region eu-west-1 -o nexus-key.kms.json
nexus keys show -k nexus-key.kms.json
export NEXUS_PRIVATE_KEY="$(cat nexus-key.kms.json)"   # a wrapped key by environment works too
nexus keys show
"""
README_KMS_MIGRATION = """\
nexus keys rotate .nexus/state-backups/*/*.tfstate.enc -k nexus-key.txt --to "$(nexus keys show -k nexus-key.kms.json)"
nexus keys decrypt -k nexus-key.kms.json .nexus/state-backups/shop-dev-aws/*-serial3.tfstate.enc > restored.tfstate
"""


def _bash(script: str, folder: Path, aws: dict) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key != "NEXUS_PRIVATE_KEY"} | aws
    environment.pop("AWS_DEFAULT_REGION")  # the example names its region
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_readme_kms_examples_run(aws, kms_key, tmp_path):
    made = _bash(README_KMS_KEYS, tmp_path, aws)
    assert made.returncode == 0, made.stderr
    recipient = str(load_identity(tmp_path / "nexus-key.kms.json").recipient)
    assert made.stdout.split() == [recipient] * 3

    plain = generate_identity(HYBRID)
    (tmp_path / "nexus-key.txt").write_text(identity_file_text(plain))
    backup = tmp_path / ".nexus" / "state-backups" / "shop-dev-aws" / "20260101T000000Z-serial3.tfstate.enc"
    backup.parent.mkdir(parents=True)
    backup.write_bytes(encrypt_bytes(STATE, [plain.recipient], {"artifact": "state-backup"}))
    migrated = _bash(README_KMS_MIGRATION, tmp_path, aws)
    assert migrated.returncode == 0, migrated.stderr
    assert (tmp_path / "restored.tfstate").read_bytes() == STATE
    with pytest.raises(EncryptionError, match="wrong key"):
        decrypt_bytes(backup.read_bytes(), plain)
