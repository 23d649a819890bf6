"""What the spec's secrets compile to on AWS, read from one synthesized stack: a generated value drawn by an
ephemeral resource into a write-only argument, rotation schedules, references (never values) for readers; and
the mistakes a stack refuses with the spec line."""
from __future__ import annotations

import json

import pytest

from cdktf_app.errors import SpecError
from cdktf_app.stacks.synth import synth
from tests.conftest import synthesized_text
from tests.helpers import write_spec

SPEC = """\
apiVersion: nexus/v1
name: shop
providers:
  aws: {region: eu-west-1}
components:
  db: {type: database}
  api: {type: service, image: "nginx:1.27", secrets: [signing_key, db_admin]}
  jobs: {type: function, secrets: [signing_key]}
secrets:
  signing_key: {kind: generated, from: aws-secrets-manager, length: 48, rotation: {days: 30}}
  unread: {kind: generated, from: aws-secrets-manager}
  db_admin: {kind: managed, database: db, rotation: {days: 14}}
"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> dict:
    out = synthesized_text(tmp_path_factory, "secrets-aws", SPEC)
    return json.loads((out.out_dir / "stacks" / "shop-dev-aws" / "cdk.tf.json").read_text())


def test_a_generated_value_is_drawn_ephemerally_and_written_write_only(stack):
    resources = stack["resource"]
    drawn = stack["ephemeral"]["aws_secretsmanager_random_password"]["secret_signing_key_random"]
    assert drawn["password_length"] == 48 and drawn["exclude_characters"] == "\"'\\`"
    version = resources["aws_secretsmanager_secret_version"]["secret_signing_key_value"]
    assert version["secret_string_wo"] == \
        "${ephemeral.aws_secretsmanager_random_password.secret_signing_key_random.random_password}"
    assert version["secret_string_wo_version"] == 1 and "secret_string" not in version
    stored = resources["aws_secretsmanager_secret"]["secret_signing_key"]
    assert stored["name"] == "shop-dev/signing_key" and stored["kms_key_id"] == "${aws_kms_key.stack_key.arn}"
    assert stack["terraform"]["required_version"] == ">=1.11.0"


def test_a_generated_secret_no_component_reads_is_kept_too_without_rotation(stack):
    assert stack["resource"]["aws_secretsmanager_secret"]["secret_unread"]["name"] == "shop-dev/unread"
    assert "secret_unread_rotation" not in stack["resource"]["aws_secretsmanager_secret_rotation"]


def test_rotation_runs_our_function_for_generated_and_managed_rotation_for_the_database(stack):
    resources = stack["resource"]
    rotations = resources["aws_secretsmanager_secret_rotation"]
    generated = rotations["secret_signing_key_rotation"]
    assert generated["rotation_lambda_arn"] == "${aws_lambda_function.secret_signing_key_rotation_function.arn}"
    assert generated["rotation_rules"] == {"automatically_after_days": 30} and generated["rotate_immediately"] is False
    assert "aws_secretsmanager_secret_version.secret_signing_key_value" in generated["depends_on"]
    managed = rotations["secret_db_admin_rotation"]
    assert managed["secret_id"] == "${aws_db_instance.db.master_user_secret[0].secret_arn}"
    assert managed["rotation_rules"] == {"automatically_after_days": 14} and "rotation_lambda_arn" not in managed
    policy = json.loads(resources["aws_iam_role_policy"]["secret_signing_key_rotation_policy"]["policy"])
    assert policy["Statement"][0]["Resource"] == "${aws_secretsmanager_secret.secret_signing_key.arn}"
    permission = resources["aws_lambda_permission"]["secret_signing_key_rotation_permission"]
    assert permission["principal"] == "secretsmanager.amazonaws.com"


def test_readers_get_arns_never_values(stack):
    resources = stack["resource"]
    container, = json.loads(resources["aws_ecs_task_definition"]["api_task"]["container_definitions"])
    assert container["secrets"] == [
        {"name": "SIGNING_KEY", "valueFrom": "${aws_secretsmanager_secret.secret_signing_key.arn}"},
        {"name": "DB_ADMIN", "valueFrom": "${aws_db_instance.db.master_user_secret[0].secret_arn}"}]
    assert resources["aws_lambda_function"]["jobs"]["environment"]["variables"] == {
        "SIGNING_KEY_SECRET_ARN": "${aws_secretsmanager_secret.secret_signing_key.arn}"}
    # an ephemeral value may only go to a write-only argument
    assert sorted(ephemeral_uses(resources)) == [
        "aws_secretsmanager_secret_version.secret_signing_key_value.secret_string_wo",
        "aws_secretsmanager_secret_version.secret_unread_value.secret_string_wo"]


def ephemeral_uses(tree, where: str = "") -> list[str]:
    if isinstance(tree, dict):
        return [use for key, value in tree.items() for use in ephemeral_uses(value, f"{where}.{key}".lstrip("."))]
    if isinstance(tree, list):
        return [use for value in tree for use in ephemeral_uses(value, where)]
    return [where] if isinstance(tree, str) and "ephemeral." in tree else []


@pytest.mark.parametrize("text, path, fragment", [
    (SPEC.replace("secrets: [signing_key]}", "secrets: [signing_key], environment: {SIGNING_KEY_SECRET_ARN: x}}"),
     "components.jobs.environment.SIGNING_KEY_SECRET_ARN", "is where secret 'signing_key' arrives"),
    (SPEC.replace("signing_key: {kind: generated, from: aws-secrets-manager,",
                  "signing_key: {kind: generated, from: gcp-secret-manager,"),
     "components.api.secrets", "secret 'signing_key' is in gcp-secret-manager; 'api' runs on AWS"),
])
def test_a_stack_refuses_what_would_not_work_with_the_spec_line(tmp_path, text, path, fragment):
    with pytest.raises(SpecError) as caught:
        synth(write_spec(tmp_path, text), tmp_path / "cdktf.out", use_cache=False)
    problem, = caught.value.problems
    assert problem.path == path and fragment in problem.message and problem.line is not None


def test_a_service_listed_before_the_database_whose_secret_it_reads_is_built_after_it(tmp_path):
    reordered = SPEC.replace("  db: {type: database}\n", "").replace("  jobs:", "  db: {type: database}\n  jobs:")
    out = synth(write_spec(tmp_path, reordered), tmp_path / "cdktf.out", use_cache=False)
    stack = json.loads((out.out_dir / "stacks" / "shop-dev-aws" / "cdk.tf.json").read_text())
    container, = json.loads(stack["resource"]["aws_ecs_task_definition"]["api_task"]["container_definitions"])
    assert container["secrets"][1]["valueFrom"] == "${aws_db_instance.db.master_user_secret[0].secret_arn}"
