"""bucket -> S3 bucket: versioned, KMS-encrypted, public access blocked, TLS-only policy, access logs."""
from __future__ import annotations

from cdktn import Fn
from cdktn_provider_aws.data_aws_elb_service_account import DataAwsElbServiceAccount
from cdktn_provider_aws.s3_bucket import S3Bucket
from cdktn_provider_aws.s3_bucket_lifecycle_configuration import S3BucketLifecycleConfiguration
from cdktn_provider_aws.s3_bucket_logging import S3BucketLoggingA
from cdktn_provider_aws.s3_bucket_ownership_controls import S3BucketOwnershipControls
from cdktn_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktn_provider_aws.s3_bucket_public_access_block import S3BucketPublicAccessBlock
from cdktn_provider_aws.s3_bucket_server_side_encryption_configuration import (
    S3BucketServerSideEncryptionConfigurationA,
)
from cdktn_provider_aws.s3_bucket_versioning import S3BucketVersioningA

from ...spec.model import Bucket
from ..base import ComponentConstruct
from .disaster_recovery import replicate_bucket
from .provider import STACK_SECTION, stack_key


def secure_bucket(add, tags: dict, name: str, *, versioned: bool, public: bool,
                  kms_key_arn: str | None, expire_days: int | None = 365) -> tuple[S3Bucket, list[dict]]:
    """A bucket with the baseline every Nexus bucket gets; returns it and its (still open) policy statements."""
    bucket = add(S3Bucket, None, bucket=name, force_destroy=False, tags=tags)
    add(S3BucketOwnershipControls, "ownership", bucket=bucket.id, rule={"object_ownership": "BucketOwnerEnforced"})
    add(S3BucketPublicAccessBlock, "public_access", bucket=bucket.id, block_public_acls=True,
        ignore_public_acls=True, block_public_policy=not public, restrict_public_buckets=not public)
    add(S3BucketVersioningA, "versioning", bucket=bucket.id,
        versioning_configuration={"status": "Enabled" if versioned else "Suspended"})
    encryption = ({"sse_algorithm": "aws:kms", "kms_master_key_id": kms_key_arn} if kms_key_arn
                  else {"sse_algorithm": "AES256"})
    add(S3BucketServerSideEncryptionConfigurationA, "encryption", bucket=bucket.id,
        rule=[{"apply_server_side_encryption_by_default": encryption, "bucket_key_enabled": True}])
    add(S3BucketLifecycleConfiguration, "lifecycle", bucket=bucket.id, rule=[lifecycle_rule(expire_days)])
    deny_plain_http = {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                       "Resource": [bucket.arn, f"{bucket.arn}/*"],
                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}}
    return bucket, [deny_plain_http]


def lifecycle_rule(expire_days: int | None) -> dict:
    rule = {"id": "housekeeping", "status": "Enabled", "filter": [{"prefix": ""}],
            "abort_incomplete_multipart_upload": [{"days_after_initiation": 7}],
            "noncurrent_version_expiration": [{"noncurrent_days": 90}]}
    if expire_days:
        rule["expiration"] = [{"days": expire_days}]
    return rule


def bucket_policy(add, bucket: S3Bucket, statements: list[dict]) -> S3BucketPolicy:
    return add(S3BucketPolicy, "policy", bucket=bucket.id,
               policy=Fn.jsonencode({"Version": "2012-10-17", "Statement": statements}))


LOAD_BALANCER_PREFIX = "load-balancers"


def access_log_bucket(ctx) -> tuple[S3Bucket, S3BucketPolicy]:
    """The stack's access-log bucket (S3 and load balancer log delivery need SSE-S3, not KMS; kept a year) and
    its policy: whatever logs into it must be set up after the policy lets the log service write."""
    def build() -> tuple[S3Bucket, S3BucketPolicy]:
        add = ctx.adder(STACK_SECTION, "access_logs")
        bucket, statements = secure_bucket(add, ctx.tags(), ctx.physical_name("access-logs"), versioned=True,
                                           public=False, kms_key_arn=None)
        statements.append({"Sid": "S3ServerAccessLogs", "Effect": "Allow",
                           "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                           "Resource": f"{bucket.arn}/*"})
        if _has_load_balancers(ctx):
            # Regions older than 2022-08 deliver as the regional ELB account, newer ones as the service.
            elb = add(DataAwsElbServiceAccount, "elb_account")
            statements.append({"Sid": "LoadBalancerAccessLogs", "Effect": "Allow",
                               "Principal": {"AWS": elb.arn,
                                             "Service": "logdelivery.elasticloadbalancing.amazonaws.com"},
                               "Action": "s3:PutObject", "Resource": f"{bucket.arn}/{LOAD_BALANCER_PREFIX}/*"})
        return bucket, bucket_policy(add, bucket, statements)
    return ctx.shared("aws.access_logs", build)


def _has_load_balancers(ctx) -> bool:
    return any(component.type == "service" and "aws" in ctx.spec.clouds_for(component)
               for component in ctx.spec.components.values())


class AwsBucket(ComponentConstruct[Bucket]):
    def build(self) -> None:
        spec = self.component
        key = stack_key(self.ctx).arn if spec.encrypted else None
        bucket, statements = secure_bucket(self.add, self.tags, self.physical_name(), versioned=spec.versioned,
                                           public=spec.public, kms_key_arn=key, expire_days=spec.expire_days)
        if spec.access_logs:
            log_bucket, log_policy = access_log_bucket(self.ctx)
            self.add(S3BucketLoggingA, "logging", bucket=bucket.id, target_bucket=log_bucket.id,
                     target_prefix=f"{self.name}/", depends_on=[log_policy])
        if spec.public:
            statements.append({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"{bucket.arn}/*"})
        if self.ctx.standby:
            replicate_bucket(self, bucket)
        self.ctx.on_finish(lambda: bucket_policy(self.add, bucket, statements))
        self.export(id=lambda: bucket.id, arn=lambda: bucket.arn, domain=lambda: bucket.bucket_regional_domain_name,
                    policy_statements=statements, kms_key_arn=key)
