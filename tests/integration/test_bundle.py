"""Air-gapped edge bundles (`nexus bundle`), with real terraform, real signatures and the real CLI.

No network for the site: `bundle apply` runs in a process with networking disabled. `unshare -rn` (a user and
network namespace of its own: only a loopback that is down, no route out) works in this container and is used;
where it does not (a kernel without unprivileged user namespaces), the process gets proxy variables pointing at a
listening port on 127.0.0.1 that records every connection, and the test asserts none came.

Providers: the machine's mirror holds only hashicorp/aws. An edge site needs hashicorp/kubernetes, which cannot
be had here, so the edge tests use a mirror (named by NEXUS_PROVIDER_MIRROR, as a user would) holding a stand-in
package of it, zipped as `terraform providers mirror` packs them: packing, signing, verifying, unpacking and
`terraform init` (which checks the package against the lock file's hashes) are real; a plan needs the real
provider. The end-to-end plan runs on a stack of the real aws provider from the machine's mirror.
"""
from __future__ import annotations

import base64
import gzip
import io
import json
import os
import socket
import subprocess
import sys
import tarfile
import textwrap
import threading
import zipfile
from functools import cache
from pathlib import Path

import pytest

from cdktf_app.bundle import pack_stack, unpack_bundle, verify_bundle
from cdktf_app.crypto.signing import generate_signing_key, parse_verify_key
from cdktf_app.errors import VerificationError
from cdktf_app.tools.terraform import find_provider_mirror

BIN = Path(sys.executable).parent
LOCATION, STACK = "factory_floor", "plant-prod-edge-factory-floor"
STAND_IN_ZIP = "registry.terraform.io/hashicorp/kubernetes/terraform-provider-kubernetes_3.4.0_linux_amd64.zip"
EDGE_SPEC = textwrap.dedent(f"""\
    apiVersion: nexus/v1
    name: plant
    providers:
      edge:
        locations: [{LOCATION}]
        update_strategy: air_gapped
    environments: [prod]
    components: {{}}
""")

# The README's bundle examples, exactly as printed there (readme-bundle.md), run by bash with the venv's `nexus`.
README_BUILD = """\
nexus bundle keygen -o signing.key > signing.pub      # mode 0600; signing.pub holds nexus1-sign-hybrid-...
nexus bundle nexus.yaml --location factory_floor -o site.bundle --signing-key signing.key
nexus bundle verify site.bundle --public-key signing.pub
"""
README_APPLY = """\
nexus bundle apply site.bundle --public-key signing.pub --dir site
"""
README_ENCRYPTED = """\
nexus keys generate -o site-key.txt > site.recipient  # at the site, once; only site.recipient leaves it
nexus bundle nexus.yaml --location factory_floor -o site.bundle --signing-key signing.key \\
  --recipient "$(cat site.recipient)"
nexus bundle verify site.bundle --public-key signing.pub -k site-key.txt
"""


def _environment(mirror: Path | None = None) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("NEXUS_PRIVATE_KEY", "NEXUS_SIGNING_KEY", "TF_CLI_CONFIG_FILE")}
    environment["PATH"] = f"{BIN}{os.pathsep}{environment['PATH']}"
    if mirror is not None:
        environment["NEXUS_PROVIDER_MIRROR"] = str(mirror)
    return environment


def bash(script: str, folder: Path, mirror: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=_environment(mirror),
                          capture_output=True, text=True, timeout=600)


def nexus(folder: Path, *arguments: str, mirror: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "nexus"), *arguments], cwd=folder, env=_environment(mirror),
                          capture_output=True, text=True, timeout=600)


@cache
def unshare_works() -> bool:
    try:
        return subprocess.run(["unshare", "-rn", "true"], capture_output=True, timeout=30).returncode == 0
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return False


class _ConnectionRecorder:
    """A port on 127.0.0.1 that accepts and counts connections (the fallback's proxy: none may come)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port, self.accepted, self.stop = self.server.getsockname()[1], 0, threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            self.accepted += 1
            connection.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)
        self.server.close()


def offline(command: list[str], folder: Path, mirror: Path | None = None) -> subprocess.CompletedProcess:
    """COMMAND run with networking disabled for the process (see the module docstring)."""
    environment = _environment(mirror)
    if unshare_works():
        return subprocess.run(["unshare", "-rn", *command], cwd=folder, env=environment, capture_output=True,
                              text=True, timeout=900)
    recorder = _ConnectionRecorder()
    try:
        proxy = f"http://127.0.0.1:{recorder.port}"
        environment.update({"HTTPS_PROXY": proxy, "HTTP_PROXY": proxy, "https_proxy": proxy, "http_proxy": proxy,
                            "NO_PROXY": "", "no_proxy": ""})
        result = subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=900)
    finally:
        recorder.close()
    assert recorder.accepted == 0, "the site's process tried to reach the network"
    return result


def stand_in_mirror(folder: Path) -> Path:
    """A filesystem mirror in packed layout holding a stand-in hashicorp/kubernetes 3.4.0 (see the docstring)."""
    mirror = folder / "mirror"
    package = mirror / STAND_IN_ZIP
    package.parent.mkdir(parents=True)
    with zipfile.ZipFile(package, "w") as archive:
        entry = zipfile.ZipInfo("terraform-provider-kubernetes_v3.4.0_x5", date_time=(2026, 1, 1, 0, 0, 0))
        entry.external_attr = 0o755 << 16
        archive.writestr(entry, "#!/bin/sh\necho 'stand-in: not a real provider' >&2\nexit 1\n")
    return mirror


@pytest.fixture(scope="module")
def edge(tmp_path_factory):
    """An air-gapped edge site's project, its signing key (the README's commands) and its bundle."""
    folder = tmp_path_factory.mktemp("edge-bundle")
    (folder / "nexus.yaml").write_text(EDGE_SPEC)
    mirror = stand_in_mirror(tmp_path_factory.mktemp("edge-mirror"))
    built = bash(README_BUILD, folder, mirror)
    assert built.returncode == 0, built.stderr
    return folder, mirror


def test_edge_bundle_verifies_and_carries_the_lock_file_hashes_of_its_providers(edge):
    folder, mirror = edge
    key = parse_verify_key((folder / "signing.pub").read_text())
    manifest = verify_bundle(folder / "site.bundle", key)
    assert manifest["site"] == {"spec": "plant", "environment": "prod", "location": LOCATION, "stack": STACK,
                                "update_strategy": "air_gapped"}
    assert manifest["signatures"]["algorithms"] == ["Ed25519", "ML-DSA-65"]
    assert manifest["terraform"]["required_version"] == ">= 1.5.0"
    [provider] = manifest["providers"]
    assert provider["source"] == "registry.terraform.io/hashicorp/kubernetes" and provider["version"] == "3.4.0"
    # terraform computes h1: (the package's content) from a filesystem mirror; zh: hashes come from a registry
    assert provider["hashes"] and all(hash_.startswith("h1:") for hash_ in provider["hashes"])
    with tarfile.open(folder / "site.bundle") as archive:
        lock = archive.extractfile("stack/.terraform.lock.hcl").read().decode()
        names = archive.getnames()
        assert all(member.mtime == 0 and member.uid == 0 and member.gid == 0 and not member.uname
                   for member in archive.getmembers())
    assert all(hash_ in lock for hash_ in provider["hashes"])
    assert names == ["manifest.json", *sorted(manifest["files"])]
    assert f"mirror/{STAND_IN_ZIP}" in names and "stack/cdk.tf.json" in names
    assert "stack/modules/edge-site/main.tf" in names
    assert (folder / "signing.key").stat().st_mode & 0o777 == 0o600


def test_same_inputs_give_the_same_bundle_bytes(edge, tmp_path):
    folder, mirror = edge
    again = nexus(folder, "bundle", "nexus.yaml", "--location", LOCATION, "-o", str(tmp_path / "again.bundle"),
                  "--signing-key", "signing.key", mirror=mirror)
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.bundle").read_bytes() == (folder / "site.bundle").read_bytes()
    verified = nexus(folder, "bundle", "verify", str(tmp_path / "again.bundle"), "--public-key", "signing.pub")
    assert verified.returncode == 0 and "verified" in verified.stdout


def _rewritten(bundle: Path, target: Path, change) -> Path:
    """BUNDLE re-packed into TARGET with each member's bytes passed through CHANGE(name, data); the signature
    file is copied beside it."""
    with tarfile.open(bundle) as source, open(target, "wb") as sink, \
            gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=6) as compressed, \
            tarfile.open(fileobj=compressed, mode="w|", format=tarfile.GNU_FORMAT) as archive:
        for member in source.getmembers():
            data = change(member.name, source.extractfile(member).read())
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
    target.with_name(target.name + ".sig").write_bytes(bundle.with_name(bundle.name + ".sig").read_bytes())
    return target


def _flip(data: bytes, at: int | None = None) -> bytes:
    at = len(data) // 2 if at is None else at
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1:]


def _verify(folder: Path, bundle: Path) -> subprocess.CompletedProcess:
    return nexus(folder, "bundle", "verify", str(bundle), "--public-key", "signing.pub")


def test_the_untampered_copy_verifies_so_the_tamper_tests_measure_the_tampering(edge, tmp_path):
    folder, _ = edge
    copy = _rewritten(folder / "site.bundle", tmp_path / "copy.bundle", lambda name, data: data)
    assert copy.read_bytes() == (folder / "site.bundle").read_bytes()
    assert _verify(folder, copy).returncode == 0


def test_a_flipped_byte_in_a_provider_zip_is_named(edge, tmp_path):
    folder, _ = edge
    zipped = f"mirror/{STAND_IN_ZIP}"
    tampered = _rewritten(folder / "site.bundle", tmp_path / "t.bundle",
                          lambda name, data: _flip(data) if name == zipped else data)
    result = _verify(folder, tampered)
    assert result.returncode == 1
    assert f"{zipped}: SHA-256" in result.stderr and "differs from the manifest" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_flipped_byte_in_the_manifest_fails_the_signature(edge, tmp_path):
    folder, _ = edge
    tampered = _rewritten(folder / "site.bundle", tmp_path / "t.bundle",
                          lambda name, data: data.replace(b'"3.4.0"', b'"3.4.1"') if name == "manifest.json"
                          else data)
    result = _verify(folder, tampered)
    assert result.returncode == 1 and "Ed25519 signature does not verify" in result.stderr


@pytest.mark.parametrize("algorithm", ["Ed25519", "ML-DSA-65"])
def test_a_flipped_byte_in_either_signature_fails(edge, tmp_path, algorithm):
    folder, _ = edge
    bundle = tmp_path / "t.bundle"
    bundle.write_bytes((folder / "site.bundle").read_bytes())
    document = json.loads((folder / "site.bundle.sig").read_text())
    signature = base64.b64decode(document["signatures"][algorithm])
    document["signatures"][algorithm] = base64.b64encode(_flip(signature, 10)).decode()
    (tmp_path / "t.bundle.sig").write_text(json.dumps(document))
    result = _verify(folder, bundle)
    assert result.returncode == 1 and f"the {algorithm} signature does not verify" in result.stderr


def test_a_flipped_byte_in_the_compressed_file_or_an_added_file_is_refused(edge, tmp_path):
    folder, _ = edge
    raw = (folder / "site.bundle").read_bytes()
    damaged = tmp_path / "damaged.bundle"
    damaged.write_bytes(_flip(raw))
    (tmp_path / "damaged.bundle.sig").write_bytes((folder / "site.bundle.sig").read_bytes())
    result = _verify(folder, damaged)
    assert result.returncode == 1 and "damaged.bundle" in result.stderr and "Traceback" not in result.stderr

    added = tmp_path / "added.bundle"
    with tarfile.open(folder / "site.bundle") as source, open(added, "wb") as sink, \
            gzip.GzipFile(filename="", mode="wb", fileobj=sink, mtime=0, compresslevel=6) as compressed, \
            tarfile.open(fileobj=compressed, mode="w|", format=tarfile.GNU_FORMAT) as archive:
        for member in source.getmembers():
            archive.addfile(member, source.extractfile(member))
        extra = tarfile.TarInfo("stack/override.tf.json")
        payload = b'{"resource": {}}'
        extra.size = len(payload)
        archive.addfile(extra, io.BytesIO(payload))
    (tmp_path / "added.bundle.sig").write_bytes((folder / "site.bundle.sig").read_bytes())
    result = _verify(folder, added)
    assert result.returncode == 1 and "stack/override.tf.json is not in the signed manifest" in result.stderr


def test_a_bundle_signed_by_another_key_is_refused_and_apply_unpacks_nothing(edge, tmp_path):
    folder, _ = edge
    stranger = generate_signing_key().verify_key
    result = nexus(folder, "bundle", "verify", "site.bundle", "--public-key", str(stranger))
    assert result.returncode == 1 and f"not by the trusted key {stranger.fingerprint}" in result.stderr
    with pytest.raises(VerificationError):
        verify_bundle(folder / "site.bundle", stranger)
    applied = nexus(folder, "bundle", "apply", "site.bundle", "--public-key", str(stranger),
                    "--dir", str(tmp_path / "site"))
    assert applied.returncode == 1 and not (tmp_path / "site" / "stack").exists()


def test_bundle_refuses_a_site_that_is_not_air_gapped(tmp_path):
    (tmp_path / "nexus.yaml").write_text(EDGE_SPEC.replace("air_gapped", "rolling"))
    (tmp_path / "k").write_text(str(generate_signing_key()))
    result = nexus(tmp_path, "bundle", "nexus.yaml", "--location", LOCATION, "-o", "x.bundle", "--signing-key", "k")
    assert result.returncode == 2 and not (tmp_path / "x.bundle").exists()
    assert "nexus.yaml:6:" in result.stderr and "providers.edge.update_strategy" in result.stderr
    assert "expected 'air_gapped', got 'rolling'" in result.stderr


def test_a_provider_missing_from_the_mirror_is_named(tmp_path):
    (tmp_path / "nexus.yaml").write_text(EDGE_SPEC)
    (tmp_path / "k").write_text(str(generate_signing_key()))
    empty = tmp_path / "empty-mirror"
    (empty / "registry.terraform.io" / "hashicorp" / "aws").mkdir(parents=True)
    result = nexus(tmp_path, "bundle", "nexus.yaml", "--location", LOCATION, "-o", "x.bundle",
                   "--signing-key", "k", mirror=empty)
    assert result.returncode == 1 and not (tmp_path / "x.bundle").exists()
    assert "hashicorp/kubernetes" in result.stderr and "Traceback" not in result.stderr


def test_readme_encrypted_bundle_verifies_only_with_the_site_key(edge, tmp_path):
    folder, mirror = edge
    for name in ("nexus.yaml", "signing.key", "signing.pub"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    encrypted = bash(README_ENCRYPTED, tmp_path, mirror)
    assert encrypted.returncode == 0, encrypted.stderr
    assert (tmp_path / "site.bundle").read_bytes().startswith(b"nexus-envelope/1\n")
    assert "verified site.bundle" in encrypted.stdout
    without_key = nexus(tmp_path, "bundle", "verify", "site.bundle", "--public-key", "signing.pub")
    assert without_key.returncode == 2 and "is encrypted" in without_key.stderr


def test_readme_apply_at_the_site_initializes_from_the_bundled_mirror_with_no_network(edge, tmp_path):
    """The README's apply line with networking disabled: init installs the stand-in package from the bundle (its
    hashes checked against the lock file); the plan then fails only because the stand-in is not a provider."""
    folder, _ = edge
    for name in ("site.bundle", "site.bundle.sig", "signing.pub"):
        (tmp_path / name).write_bytes((folder / name).read_bytes())
    result = offline(["bash", "-euo", "pipefail", "-c", README_APPLY], tmp_path)
    assert "terraform init from the bundle's mirror succeeded; terraform plan failed" in result.stderr, \
        result.stderr
    assert result.returncode == 1
    installed = tmp_path / "site" / "stack" / ".terraform" / "providers" / "registry.terraform.io" / "hashicorp"
    assert (installed / "kubernetes" / "3.4.0" / "linux_amd64" / "terraform-provider-kubernetes_v3.4.0_x5").is_file()
    config = (tmp_path / "site" / "terraformrc").read_text()
    assert f'path = "{tmp_path / "site" / "mirror"}"' in config and "direct" not in config.split("\n", 1)[1]


def test_a_later_bundle_replaces_the_stack_and_keeps_the_sites_state(edge, tmp_path):
    folder, _ = edge
    key = parse_verify_key((folder / "signing.pub").read_text())
    site = tmp_path / "site"
    unpack_bundle(folder / "site.bundle", key, site)
    state = site / "stack" / f"terraform.{STACK}.tfstate"
    state.write_text('{"serial": 7}')
    (site / "stack" / "left-over.tf.json").write_text("{}")
    tampered = _rewritten(folder / "site.bundle", tmp_path / "t.bundle",
                          lambda name, data: _flip(data) if name == "stack/cdk.tf.json" else data)
    with pytest.raises(VerificationError):
        unpack_bundle(tampered, key, site)
    assert (site / "stack" / "left-over.tf.json").exists() and state.read_text() == '{"serial": 7}'
    unpack_bundle(folder / "site.bundle", key, site)
    assert state.read_text() == '{"serial": 7}' and not (site / "stack" / "left-over.tf.json").exists()
    assert sorted(path.name for path in site.iterdir()) == ["mirror", "stack", "terraformrc"]


AWS_SITE_STACK = {
    "terraform": {"required_version": ">= 1.5.0",
                  "required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.100, < 7.0"}}},
    "provider": {"aws": [{"region": "us-east-1", "access_key": "offline", "secret_key": "offline",
                          "skip_credentials_validation": True, "skip_requesting_account_id": True,
                          "skip_metadata_api_check": True, "skip_region_validation": True}]},
    "resource": {"aws_s3_bucket": {"site_logs": {"bucket": "nexus-edge-site-logs"}}},
}


@pytest.mark.slow
def test_bundle_apply_inits_and_plans_a_real_provider_from_the_bundle_with_no_network(tmp_path):
    """End to end with a real provider (aws, the one this machine's mirror holds): packed from the project's
    mirror, verified, unpacked, `terraform init` and `terraform plan` with networking disabled."""
    stack = tmp_path / "stack"
    stack.mkdir()
    (stack / "main.tf.json").write_text(json.dumps(AWS_SITE_STACK))
    key = generate_signing_key()
    mirror = find_provider_mirror()
    assert mirror is not None, "the project's provider mirror (NEXUS_PROVIDER_MIRROR or the usual places)"
    built = pack_stack(stack, ["main.tf.json"], {"location": "depot", "stack": "depot-aws"}, tmp_path / "depot.bundle",
                       key)
    assert [provider["version"] for provider in built.manifest["providers"]] == ["5.100.0"]
    result = offline([str(BIN / "nexus"), "bundle", "apply", "depot.bundle", "--public-key", str(key.verify_key),
                      "--dir", "site"], tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in result.stdout
    assert "site depot (stack depot-aws)" in result.stderr and "initialized from the bundled mirror" in result.stderr
