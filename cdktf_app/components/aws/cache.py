"""cache -> ElastiCache replication group (Redis or Valkey): private, encrypted at rest and in transit, clients
authenticated with IAM through a user group (no password to store; the built-in `default` user is off)."""
from __future__ import annotations

from cdktn_provider_aws.elasticache_replication_group import ElasticacheReplicationGroup
from cdktn_provider_aws.elasticache_subnet_group import ElasticacheSubnetGroup
from cdktn_provider_aws.elasticache_user import ElasticacheUser
from cdktn_provider_aws.elasticache_user_group import ElasticacheUserGroup

from ...spec.model import Cache
from ..base import ComponentConstruct
from .network_access import network_of, security_group
from .provider import log_group, stack_key

NODE_TYPE = {"small": "cache.t4g.small", "medium": "cache.m7g.large", "large": "cache.m7g.xlarge",
             "xlarge": "cache.r7g.2xlarge"}
ENGINE_VERSION = {"redis": "7.1", "valkey": "8.0"}
PORT = 6379


class AwsCache(ComponentConstruct[Cache]):
    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        subnets = self.add(ElasticacheSubnetGroup, "subnets", name=self.physical_name(max_length=255),
                           subnet_ids=network["private_subnet_ids"], tags=self.tags)
        access = security_group(self, "cache_sg", f"{self.name} cache", ingress_port=PORT, from_cidr=network["cidr"])
        slow_log = log_group(self, "slow_log", f"/nexus/{self.ctx.prefix}/{self.name}/slow-log")
        replicated = spec.replicas > 0
        group = self.add(
            ElasticacheReplicationGroup, None, replication_group_id=self.physical_name(max_length=40),
            description=f"{self.ctx.prefix} {self.name}", engine=spec.engine,
            engine_version=ENGINE_VERSION[spec.engine], node_type=NODE_TYPE[spec.size],
            num_cache_clusters=1 + spec.replicas, automatic_failover_enabled=replicated, multi_az_enabled=replicated,
            port=PORT, subnet_group_name=subnets.name, security_group_ids=[access.id],
            at_rest_encryption_enabled=str(spec.encrypted).lower(),
            kms_key_id=stack_key(self.ctx).arn if spec.encrypted else None,
            transit_encryption_enabled=True, user_group_ids=[self._users().id], auto_minor_version_upgrade="true",
            snapshot_retention_limit=7,
            log_delivery_configuration=[{"destination": slow_log.name, "destination_type": "cloudwatch-logs",
                                         "log_format": "json", "log_type": "slow-log"}],
            tags=self.tags)
        self.export(endpoint=lambda: group.primary_endpoint_address, port=PORT, arn=lambda: group.arn,
                    metric_dimensions=lambda: {"ReplicationGroupId": group.id})

    def _users(self) -> ElasticacheUserGroup:
        """Every user group needs a user named `default`: it is switched off; the app signs in with IAM."""
        engine = self.component.engine
        default = self.add(ElasticacheUser, "default_user", user_id=self.physical_name("default", max_length=40),
                           user_name="default", engine=engine, access_string="off -@all",
                           authentication_mode={"type": "no-password-required"}, tags=self.tags)
        app = self.add(ElasticacheUser, "app_user", user_id=self.physical_name("app", max_length=40),
                       user_name=self.physical_name("app", max_length=40), engine=engine,
                       access_string="on ~* +@all -@dangerous", authentication_mode={"type": "iam"},
                       tags=self.tags)
        return self.add(ElasticacheUserGroup, "users", user_group_id=self.physical_name("users", max_length=40),
                        engine=engine, user_ids=[default.user_id, app.user_id], tags=self.tags)
