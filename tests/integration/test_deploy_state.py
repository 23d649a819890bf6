"""`state:` in the spec: each backend compiles into every stack; local stays byte-identical; the S3 backend
(with use_lockfile) works against moto, and a lock held in the bucket by someone else heals after backoff."""
from __future__ import annotations

import json
import re
import threading

import boto3
import pytest

from cdktf_app.deploy import DeployOptions, Reporter, run
from cdktf_app.errors import SpecError
from cdktf_app.healing import RetryPolicy
from cdktf_app.sandbox import start_sandbox, stop_sandbox
from cdktf_app.spec import load_spec
from cdktf_app.stacks.synth import synth

SPEC = """\
apiVersion: nexus/v1
name: statey
providers:
  aws:
    region: eu-west-1
components:
  docs:
    type: document_store
    encrypted: false
    point_in_time_recovery: false
    deletion_protection: false
{state}"""
STACK = "statey-dev-aws"


def synthesized(tmp_path, name: str, state: str) -> dict:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "nexus.yaml").write_text(SPEC.format(state=state), encoding="utf-8")
    result = synth(folder / "nexus.yaml", folder / "cdktf.out", use_cache=False)
    return json.loads(result.stack_json(STACK).read_text())["terraform"]["backend"]


def test_each_backend_compiles_into_the_stack_with_a_state_object_per_stack(tmp_path):
    assert synthesized(tmp_path, "gcs", "state:\n  backend: gcs\n  bucket: acme-tfstate\n") == {
        "gcs": {"bucket": "acme-tfstate", "prefix": f"nexus/{STACK}"}}
    assert synthesized(tmp_path, "azure", "state:\n  backend: azurerm\n  resource_group_name: tfstate\n"
                                          "  storage_account_name: acmetfstate\n  container_name: tfstate\n"
                                          "  key_prefix: teams/payments\n") == {
        "azurerm": {"resource_group_name": "tfstate", "storage_account_name": "acmetfstate",
                    "container_name": "tfstate", "key": f"teams/payments/{STACK}.tfstate"}}


def test_local_state_is_the_default_and_synth_output_is_unchanged(tmp_path):
    default = tmp_path / "default"
    explicit = tmp_path / "explicit"
    for folder, state in ((default, ""), (explicit, "state:\n  backend: local\n")):
        folder.mkdir()
        (folder / "nexus.yaml").write_text(SPEC.format(state=state), encoding="utf-8")
    first = synth(default / "nexus.yaml", default / "cdktf.out", use_cache=False)
    second = synth(explicit / "nexus.yaml", explicit / "cdktf.out", use_cache=False)
    assert first.stack_json(STACK).read_bytes() == second.stack_json(STACK).read_bytes()
    assert json.loads(first.stack_json(STACK).read_text())["terraform"]["backend"] == {
        "local": {"path": f"terraform.{STACK}.tfstate"}}


@pytest.mark.parametrize("state, message", [
    ("state:\n  backend: s3\n  bucket: Bad_Bucket\n", "state.s3.bucket: 'Bad_Bucket' is not valid"),
    ("state:\n  backend: s3\n  bucket: acme-state\n  use_lockfile: false\n", "state must be locked"),
    ("state:\n  backend: consul\n", "state"),
])
def test_bad_state_sections_are_spec_errors_with_a_line(tmp_path, state, message):
    (tmp_path / "nexus.yaml").write_text(SPEC.format(state=state), encoding="utf-8")
    with pytest.raises(SpecError) as raised:
        load_spec(tmp_path / "nexus.yaml")
    assert message in str(raised.value) and re.search(r"nexus\.yaml:1[0-4]", str(raised.value))


class Retries(Reporter):
    def __init__(self):
        self.classes = []

    def retry(self, stack, attempt, wait):
        self.classes.append(attempt.classification.failure_class)


@pytest.mark.terraform
def test_s3_state_with_a_lockfile_works_against_moto_and_a_held_lock_heals(tmp_path):
    sandbox = start_sandbox(tmp_path / "sandbox", record=False)
    s3 = boto3.client("s3", endpoint_url=sandbox.url, region_name="eu-west-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    s3.create_bucket(Bucket="acme-tfstate", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    (tmp_path / "nexus.yaml").write_text(SPEC.format(
        state="state:\n  backend: s3\n  bucket: acme-tfstate\n  key_prefix: teams/docs\n"), encoding="utf-8")
    settings = dict(sandbox_url=sandbox.url, auto_approve=True, override_gate=True, aws_max_retries=1,
                    reason="sandbox test of the S3 backend", retry=RetryPolicy(max_attempts=5, base_seconds=3,
                                                                               max_backoff_seconds=8))
    key = f"teams/docs/{STACK}.tfstate"
    try:
        deployed = run(tmp_path / "nexus.yaml", DeployOptions(command="deploy", **settings))
        state = json.loads(s3.get_object(Bucket="acme-tfstate", Key=key)["Body"].read())
        assert deployed.outcome == "succeeded" and not (tmp_path / "cdktf.out" / "stacks" / STACK /
                                                         f"terraform.{STACK}.tfstate").exists()
        assert {r["type"] for r in state["resources"]} >= {"aws_dynamodb_table"}
        # Someone else's lock file (as terraform writes it) sits in the bucket for a few seconds.
        s3.put_object(Bucket="acme-tfstate", Key=f"{key}.tflock", Body=json.dumps(
            {"ID": "5e1a", "Operation": "OperationTypeApply", "Who": "ci@runner", "Version": "1.11.4"}).encode())
        release = threading.Timer(12.0, s3.delete_object, kwargs={"Bucket": "acme-tfstate", "Key": f"{key}.tflock"})
        release.start()
        watcher = Retries()
        destroyed = run(tmp_path / "nexus.yaml", DeployOptions(command="destroy", allow_destroy=True, **settings), watcher)
        release.join()
    finally:
        stop_sandbox(tmp_path / "sandbox", sandbox)
    assert watcher.classes and watcher.classes[0] == "lock-contention"
    assert destroyed.outcome == "succeeded" and destroyed.destroyed == deployed.added and destroyed.retries >= 1
