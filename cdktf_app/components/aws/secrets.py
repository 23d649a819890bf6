"""The spec's secrets on AWS: components get a secret's ARN, never its value.

external  -> a data source naming the existing secret (its value is never read).
generated -> a Secrets Manager secret encrypted with the stack key, its first value drawn by Secrets Manager
             (the ephemeral `aws_secretsmanager_random_password`) and written through the write-only
             `secret_string_wo`: Terraform >= 1.11 keeps it out of the plan and the state. With `rotation`, a
             rotation schedule and Nexus's rotation function (rotation_function.py) draw the next values.
managed   -> the database's RDS-managed master secret (built by the database); `rotation` sets its managed
             rotation schedule there.
"""
from __future__ import annotations

import json
from pathlib import Path

from cdktn_provider_aws.data_aws_secretsmanager_secret import DataAwsSecretsmanagerSecret
from cdktn_provider_aws.ephemeral_aws_secretsmanager_random_password import EphemeralAwsSecretsmanagerRandomPassword
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktn_provider_aws.lambda_function import LambdaFunction
from cdktn_provider_aws.lambda_permission import LambdaPermission
from cdktn_provider_aws.secretsmanager_secret import SecretsmanagerSecret
from cdktn_provider_aws.secretsmanager_secret_rotation import SecretsmanagerSecretRotation
from cdktn_provider_aws.secretsmanager_secret_version import SecretsmanagerSecretVersion

from ...errors import SpecError
from ...kit.assets import archive, sha256_base64
from ...kit.context import StackContext
from ..secrets import SecretConstruct, generated_here
from .provider import assume_role_policy, log_group, managed_policy, stack_key

STORE = "aws-secrets-manager"
OWNER = "secrets"
# Characters a generated value leaves out: quotes and backslashes break the connection strings and shell lines
# it ends up in.
EXCLUDED_CHARACTERS = "\"'\\`"
# The write-only value is sent when this changes; the first value is version 1, rotation draws the next ones.
FIRST_VALUE_VERSION = 1
ROTATION_FUNCTION_SOURCE = Path(__file__).with_name("rotation_function.py")


def secret_arns(ctx: StackContext, reader: str, names: list[str]) -> list:
    """The ARN of each secret a component on AWS reads, in its order."""
    return [secret_arn(ctx, reader, name) for name in names]


def secret_arn(ctx: StackContext, reader: str, name: str):
    secret = ctx.spec.secrets[name]
    store = secret.store_on("aws")
    if store != STORE:
        raise SpecError([ctx.loaded.source.problem(
            ("components", reader, "secrets"),
            f"secret '{name}' is in {store}; '{reader}' runs on AWS and reads {STORE} secrets only (pin the "
            "component with provider:, or keep the secret in aws-secrets-manager)")])
    if secret.kind == "managed":
        return _managed_arn(ctx, reader, name, secret.database)
    if secret.kind == "generated":
        return generated_secret(ctx, name).arn
    return ctx.shared(f"aws.secret.{name}", lambda: ctx.add(
        f"{OWNER}.{name}", DataAwsSecretsmanagerSecret, f"secret_{name}", name=secret.name)).arn


def _managed_arn(ctx: StackContext, reader: str, name: str, database: str):
    if database not in ctx.exports:
        raise SpecError([ctx.loaded.source.problem(
            ("components", reader, "secrets"),
            f"secret '{name}' is the managed master password of '{database}', which is not built on AWS; a "
            f"component on AWS reads only an AWS database's managed secret")])
    return ctx.imported(database)["secret_arn"]


def build_secrets(ctx: StackContext) -> None:
    """Every generated secret kept in Secrets Manager, whether or not a component on AWS reads it (called by
    components/secrets.py once the components are built)."""
    for name in generated_here(ctx):
        generated_secret(ctx, name)


def generated_secret(ctx: StackContext, name: str) -> SecretsmanagerSecret:
    return ctx.shared(f"aws.secret.{name}", lambda: _generate(ctx, name))


def _generate(ctx: StackContext, name: str) -> SecretsmanagerSecret:
    secret = ctx.spec.secrets[name]
    part = SecretConstruct(ctx, name, secret)
    stored = part.add(SecretsmanagerSecret, None, name=f"{ctx.prefix}/{name}",
                      description=secret.description or f"Nexus {ctx.prefix}: generated secret {name}",
                      kms_key_id=stack_key(ctx).arn, tags=part.tags)
    drawn = part.add(EphemeralAwsSecretsmanagerRandomPassword, "random", password_length=secret.length,
                     exclude_characters=EXCLUDED_CHARACTERS, require_each_included_type=True)
    value = part.add(SecretsmanagerSecretVersion, "value", secret_id=stored.id,
                     secret_string_wo=drawn.random_password, secret_string_wo_version=FIRST_VALUE_VERSION)
    if secret.rotation:
        function = _rotation_function(part, stored)
        permission = part.add(LambdaPermission, "rotation_permission", action="lambda:InvokeFunction",
                              function_name=function.function_name, principal="secretsmanager.amazonaws.com",
                              source_arn=stored.arn)
        # The first value was just drawn: the schedule starts now, with no rotation at once.
        part.add(SecretsmanagerSecretRotation, "rotation", secret_id=stored.id, rotation_lambda_arn=function.arn,
                 rotation_rules={"automatically_after_days": secret.rotation.days}, rotate_immediately=False,
                 depends_on=[permission, value])
    return stored


def _rotation_function(part: SecretConstruct, stored: SecretsmanagerSecret) -> LambdaFunction:
    """Nexus's rotation function for one generated secret, allowed to rotate that secret only."""
    ctx = part.ctx
    function_name = part.physical_name("rotation", max_length=64)
    logs = log_group(part, "rotation_logs", f"/aws/lambda/{function_name}")
    role = part.add(IamRole, "rotation_role", name=function_name,
                    assume_role_policy=assume_role_policy("lambda.amazonaws.com"), tags=part.tags)
    part.add(IamRolePolicyAttachment, "rotation_logs_policy", role=role.name,
             policy_arn=managed_policy(ctx, "service-role/AWSLambdaBasicExecutionRole"))
    part.add(IamRolePolicyAttachment, "rotation_tracing", role=role.name,
             policy_arn=managed_policy(ctx, "AWSXRayDaemonWriteAccess"))
    part.add(IamRolePolicy, "rotation_policy", role=role.id, name="rotate-secret",
             policy=json.dumps({"Version": "2012-10-17", "Statement": [
                 {"Effect": "Allow", "Resource": stored.arn, "Action": [
                     "secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue",
                     "secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"]},
                 {"Effect": "Allow", "Action": "secretsmanager:GetRandomPassword", "Resource": "*"},
                 {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                  "Resource": stack_key(ctx).arn}]}, sort_keys=True))
    code = ctx.shared("aws.secret_rotation_code", lambda: archive([("main.py", ROTATION_FUNCTION_SOURCE.read_bytes())]))
    return part.add(LambdaFunction, "rotation_function", function_name=function_name, role=role.arn,
                    runtime="python3.12", handler="main.handler",
                    filename=ctx.add_asset("assets/secret-rotation.zip", code), source_code_hash=sha256_base64(code),
                    timeout=60, memory_size=128, tracing_config={"mode": "Active"}, kms_key_arn=stack_key(ctx).arn,
                    environment={"variables": {"EXCLUDED_CHARACTERS": EXCLUDED_CHARACTERS}}, depends_on=[logs],
                    tags=part.tags)
