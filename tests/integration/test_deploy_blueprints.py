"""The AWS stacks of two blueprints (healthcare, fintech) deployed to their own sandboxes with the real CLI,
verified with boto3 against the same moto servers (encryption, versioning, tags), then destroyed.

Each blueprint gets its own moto server: moto gives every RDS instance of a server the same DbiResourceId, and
the AWS provider reads instances by that id. The two run in parallel (RDS and ALB waiters dominate)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from cdktf_app.blueprints.catalog import render_blueprint
from cdktf_app.runs import RunStore, runs_url
from cdktf_app.sandbox import sandbox_status, start_sandbox, stop_sandbox

pytestmark = pytest.mark.terraform

BLUEPRINTS = {
    # Parameters that keep the apply short: one environment, the smallest database, no standby.
    "healthcare": {"environments": ["dev"], "db_size": "small", "db_high_availability": False},
    "fintech": {"environments": ["dev"], "db_size": "small", "zones": 2, "cache_replicas": 1},
}
REGION = "us-east-1"
TIMEOUT = 900


def nexus(project: Path, *arguments: str) -> subprocess.Popen:
    """The real CLI in its own process; every terraform call in it has a watchdog well inside TIMEOUT."""
    return subprocess.Popen([sys.executable, "-m", "cdktf_app.cli.main", "--log-format", "json", *arguments,
                             "--timeout", str(TIMEOUT // 2)],
                            cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(processes: dict[str, subprocess.Popen]) -> dict[str, dict]:
    results = {}
    for name, process in processes.items():
        try:
            stdout, stderr = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            for running in processes.values():
                running.kill()
            raise
        assert process.returncode == 0, f"{name}: {stderr[-3000:]}"
        results[name] = json.loads(stdout.strip().splitlines()[-1])["run"]
    return results


@pytest.fixture(scope="module")
def projects(tmp_path_factory):
    """A project per blueprint, each with its own running sandbox; stopped at the end."""
    made = {}
    for name, parameters in BLUEPRINTS.items():
        project = tmp_path_factory.mktemp(name)
        # The sandbox is thrown away after the test: let destroy remove the database and tables.
        spec = render_blueprint(name, parameters).replace("deletion_protection: true", "deletion_protection: false")
        (project / "nexus.yaml").write_text(spec, encoding="utf-8")
        made[name] = (project, start_sandbox(project / ".nexus"))
    yield made
    for project, sandbox in made.values():
        stop_sandbox(project / ".nexus", sandbox)


def client(service: str, sandbox):
    return boto3.client(service, endpoint_url=sandbox.url, region_name=REGION, aws_access_key_id="test",
                        aws_secret_access_key="test")


@pytest.fixture(scope="module")
def deployed(projects):
    reason = "sandbox acceptance test of apply; the gate has its own test"
    return finish({name: nexus(project, "deploy", "--sandbox", "--auto-approve", "--override-gate", "--reason",
                               reason) for name, (project, _) in projects.items()})


def assert_bucket_is_locked_down(s3, bucket: str, tags: dict[str, str]):
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    blocked = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(blocked.values()) and len(blocked) == 4
    found = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags.items() <= found.items(), found


def test_both_blueprints_apply_and_record_their_runs(deployed, projects):
    for name, run in deployed.items():
        assert run["outcome"] == "succeeded" and run["sandbox"] and run["command"] == "deploy"
        assert run["added"] > 60
        if run["retries"] == 0:  # a healed run re-plans: what the first attempt made is then updated, not added
            assert run["changed"] == run["destroyed"] == 0
        assert [p["phase"] for p in run["phases"] if p["ok"]][-2:] == ["gate", "apply"]
        stored = RunStore(runs_url(projects[name][0])).get(run["id"])
        assert stored.added == run["added"] and [p.phase for p in stored.phases][-1] == "apply"


def test_healthcare_resources_have_the_expected_settings(deployed, projects):
    sandbox = projects["healthcare"][1]
    assert_bucket_is_locked_down(client("s3", sandbox), "patient-portal-dev-phi-records",
                                 {"blueprint": "healthcare", "data-classification": "phi", "nexus:spec":
                                  "patient-portal", "nexus:environment": "dev"})
    db = client("rds", sandbox).describe_db_instances(DBInstanceIdentifier="patient-portal-dev-db")["DBInstances"][0]
    assert db["StorageEncrypted"] and not db["PubliclyAccessible"] and db["BackupRetentionPeriod"] == 35
    assert db["Engine"] == "postgres" and db["KmsKeyId"]
    table = client("dynamodb", sandbox).describe_table(TableName="patient-portal-dev-consent-records")["Table"]
    assert table["SSEDescription"]["Status"] == "ENABLED" and table["SSEDescription"]["SSEType"] == "KMS"
    keys = client("kms", sandbox).list_aliases()["Aliases"]
    assert any(alias["AliasName"] == "alias/nexus/patient-portal-dev" for alias in keys)


def test_fintech_resources_have_the_expected_settings(deployed, projects):
    sandbox = projects["fintech"][1]
    s3 = client("s3", sandbox)
    for bucket in ("payments-dev-documents", "payments-dev-audit-logs"):
        assert_bucket_is_locked_down(s3, bucket, {"blueprint": "fintech", "nexus:spec": "payments"})
    # The access-log bucket is SSE-S3 by necessity (S3 server access logs cannot be delivered with SSE-KMS).
    log_rule = s3.get_bucket_encryption(Bucket="payments-dev-access-logs")["ServerSideEncryptionConfiguration"]
    assert log_rule["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    group = client("elasticache", sandbox).describe_replication_groups()["ReplicationGroups"][0]
    assert group["AtRestEncryptionEnabled"] and group["TransitEncryptionEnabled"]
    db = client("rds", sandbox).describe_db_instances()["DBInstances"][0]
    assert db["StorageEncrypted"] and not db["PubliclyAccessible"] and db["DeletionProtection"] is False


def test_both_blueprints_destroy_cleanly(deployed, projects):
    destroyed = finish({name: nexus(project, "destroy", "--sandbox", "--auto-approve", "--allow-destroy")
                        for name, (project, _) in projects.items()})
    for name, run in destroyed.items():
        project, sandbox = projects[name]
        state = json.loads((project / "cdktf.out" / "stacks" / run["stacks"][0] /
                            f"terraform.{run['stacks'][0]}.sandbox.tfstate").read_text())
        assert run["outcome"] == "succeeded" and run["destroyed"] >= 60
        assert [r for r in state["resources"] if r["mode"] == "managed"] == []
        assert sandbox_status(project / ".nexus") == sandbox  # --sandbox used the running one, left it running
        assert client("rds", sandbox).describe_db_instances()["DBInstances"] == []
        assert client("s3", sandbox).list_buckets()["Buckets"] == []
