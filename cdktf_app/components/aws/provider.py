"""The AWS provider of a stack, and the stack-wide resources AWS components share (KMS key, log bucket)."""
from __future__ import annotations

from cdktn import Fn
from cdktn_provider_aws.data_aws_caller_identity import DataAwsCallerIdentity
from cdktn_provider_aws.data_aws_partition import DataAwsPartition
from cdktn_provider_aws.kms_alias import KmsAlias
from cdktn_provider_aws.kms_key import KmsKey
from cdktn_provider_aws.provider import AwsProvider

from ...kit.context import StackContext

# The bindings pin the provider exactly (6.x); this range lets online users take 6.x and offline mirrors 5.100.
# Only arguments valid in both majors may be used.
AWS_PROVIDER_VERSIONS = ">= 5.100, < 7.0"
STACK_SECTION = "providers.aws"


def configure(ctx: StackContext) -> None:
    AwsProvider(ctx.stack, "aws", region=ctx.spec.providers.aws.region)
    ctx.stack.add_override("terraform.required_providers.aws.version", AWS_PROVIDER_VERSIONS)


def account(ctx: StackContext):
    return ctx.shared("aws.account", lambda: ctx.add(STACK_SECTION, DataAwsCallerIdentity, "caller"))


def partition(ctx: StackContext):
    return ctx.shared("aws.partition", lambda: ctx.add(STACK_SECTION, DataAwsPartition, "partition"))


def region(ctx: StackContext) -> str:
    return ctx.spec.providers.aws.region


def stack_key(ctx: StackContext, provider: AwsProvider | None = None) -> KmsKey:
    """One customer-managed KMS key per stack, rotated yearly, usable by CloudWatch Logs of this account. With
    the us-east-1 provider of global services (`global_provider`), the stack's key in that region: a KMS key
    only serves its own region, and CloudFront's WAF logs must live there."""
    key_region = "us-east-1" if provider else region(ctx)
    suffix = "_us_east_1" if provider else ""

    def build() -> KmsKey:
        account_id = account(ctx).account_id
        arn_prefix = f"arn:{partition(ctx).partition}"
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "AccountAdministers", "Effect": "Allow",
                 "Principal": {"AWS": f"{arn_prefix}:iam::{account_id}:root"},
                 "Action": "kms:*", "Resource": "*"},
                {"Sid": "CloudWatchLogsEncrypt", "Effect": "Allow",
                 "Principal": {"Service": f"logs.{key_region}.amazonaws.com"},
                 "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                            "kms:Describe*"],
                 "Resource": "*",
                 "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn":
                                           f"{arn_prefix}:logs:{key_region}:{account_id}:*"}}},
            ],
        }
        key = ctx.add(STACK_SECTION, KmsKey, f"stack_key{suffix}",
                      description=f"Nexus {ctx.prefix}: encryption of data at rest",
                      enable_key_rotation=True, deletion_window_in_days=30,
                      policy=Fn.jsonencode(policy), provider=provider, tags=ctx.tags())
        ctx.add(STACK_SECTION, KmsAlias, f"stack_key_alias{suffix}", name=f"alias/nexus/{ctx.prefix}",
                target_key_id=key.key_id, provider=provider)
        return key
    return ctx.shared(f"aws.kms{suffix}", build)


def assume_role_policy(*services: str) -> str:
    return Fn.jsonencode({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                       "Principal": {"Service": list(services) if len(services) > 1 else services[0]}}],
    })


def managed_policy(ctx: StackContext, name: str) -> str:
    return f"arn:{partition(ctx).partition}:iam::aws:policy/{name}"


def log_group(construct, role: str, name: str, retention_days: int = 365, provider: AwsProvider | None = None):
    """A CloudWatch log group kept for a year, owned by the component that asks for it, encrypted with the stack
    key of its region."""
    from cdktn_provider_aws.cloudwatch_log_group import CloudwatchLogGroup

    return construct.add(CloudwatchLogGroup, role, name=name, retention_in_days=retention_days,
                         kms_key_id=stack_key(construct.ctx, provider).arn, provider=provider,
                         tags=construct.tags)


def global_provider(ctx: StackContext) -> AwsProvider | None:
    """Provider for global services (CloudFront WAF) that live in us-east-1; None when that is the stack's region."""
    if region(ctx) == "us-east-1":
        return None
    return ctx.shared("aws.us_east_1", lambda: AwsProvider(ctx.stack, "aws_us_east_1", alias="us_east_1",
                                                           region="us-east-1"))
