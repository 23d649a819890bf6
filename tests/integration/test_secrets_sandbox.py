"""Secrets on the sandbox, with real terraform against the module's moto server: a generated secret's value
exists in Secrets Manager only (never in the synthesized JSON, a plan JSON, the state, a state backup, a log, the
run history or the HTML view), components get its ARN, its rotation runs Nexus's rotation function end to end,
and a database's managed master secret gets its managed rotation schedule."""
from __future__ import annotations

import json
from functools import partial

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.deploy import run
from cdktf_app.healing import RetryPolicy
from tests.helpers import sandbox_aws as aws
from tests.helpers import sandbox_deploy_options

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

SPEC = """\
apiVersion: nexus/v1
name: keys
providers:
  aws:
    region: eu-west-1
tags:
  owner: {owner}
components:
  net: {{type: network, nat: false}}
  db: {{type: database, deletion_protection: false}}
  jobs: {{type: function, secrets: [api_key, db_admin]}}
secrets:
  api_key:
    kind: generated
    from: aws-secrets-manager
    rotation: {{days: 30}}
  db_admin:
    kind: managed
    database: db
    rotation: {{days: 7}}
compliance:
  suppressions:
    - check: CKV_AWS_117
      resource: jobs
      reason: the job calls only Secrets Manager over its TLS endpoint; nothing it reaches lives in the VPC
"""
STACK = "keys-dev-aws"
SECRET = "keys-dev/api_key"


options = partial(sandbox_deploy_options,
                  retry=RetryPolicy(max_attempts=2, base_seconds=1.0, max_backoff_seconds=2.0, max_total_seconds=60))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    directory = tmp_path_factory.mktemp("secrets")
    (directory / "nexus.yaml").write_text(SPEC.format(owner="team-a"), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def deployed(project, sandbox):
    record = run(project / "nexus.yaml", options(sandbox.url))
    assert record.outcome == "succeeded", record.error_evidence
    return record


@pytest.fixture(scope="module")
def secrets(sandbox):
    return aws("secretsmanager", sandbox.url)


def current_version(secrets) -> tuple[str, str]:
    answer = secrets.get_secret_value(SecretId=SECRET)
    return answer["VersionId"], answer["SecretString"]


def test_the_generated_value_is_in_the_store_and_components_get_its_arn(deployed, secrets, sandbox):
    _, value = current_version(secrets)
    assert len(value) == 32 and not any(character in value for character in "\"'\\`")
    arn = secrets.describe_secret(SecretId=SECRET)["ARN"]
    variables = aws("lambda", sandbox.url).get_function_configuration(
        FunctionName="keys-dev-jobs")["Environment"]["Variables"]
    assert variables["API_KEY_SECRET_ARN"] == arn
    assert variables["DB_ADMIN_SECRET_ARN"].startswith("arn:aws:secretsmanager:") and value not in variables.values()


def test_the_managed_master_secret_rotates_on_its_schedule(deployed, secrets):
    managed = [entry for entry in secrets.list_secrets()["SecretList"] if entry["Name"].startswith("rds!")]
    assert [(entry["RotationEnabled"], entry["RotationRules"]["AutomaticallyAfterDays"]) for entry in managed] == [
        (True, 7)]


def test_one_rotation_runs_the_rotation_function_and_moves_the_current_version(deployed, secrets):
    described = secrets.describe_secret(SecretId=SECRET)
    assert described["RotationEnabled"] and described["RotationRules"]["AutomaticallyAfterDays"] == 30
    assert described["RotationLambdaARN"].endswith(":function:keys-dev-api-key-rotation")
    before, old_value = current_version(secrets)
    secrets.rotate_secret(SecretId=SECRET)
    after, new_value = current_version(secrets)
    assert after != before and new_value != old_value and len(new_value) == len(old_value)
    stages = secrets.describe_secret(SecretId=SECRET)["VersionIdsToStages"]
    assert stages[after] == ["AWSCURRENT"] and "AWSPREVIOUS" in stages[before]


def test_no_file_nexus_or_terraform_writes_holds_a_generated_value(deployed, project, sandbox, secrets, tmp_path):
    values = {value for value in (current_version(secrets)[1], *previous_values(secrets))}
    # A second deploy (a tag changed) backs the state up first, and must not draw a new value.
    spec = project / "nexus.yaml"
    spec.write_text(SPEC.format(owner="team-b"), encoding="utf-8")
    again = run(spec, options(sandbox.url))
    assert again.outcome == "succeeded" and again.destroyed == 0, again.error_evidence
    assert current_version(secrets)[1] in values
    planned = run(spec, options(sandbox.url, command="plan", plan_dir=tmp_path / "plans"))
    assert planned.outcome == "planned"
    state = project / "cdktf.out" / "stacks" / STACK / f"terraform.{STACK}.sandbox.tfstate"
    page = tmp_path / "resources.html"
    drawn = CliRunner().invoke(cli, ["visualize", str(state), "--detail", "resources", "-o", str(page)])
    assert drawn.exit_code == 0, drawn.output
    written = {
        "synthesized JSON": [project / "cdktf.out" / "stacks" / STACK / "cdk.tf.json"],
        "plan JSON": [tmp_path / "plans" / f"{STACK}.tfplan.json"],
        "state": [state],
        "state backups": sorted((project / ".nexus").glob("*state-backups/**/*.*")),
        "logs": sorted((project / ".nexus" / "logs").glob("*.log")),
        "run history": [project / ".nexus" / "runs.db"],
        "HTML view": [page],
    }
    assert all(written.values()), {kind: files for kind, files in written.items() if not files}
    version, = [resource for resource in json.loads(state.read_text())["resources"]
                if resource["type"] == "aws_secretsmanager_secret_version"]
    assert version["instances"][0]["attributes"]["secret_string_wo"] is None
    holding = {kind: [str(path) for path in files if any(value.encode() in path.read_bytes() for value in values)]
               for kind, files in written.items()}
    assert holding == {kind: [] for kind in written}
    assert values and all(len(value) == 32 for value in values)


def previous_values(secrets) -> list[str]:
    stages = secrets.describe_secret(SecretId=SECRET)["VersionIdsToStages"]
    return [secrets.get_secret_value(SecretId=SECRET, VersionId=version)["SecretString"]
            for version, labels in stages.items() if "AWSPREVIOUS" in labels]
