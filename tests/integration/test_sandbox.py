"""`nexus sandbox up | status | down`: one moto server per project on 127.0.0.1, found by later commands."""
from __future__ import annotations

import json
import os
import re
from pathlib import Path

from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.sandbox import OVERRIDE_FILE, sandbox_status, write_provider_override
from cdktf_app.sandbox.provider import endpoint_keys
from cdktf_app.sandbox.server import answers
from tests.helpers import sandbox_aws


def sandbox(project: Path, *arguments: str) -> dict:
    result = CliRunner().invoke(cli, ["sandbox", *arguments, "--project", str(project), "--output", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_up_status_down(tmp_path):
    started = sandbox(tmp_path, "up")
    try:
        assert started["state"] == "running" and started["url"].startswith("http://127.0.0.1:")
        assert answers(started["url"])
        assert sandbox(tmp_path, "status") == started
        again = sandbox(tmp_path, "up")
        assert again["state"] == "already running" and again["pid"] == started["pid"]
        assert sandbox_status(tmp_path / ".nexus").url == started["url"]
    finally:
        stopped = sandbox(tmp_path, "down")
    assert stopped["state"] == "stopped" and stopped["pid"] == started["pid"]
    assert not answers(started["url"], timeout=0.5)
    assert not Path(f"/proc/{started['pid']}").exists() or b"moto" not in Path(
        f"/proc/{started['pid']}/cmdline").read_bytes()
    assert sandbox(tmp_path, "status") == {"state": "not running"}
    assert sandbox(tmp_path, "down") == {"state": "not running"}


def test_a_stale_record_is_dropped(tmp_path):
    state = tmp_path / ".nexus"
    state.mkdir()
    (state / "sandbox.json").write_text(json.dumps({"pid": os.getpid(), "port": 1, "started_at": 0.0,
                                                    "log_file": "x"}), encoding="utf-8")
    assert sandbox_status(state) is None and not (state / "sandbox.json").exists()


def test_the_provider_override_points_every_aws_provider_at_the_sandbox(tmp_path):
    stack = {"provider": {"aws": [{"region": "eu-west-1"}, {"alias": "us_east_1", "region": "us-east-1"}]},
             "terraform": {"backend": {"s3": {"bucket": "state", "key": "a.tfstate", "use_lockfile": True}}},
             "resource": {"aws_s3_bucket": {"files": {"bucket": "files"}}}}
    (tmp_path / "cdk.tf.json").write_text(json.dumps(stack), encoding="utf-8")
    written = json.loads(write_provider_override(tmp_path, "http://127.0.0.1:4566").read_text())
    assert written == json.loads((tmp_path / OVERRIDE_FILE).read_text())
    default, alias = written["provider"]["aws"]
    assert (default["region"], alias["region"], alias["alias"]) == ("eu-west-1", "us-east-1", "us_east_1")
    for provider in (default, alias):
        assert provider["skip_credentials_validation"] and provider["skip_requesting_account_id"]
        assert provider["access_key"] == "test" and provider["s3_use_path_style"]
        assert set(provider["endpoints"][0]) == set(endpoint_keys())
        assert set(provider["endpoints"][0].values()) == {"http://127.0.0.1:4566"}
    backend = written["terraform"]["backend"]["s3"]
    assert backend["bucket"] == "state" and backend["use_lockfile"] and backend["use_path_style"]
    assert backend["endpoints"]["s3"] == "http://127.0.0.1:4566"
    assert written["resource"]["aws_s3_bucket"]["files"] == {"force_destroy": True}
    assert "cloudwatchlogs" not in endpoint_keys() and "logs" in endpoint_keys()  # canonical keys only


def test_each_database_instance_has_its_own_resource_id(sandbox):
    """The AWS provider reads an instance by its DbiResourceId; moto gave every instance the same one, so a
    second environment's database was read as two instances, i.e. none ("couldn't find resource")."""
    rds = sandbox_aws("rds", sandbox.url)
    made = {name: rds.create_db_instance(DBInstanceIdentifier=name, DBInstanceClass="db.t4g.micro", Engine="postgres",
                                         MasterUsername="admin", MasterUserPassword="password1234",
                                         AllocatedStorage=20, MultiAZ=name.endswith("prod"),
                                         DeletionProtection=False)["DBInstance"]["DbiResourceId"]
            for name in ("shop-dev-db", "shop-prod-db")}
    assert len(set(made.values())) == 2 and all(re.fullmatch(r"db-[A-Z0-9]{26}", rid) for rid in made.values())
    for name, resource_id in made.items():
        found = rds.describe_db_instances(Filters=[{"Name": "dbi-resource-id", "Values": [resource_id]}])
        assert [db["DBInstanceIdentifier"] for db in found["DBInstances"]] == [name]


def test_performance_insights_and_parameter_sources_read_back_as_aws_answers(sandbox):
    """The provider keeps only `user` parameters and compares Performance Insights with what it created: moto
    dropped both, so every plan after a deploy changed the database (and destroy --force-protected refused)."""
    rds = sandbox_aws("rds", sandbox.url)
    rds.create_db_parameter_group(DBParameterGroupName="shop-pi", DBParameterGroupFamily="postgres17",
                                  Description="shop")
    rds.modify_db_parameter_group(DBParameterGroupName="shop-pi", Parameters=[
        {"ParameterName": "log_connections", "ParameterValue": "1", "ApplyMethod": "pending-reboot"}])
    user = rds.describe_db_parameters(DBParameterGroupName="shop-pi", Source="user")["Parameters"]
    assert [(p["ParameterName"], p["Source"]) for p in user] == [("log_connections", "user")]
    assert rds.describe_db_parameters(DBParameterGroupName="shop-pi", Source="system")["Parameters"] == []
    key = sandbox_aws("kms", sandbox.url).create_key()["KeyMetadata"]["Arn"]
    db = rds.create_db_instance(DBInstanceIdentifier="shop-pi-db", DBInstanceClass="db.m7g.large", Engine="postgres",
                                MasterUsername="admin", MasterUserPassword="password1234", AllocatedStorage=20,
                                StorageEncrypted=True, KmsKeyId=key, EnablePerformanceInsights=True,
                                PerformanceInsightsKMSKeyId=key)["DBInstance"]
    described = rds.describe_db_instances(DBInstanceIdentifier="shop-pi-db")["DBInstances"][0]
    for answer in (db, described):
        assert (answer["PerformanceInsightsEnabled"], answer["PerformanceInsightsKMSKeyId"],
                answer["PerformanceInsightsRetentionPeriod"]) == (True, key, 7)
    rds.modify_db_instance(DBInstanceIdentifier="shop-pi-db", EnablePerformanceInsights=False, ApplyImmediately=True)
    assert rds.describe_db_instances(DBInstanceIdentifier="shop-pi-db")["DBInstances"][0][
        "PerformanceInsightsEnabled"] is False
