"""bucket -> Cloud Storage bucket: uniform access, public access prevented, versioned, CMEK, usage logs."""
from __future__ import annotations

from typing import Callable

from cdktn_provider_google.storage_bucket import StorageBucket, StorageBucketLifecycleRule
from cdktn_provider_google.storage_bucket_iam_member import StorageBucketIamMember

from ...dr.checks import gcs_dual_region
from ...dr.targets import DrTarget, target_for
from ...spec.model import Bucket
from ...kit.context import StackContext
from ..base import ComponentConstruct
from .provider import STACK_SECTION, encryption_key, project, region, service_agent

ACCESS_LOG_WRITER = "group:cloud-storage-analytics@google.com"


def bucket_name(ctx: StackContext, component: str) -> str:
    """Bucket names are global: the project id (itself globally unique) keeps ours apart from everyone's."""
    return ctx.physical_name(component, project(ctx))


def secure_bucket(ctx: StackContext, add: Callable, labels: dict, name: str, *, versioned: bool = True,
                  public: bool = False, encrypted: bool = True, expire_days: int | None = None,
                  log_bucket: StorageBucket | None = None, dr: DrTarget | None = None) -> StorageBucket:
    """A regional bucket (beside the stack key) with the baseline every Nexus bucket gets; with `dr`, a
    configurable dual-region of the stack's region and the recovery region (turbo replication, a 15-minute RPO,
    for the replicating modes), under a key of the multi-region that holds both."""
    placement = {"location": region(ctx).upper()}
    key_location = None
    if dr:
        key_location = gcs_dual_region(dr.primary_region, dr.region).lower()
        placement = {"location": key_location.upper(), "rpo": "ASYNC_TURBO" if dr.replicates else "DEFAULT",
                     "custom_placement_config": {"data_locations": [dr.primary_region.upper(), dr.region.upper()]}}
    return add(StorageBucket, None, name=name, **placement, storage_class="STANDARD",
               uniform_bucket_level_access=True, public_access_prevention="inherited" if public else "enforced",
               versioning={"enabled": versioned}, lifecycle_rule=lifecycle_rules(expire_days),
               encryption={"default_kms_key_name": encryption_key(ctx, "storage", key_location)} if encrypted
               else None,
               logging={"log_bucket": log_bucket.name, "log_object_prefix": name} if log_bucket else None,
               force_destroy=False, labels=labels)


def lifecycle_rules(expire_days: int | None) -> list[StorageBucketLifecycleRule]:
    rules = [StorageBucketLifecycleRule(action={"type": "Delete"}, condition={"days_since_noncurrent_time": 90}),
             StorageBucketLifecycleRule(action={"type": "AbortIncompleteMultipartUpload"}, condition={"age": 7})]
    if expire_days:
        rules.append(StorageBucketLifecycleRule(action={"type": "Delete"}, condition={"age": expire_days}))
    return rules


def access_log_bucket(ctx: StackContext) -> StorageBucket:
    """The stack's usage-log bucket, written by Cloud Storage's analytics group; logs kept a year."""
    def build() -> StorageBucket:
        add = ctx.adder(STACK_SECTION, "access_logs")
        bucket = secure_bucket(ctx, add, ctx.labels(), bucket_name(ctx, "access-logs"), expire_days=365)
        add(StorageBucketIamMember, "writer", bucket=bucket.name, role="roles/storage.objectCreator",
            member=ACCESS_LOG_WRITER)
        return bucket
    return ctx.shared("gcp.access_logs", build)


class GcpBucket(ComponentConstruct[Bucket]):
    def build(self) -> None:
        spec = self.component
        bucket = secure_bucket(self.ctx, self.add, self.labels, bucket_name(self.ctx, self.name),
                               versioned=spec.versioned, public=spec.public, encrypted=spec.encrypted,
                               expire_days=spec.expire_days,
                               log_bucket=access_log_bucket(self.ctx) if spec.access_logs else None,
                               dr=target_for(self.ctx.spec, self.name, "gcp"))
        if spec.public:  # the spec's own choice: anyone may read, with or without a CDN in front
            self.add(StorageBucketIamMember, "public_read", bucket=bucket.name, role="roles/storage.objectViewer",
                     member="allUsers")
        elif self.ctx.referenced_by(self.name, "cdn", "origin"):
            self._grant_cdn_cache_fill(bucket)
        self.export(name=bucket.name, url=bucket.url)

    def _grant_cdn_cache_fill(self, bucket: StorageBucket) -> None:
        """Cloud CDN's private bucket access: a private origin stays private and only the CDN's cache filler reads it.

        Google documents this in place of an `allUsers` grant: objects are then reachable through the load
        balancer alone, never straight from Cloud Storage. The filler (`service-<number>@cloud-cdn-fill`) belongs
        to Cloud CDN and comes into being once the project's first signed-URL key is added to a backend bucket;
        in a project that never had one, this grant fails at apply until a key exists.
        """
        self.add(StorageBucketIamMember, "cdn_fill_read", bucket=bucket.name, role="roles/storage.objectViewer",
                 member=service_agent(self.ctx, "cdn_fill"))
