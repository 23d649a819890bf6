"""function -> Cloud Functions (2nd gen) with its own identity, internal ingress; optionally fed by a Pub/Sub topic."""
from __future__ import annotations

import hashlib

from cdktn_provider_google.cloud_run_v2_service_iam_member import CloudRunV2ServiceIamMember
from cdktn_provider_google.cloudfunctions2_function import Cloudfunctions2Function
from cdktn_provider_google.storage_bucket import StorageBucket
from cdktn_provider_google.storage_bucket_object import StorageBucketObject

from ...spec.model import Function
from ...kit.assets import function_archive
from ...kit.context import StackContext
from ..base import ComponentConstruct
from .bucket import access_log_bucket, bucket_name, secure_bucket
from .provider import STACK_SECTION, project, region, service_account
from .secrets import secret_references

RUNTIME = {"python3.12": "python312", "python3.11": "python311", "nodejs20": "nodejs20", "nodejs22": "nodejs22",
           "go1.x": "go122"}
MAX_EVENT_TIMEOUT = 540  # seconds; HTTP functions may run longer than event-driven ones
PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


def source_bucket(ctx: StackContext) -> StorageBucket:
    """The stack's bucket for function code archives (old archives go after 90 days as noncurrent versions)."""
    return ctx.shared("gcp.function_sources", lambda: secure_bucket(
        ctx, ctx.adder(STACK_SECTION, "function_sources"), ctx.labels(), bucket_name(ctx, "function-sources"),
        log_bucket=access_log_bucket(ctx)))


class GcpFunction(ComponentConstruct[Function]):
    def build(self) -> None:
        spec = self.component
        identity = service_account(self, "sa", f"Runs the {self.name} function")
        code = self._code()
        trigger = self.ctx.imported(spec.trigger) if spec.trigger else None
        secrets = secret_references(self, identity)
        function = self.add(
            Cloudfunctions2Function, None, name=self.physical_name(), location=region(self.ctx), labels=self.labels,
            build_config={"runtime": RUNTIME[spec.runtime], "entry_point": spec.handler.rsplit(".", 1)[-1],
                          "source": {"storage_source": {"bucket": code.bucket, "object": code.name}}},
            service_config={
                "available_memory": f"{spec.memory}Mi", "service_account_email": identity.email,
                "timeout_seconds": min(spec.timeout, MAX_EVENT_TIMEOUT) if trigger else spec.timeout,
                "ingress_settings": "ALLOW_INTERNAL_ONLY", "all_traffic_on_latest_revision": True,
                "environment_variables": {**spec.environment, **secrets.plain} or None,
                "secret_environment_variables": [
                    {"key": name, "project_id": project(self.ctx), "secret": secret, "version": "latest"}
                    for name, secret in secrets.stored.items()] or None},
            event_trigger={"trigger_region": region(self.ctx), "event_type": PUBLISHED,
                           "pubsub_topic": trigger["topic_id"], "retry_policy": "RETRY_POLICY_RETRY",
                           "service_account_email": identity.email} if trigger else None,
            depends_on=secrets.grants or None)
        if trigger:
            # The trigger calls the function's Cloud Run service as the function's own identity.
            self.add(CloudRunV2ServiceIamMember, "trigger_invoker", name=function.service_config.service,
                     location=region(self.ctx), role="roles/run.invoker", member=identity.member)
        self.export(name=function.name, url=function.url, service_account=identity.email)

    def _code(self) -> StorageBucketObject:
        """The code archive, named by its content so that new code makes a new deployment."""
        spec = self.component
        where = self.ctx.loaded.source.problem(("components", self.name, "source"), "")
        archive = function_archive(self.ctx.loaded.base_dir, spec.source, spec.runtime, where)
        path = self.ctx.add_asset(f"assets/{self.name}.zip", archive)
        digest = hashlib.sha256(archive).hexdigest()[:16]
        return self.add(StorageBucketObject, "code", bucket=source_bucket(self.ctx).name,
                        name=f"{self.name}/{digest}.zip", source=path)
