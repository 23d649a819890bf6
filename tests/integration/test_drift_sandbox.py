"""`nexus drift` on the sandbox: one sandbox and one deploy for the module, then four changes made outside
Terraform with boto3 (bucket encryption deleted, a 0.0.0.0/0 ingress rule, a tag changed, a queue deleted):
reported exactly, scored, adopted (the tag) and reverted (the rest), verified with boto3. The commands are the
README's, run in the project folder."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.deploy import run
from cdktf_app.deploy.orchestrator import RUN_OVERRIDE_FILE
from cdktf_app.layout import state_dir
from cdktf_app.runs import RunStore, runs_url
from cdktf_app.sandbox import start_sandbox, stop_sandbox
from tests.helpers import aws_spec, sandbox_aws
from tests.integration.test_deploy_sandbox import options  # passes the gate: the service is plain HTTP

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

SPEC = aws_spec("drift", """\
tags:
  owner: team-a   # who answers for it
components:
  net:
    type: network
    zones: 1
    nat: false
    flow_logs: false
  files:
    type: bucket   # the team's uploads
  jobs:
    type: queue
  api:
    type: service
    image: nginx:1.27
""", region="eu-west-1")
STACK = "drift-dev-aws"
LINES = {"files": 13, "jobs": 15, "api": 17}
ENCRYPTION = "aws_s3_bucket_server_side_encryption_configuration.files_encryption"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("drift")
    (directory / "nexus.yaml").write_text(SPEC, encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def sandbox(project):
    """The module's sandbox, recorded as the project's (as `nexus sandbox up` does), so `--sandbox` uses it."""
    server = start_sandbox(state_dir(project), record=True)
    yield server
    stop_sandbox(state_dir(project), server)


def state_ids(project: Path) -> dict[str, dict]:
    state = json.loads((project / "cdktf.out" / "stacks" / STACK / f"terraform.{STACK}.sandbox.tfstate").read_text())
    return {f"{r['type']}.{r['name']}": r["instances"][0]["attributes"] for r in state["resources"]
            if r["mode"] == "managed"}


@pytest.fixture(scope="module")
def drifted(project, sandbox) -> dict[str, str]:
    """Deployed once, then changed outside Terraform in four ways."""
    assert run(project / "nexus.yaml", options(sandbox.url)).outcome == "succeeded"
    ids = state_ids(project)
    names = {"bucket": ids["aws_s3_bucket.files"]["bucket"], "group": ids["aws_security_group.api_lb_sg"]["id"],
             "queue": ids["aws_sqs_queue.jobs"]["name"]}
    s3, ec2, sqs = (sandbox_aws(client, sandbox.url) for client in ("s3", "ec2", "sqs"))
    s3.delete_bucket_encryption(Bucket=names["bucket"])
    tags = s3.get_bucket_tagging(Bucket=names["bucket"])["TagSet"]
    s3.put_bucket_tagging(Bucket=names["bucket"], Tagging={"TagSet": [
        {"Key": "owner", "Value": "team-b"} if tag["Key"] == "owner" else tag for tag in tags]})
    ec2.authorize_security_group_ingress(GroupId=names["group"], IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=names["queue"])["QueueUrl"])
    return names


def test_group_rules_read_back_with_their_description_and_an_own_account_group(sandbox):
    """moto left out a group-sourced rule's description and named the group as another account's
    (`123456789012/sg-...`): right after a deploy every such rule looked drifted."""
    ec2 = sandbox_aws("ec2", sandbox.url)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    source, target = (ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
                      for name in ("gap-source", "gap-target"))
    made = ec2.authorize_security_group_ingress(GroupId=target, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
        "UserIdGroupPairs": [{"GroupId": source, "Description": "from the balancer"}]}])
    rule_id = made["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    rule = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"][0]
    assert rule["Description"] == "from the balancer"
    assert rule["ReferencedGroupInfo"]["GroupId"] == source and "UserId" not in rule["ReferencedGroupInfo"]
    for group in (target, source):
        ec2.delete_security_group(GroupId=group)
    ec2.delete_vpc(VpcId=vpc)


def nexus(project: Path, monkeypatch, *arguments: str):
    """A README command, run in the project folder."""
    monkeypatch.chdir(project)
    return CliRunner().invoke(cli, list(arguments))


def test_drift_reports_exactly_the_four_changes_with_spec_lines_and_severities(drifted, project, monkeypatch):
    result = nexus(project, monkeypatch, "drift", "nexus.yaml", "--sandbox")
    assert result.exit_code == 1, result.output
    rows = {re.search(rf"{STACK}/(\S+)", line).group(1): [cell.strip() for cell in line.split("│")[1:-1]]
            for line in result.output.splitlines() if f"{STACK}/" in line}
    assert {address: row[2:4] for address, row in rows.items()} == {
        ENCRYPTION: ["deleted outside Terraform", f"nexus.yaml:{LINES['files']} components.files"],
        "aws_s3_bucket.files": ["changed: tags", f"nexus.yaml:{LINES['files']} components.files"],
        "aws_security_group.api_lb_sg": ["changed: ingress", f"nexus.yaml:{LINES['api']} components.api"],
        "aws_sqs_queue.jobs": ["deleted outside Terraform", f"nexus.yaml:{LINES['jobs']} components.jobs"]}
    assert rows[ENCRYPTION][0] in ("high", "critical") and "CKV_AWS_19 (high)" in rows[ENCRYPTION][4]
    assert rows["aws_security_group.api_lb_sg"][0] in ("high", "critical")
    assert rows["aws_s3_bucket.files"][0] == "low"
    with RunStore(runs_url(project)) as store:
        record = store.list(1)[0]
    assert (record.command, record.outcome, record.drifted) == ("drift", "drifted", 4)
    assert record.drift_severities[-1] == "low" and record.drift_severities[0] in ("high", "critical")


def test_adopt_writes_the_drifted_tag_into_the_spec_with_its_comments_kept(drifted, project, monkeypatch):
    result = nexus(project, monkeypatch, "drift", "nexus.yaml", "--sandbox", "--fix", "adopt", "--resource",
                   "aws_s3_bucket.files")
    assert result.exit_code == 0, result.output
    text = (project / "nexus.yaml").read_text()
    assert ("  files:\n    type: bucket   # the team's uploads\n"
            "    tags:\n      owner: team-b  # nexus drift: adopted\n") in text
    assert text.replace("    tags:\n      owner: team-b  # nexus drift: adopted\n", "") == SPEC


def test_revert_puts_back_what_the_spec_says(drifted, project, sandbox, monkeypatch):
    result = nexus(project, monkeypatch, "drift", "nexus.yaml", "--sandbox", "--fix", "revert", "--auto-approve",
                   "--override-gate", "--reason", "sandbox: no TLS certificate")
    assert result.exit_code == 0, result.output
    s3, ec2, sqs = (sandbox_aws(client, sandbox.url) for client in ("s3", "ec2", "sqs"))
    rule = s3.get_bucket_encryption(Bucket=drifted["bucket"])["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert sqs.get_queue_url(QueueName=drifted["queue"])["QueueUrl"].endswith(drifted["queue"])
    permissions = ec2.describe_security_groups(GroupIds=[drifted["group"]])["SecurityGroups"][0]["IpPermissions"]
    assert [(p["FromPort"], [r["CidrIp"] for r in p["IpRanges"]]) for p in permissions] == [(80, ["10.0.0.0/16"])]
    tags = {tag["Key"]: tag["Value"] for tag in s3.get_bucket_tagging(Bucket=drifted["bucket"])["TagSet"]}
    assert tags["owner"] == "team-b"              # adopted into the spec by the test before
    assert not (project / "cdktf.out" / "stacks" / STACK / RUN_OVERRIDE_FILE).exists()
    with RunStore(runs_url(project)) as store:
        deploy = store.list(1)[0]
    assert (deploy.command, deploy.outcome, deploy.added) == ("deploy", "succeeded", 2)  # queue, encryption
