"""bucket -> S3 bucket: versioned, KMS-encrypted, public access blocked, TLS-only policy, access logs."""
from __future__ import annotations

from cdktn import Fn
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


def bucket_policy(add, bucket: S3Bucket, statements: list[dict]) -> None:
    add(S3BucketPolicy, "policy", bucket=bucket.id,
        policy=Fn.jsonencode({"Version": "2012-10-17", "Statement": statements}))


def access_log_bucket(ctx) -> S3Bucket:
    """The stack's access-log bucket (S3 log delivery needs SSE-S3, not KMS); logs kept a year."""
    def build() -> S3Bucket:
        add = ctx.adder(STACK_SECTION, "access_logs")
        bucket, statements = secure_bucket(add, ctx.tags(), ctx.physical_name("access-logs"), versioned=True,
                                           public=False, kms_key_arn=None)
        statements.append({"Sid": "S3ServerAccessLogs", "Effect": "Allow",
                           "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                           "Resource": f"{bucket.arn}/*"})
        bucket_policy(add, bucket, statements)
        return bucket
    return ctx.shared("aws.access_logs", build)


class AwsBucket(ComponentConstruct[Bucket]):
    def build(self) -> None:
        spec = self.component
        key = stack_key(self.ctx).arn if spec.encrypted else None
        bucket, statements = secure_bucket(self.add, self.tags, self.physical_name(), versioned=spec.versioned,
                                           public=spec.public, kms_key_arn=key, expire_days=spec.expire_days)
        if spec.access_logs:
            self.add(S3BucketLoggingA, "logging", bucket=bucket.id, target_bucket=access_log_bucket(self.ctx).id,
                     target_prefix=f"{self.name}/")
        if spec.public:
            statements.append({"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"{bucket.arn}/*"})
        self.ctx.on_finish(lambda: bucket_policy(self.add, bucket, statements))
        self.export(id=lambda: bucket.id, arn=lambda: bucket.arn, domain=lambda: bucket.bucket_regional_domain_name,
                    policy_statements=statements, kms_key_arn=key)
