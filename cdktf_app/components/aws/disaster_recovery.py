"""What the recovery-region copy of an AWS stack adds: the primary region's provider (aliased `primary`), the
replication of each replicated bucket into its replica here, and AWS Backup copying every protected component's
recovery points from a vault in the primary region to one here, encrypted with this region's stack key."""
from __future__ import annotations

from cdktn import Fn
from cdktn_provider_aws.backup_plan import BackupPlan
from cdktn_provider_aws.backup_selection import BackupSelection
from cdktn_provider_aws.backup_vault import BackupVault
from cdktn_provider_aws.data_aws_kms_alias import DataAwsKmsAlias
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktn_provider_aws.provider import AwsProvider
from cdktn_provider_aws.s3_bucket_replication_configuration import S3BucketReplicationConfigurationA

from ...kit.context import StackContext
from .provider import account, assume_role_policy, managed_policy, partition, stack_key

SECTION = "dr"
HOURLY, DAILY = "cron(0 * * * ? *)", "cron(0 5 * * ? *)"
RECOVERY_POINT_DAYS = 35
BACKUP_POLICIES = ("service-role/AWSBackupServiceRolePolicyForBackup",
                   "service-role/AWSBackupServiceRolePolicyForRestores", "AWSBackupServiceRolePolicyForS3Backup",
                   "AWSBackupServiceRolePolicyForS3Restore")


def prepare_standby(ctx: StackContext) -> None:
    ctx.on_finish(lambda: cross_region_backup(ctx))


def primary_provider(ctx: StackContext) -> AwsProvider:
    return ctx.shared("aws.primary", lambda: AwsProvider(ctx.stack, "aws_primary", alias="primary",
                                                         region=ctx.standby.target.primary_region))


def primary_name(ctx: StackContext, component: str, suffix: str = "", max_length: int = 63) -> str:
    """The physical name a resource of the primary stack has."""
    return ctx.physical_name(component, suffix, max_length, environment=ctx.standby.primary_environment)


def primary_key_arn(ctx: StackContext) -> str:
    """The primary stack's KMS key, looked up by its alias in the primary region."""
    alias = ctx.shared("aws.primary_key", lambda: ctx.add(
        SECTION, DataAwsKmsAlias, "primary_stack_key",
        name=f"alias/nexus/{ctx.spec.name}-{ctx.standby.primary_environment}", provider=primary_provider(ctx)))
    return alias.target_key_arn


def primary_arn(ctx: StackContext, component: str, component_type: str) -> str:
    """The ARN of a protected component's primary resource (names are deterministic, so no cross-stack read)."""
    arn = f"arn:{partition(ctx).partition}"
    region, account_id = ctx.standby.target.primary_region, account(ctx).account_id
    if component_type == "bucket":
        return f"{arn}:s3:::{primary_name(ctx, component)}"
    if component_type == "database":
        return f"{arn}:rds:{region}:{account_id}:db:{primary_name(ctx, component)}"
    return f"{arn}:dynamodb:{region}:{account_id}:table/{primary_name(ctx, component, max_length=255)}"


def replicate_bucket(construct, replica) -> None:
    """S3 cross-region replication from the primary bucket into `replica`, re-encrypted with this region's key
    (the replica KMS key), deletes and all objects included."""
    ctx, name = construct.ctx, construct.name
    source = primary_name(ctx, name)
    replica_key = stack_key(ctx).arn
    role = construct.add(IamRole, "replication_role", name=construct.physical_name("replication", max_length=64),
                         assume_role_policy=assume_role_policy("s3.amazonaws.com"), tags=construct.tags)
    source_arn = f"arn:{partition(ctx).partition}:s3:::{source}"
    construct.add(IamRolePolicy, "replication_policy", role=role.id, name="replication", policy=Fn.jsonencode({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
             "Resource": source_arn},
            {"Effect": "Allow", "Action": ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl",
                                           "s3:GetObjectVersionTagging"], "Resource": f"{source_arn}/*"},
            {"Effect": "Allow", "Action": ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
             "Resource": f"{replica.arn}/*"},
            {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": primary_key_arn(ctx)},
            {"Effect": "Allow", "Action": ["kms:Encrypt", "kms:GenerateDataKey"], "Resource": replica_key},
        ]}))
    construct.add(S3BucketReplicationConfigurationA, "replication", bucket=source, role=role.arn,
                  provider=primary_provider(ctx), rule=[{
                      "id": "disaster-recovery", "status": "Enabled", "filter": {"prefix": ""},
                      "delete_marker_replication": {"status": "Enabled"},
                      "source_selection_criteria": {"sse_kms_encrypted_objects": {"status": "Enabled"}},
                      "destination": {"bucket": replica.arn, "storage_class": "STANDARD",
                                      "encryption_configuration": {"replica_kms_key_id": replica_key},
                                      "replication_time": {"status": "Enabled", "time": {"minutes": 15}},
                                      "metrics": {"status": "Enabled", "event_threshold": {"minutes": 15}}}}])


def cross_region_backup(ctx: StackContext) -> None:
    """AWS Backup in the primary region, every recovery point copied to this region's vault."""
    protected = ctx.standby.protected
    if not protected:
        return
    add = ctx.adder(SECTION, "dr_backup")
    primary = primary_provider(ctx)
    recovery_vault = add(BackupVault, "vault", name=ctx.physical_name("backup"), kms_key_arn=stack_key(ctx).arn,
                         tags=ctx.tags())
    source_vault = add(BackupVault, "source_vault", name=primary_name(ctx, "backup"), provider=primary,
                       kms_key_arn=primary_key_arn(ctx), tags=ctx.tags())
    hourly = min(target.rpo for _, _, target in protected) < 86400
    plan = add(BackupPlan, "plan", name=ctx.physical_name("backup"), provider=primary, tags=ctx.tags(), rule=[{
        "rule_name": "cross-region", "target_vault_name": source_vault.name,
        "schedule": HOURLY if hourly else DAILY, "lifecycle": {"delete_after": RECOVERY_POINT_DAYS},
        "copy_action": [{"destination_vault_arn": recovery_vault.arn,
                         "lifecycle": {"delete_after": RECOVERY_POINT_DAYS}}]}])
    role = add(IamRole, "role", name=ctx.physical_name("backup", max_length=64),
               assume_role_policy=assume_role_policy("backup.amazonaws.com"), tags=ctx.tags())
    for index, policy in enumerate(BACKUP_POLICIES):
        add(IamRolePolicyAttachment, f"policy_{index}", role=role.name, policy_arn=managed_policy(ctx, policy))
    add(BackupSelection, "selection", name="protected", iam_role_arn=role.arn, plan_id=plan.id, provider=primary,
        resources=[primary_arn(ctx, name, kind) for name, kind, _ in protected])

