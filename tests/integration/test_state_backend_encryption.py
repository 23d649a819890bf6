"""Terraform state encrypted by its backend (cdktf_app/stacks/backends.py): what Nexus sets for S3 (encrypt,
SSE-KMS with `state.kms_key_id`), GCS (CMEK with `state.kms_encryption_key`) and azurerm (nothing to set: the
storage account encrypts), and, against moto with real terraform, that the state object S3 holds was written
with the KMS key named in the spec."""
from __future__ import annotations

import json

import boto3
import pytest

from cdktf_app.deploy import DeployOptions, run
from cdktf_app.errors import SpecError
from cdktf_app.healing import RetryPolicy
from cdktf_app.spec import load_spec
from cdktf_app.stacks.synth import synth

SPEC = """\
apiVersion: nexus/v1
name: statey
providers:
  aws:
    region: eu-west-1
components:
  jobs:
    type: queue
    encrypted: false
{state}"""
STACK = "statey-dev-aws"
CMEK = "projects/acme/locations/europe-west1/keyRings/tfstate/cryptoKeys/state"


def synthesized_backend(tmp_path, state: str) -> dict:
    (tmp_path / "nexus.yaml").write_text(SPEC.format(state=state), encoding="utf-8")
    result = synth(tmp_path / "nexus.yaml", tmp_path / "cdktf.out", use_cache=False)
    return json.loads(result.stack_json(STACK).read_text())["terraform"]["backend"]


def test_gcs_state_is_written_with_the_specs_cloud_kms_key(tmp_path):
    backend = synthesized_backend(tmp_path, f"state:\n  backend: gcs\n  bucket: acme-tfstate\n"
                                            f"  kms_encryption_key: {CMEK}\n")
    assert backend == {"gcs": {"bucket": "acme-tfstate", "prefix": f"nexus/{STACK}", "kms_encryption_key": CMEK}}


def test_a_gcs_key_that_is_not_a_crypto_key_name_is_a_spec_error(tmp_path):
    (tmp_path / "nexus.yaml").write_text(SPEC.format(state="state:\n  backend: gcs\n  bucket: acme-tfstate\n"
                                                           "  kms_encryption_key: my-key\n"), encoding="utf-8")
    with pytest.raises(SpecError, match=r"nexus\.yaml:1[0-9].*state.gcs.kms_encryption_key"):
        load_spec(tmp_path / "nexus.yaml")


@pytest.mark.terraform
@pytest.mark.slow
def test_s3_state_is_encrypted_with_the_specs_kms_key_in_the_bucket(tmp_path, sandbox):
    s3 = boto3.client("s3", endpoint_url=sandbox.url, region_name="eu-west-1", aws_access_key_id="test",
                      aws_secret_access_key="test")
    kms = boto3.client("kms", endpoint_url=sandbox.url, region_name="eu-west-1", aws_access_key_id="test",
                       aws_secret_access_key="test")
    s3.create_bucket(Bucket="acme-sse-tfstate", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    key_arn = kms.create_key(Description="terraform state")["KeyMetadata"]["Arn"]
    (tmp_path / "nexus.yaml").write_text(SPEC.format(
        state=f"state:\n  backend: s3\n  bucket: acme-sse-tfstate\n  kms_key_id: {key_arn}\n"), encoding="utf-8")
    backend = json.loads((synth(tmp_path / "nexus.yaml", tmp_path / "cdktf.out", use_cache=False)
                          .stack_json(STACK)).read_text())["terraform"]["backend"]["s3"]
    assert (backend["encrypt"], backend["kms_key_id"]) == (True, key_arn)
    deployed = run(tmp_path / "nexus.yaml", DeployOptions(
        command="deploy", sandbox_url=sandbox.url, auto_approve=True, override_gate=True, aws_max_retries=1,
        reason="sandbox test of the S3 backend's encryption",
        retry=RetryPolicy(max_attempts=3, base_seconds=1, max_backoff_seconds=4)))
    assert deployed.outcome == "succeeded"
    stored = s3.head_object(Bucket="acme-sse-tfstate", Key=f"nexus/{STACK}.tfstate")
    assert stored["ServerSideEncryption"] == "aws:kms" and stored["SSEKMSKeyId"] == key_arn
