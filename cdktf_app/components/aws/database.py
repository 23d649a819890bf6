"""database -> RDS instance: private, encrypted with the stack key, Multi-AZ when HA, managed master secret."""
from __future__ import annotations

from cdktn_provider_aws.db_instance import DbInstance
from cdktn_provider_aws.db_parameter_group import DbParameterGroup
from cdktn_provider_aws.db_subnet_group import DbSubnetGroup
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktn_provider_aws.secretsmanager_secret_rotation import SecretsmanagerSecretRotation

from ...spec.model import Database
from ..base import ComponentConstruct
from .disaster_recovery import primary_arn
from .network_access import network_of, security_group
from .provider import assume_role_policy, managed_policy, stack_key

INSTANCE_CLASS = {"small": "db.t4g.medium", "medium": "db.m7g.large", "large": "db.m7g.xlarge",
                  "xlarge": "db.m7g.2xlarge"}
ENGINE = {"postgres": ("postgres", 5432, ["postgresql", "upgrade"]),
          "mysql": ("mysql", 3306, ["audit", "error", "general", "slowquery"])}
# RDS for MySQL instance parameter groups write booleans as 1/0 (the RDS guide: "set require_secure_transport to
# 1 (ON)"); checkov's CKV2_AWS_69 accepts only "1", so "ON" failed every HIPAA gate.
PARAMETERS = {"postgres": [("log_connections", "1"), ("log_disconnections", "1"), ("rds.force_ssl", "1")],
              "mysql": [("require_secure_transport", "1")]}


class AwsDatabase(ComponentConstruct[Database]):
    def build(self) -> None:
        spec = self.component
        engine, port, log_exports = ENGINE[spec.engine]
        network = network_of(self)
        subnets = self.add(DbSubnetGroup, "subnets", name=self.physical_name(max_length=255),
                           subnet_ids=network["private_subnet_ids"], tags=self.tags)
        access = security_group(self, "db_sg", f"{self.name} database", ingress_port=port,
                                from_cidr=network["cidr"])
        family = f"{engine}{spec.version}" if spec.engine == "postgres" else f"mysql{spec.version}"
        parameters = self.add(DbParameterGroup, "params", name=self.physical_name(max_length=255), family=family,
                              parameter=[{"name": name, "value": value, "apply_method": "pending-reboot"}
                                         for name, value in PARAMETERS[spec.engine]], tags=self.tags)
        monitoring = self.add(IamRole, "monitoring_role", name=self.physical_name("rds-monitoring", max_length=64),
                              assume_role_policy=assume_role_policy("monitoring.rds.amazonaws.com"), tags=self.tags)
        self.add(IamRolePolicyAttachment, "monitoring_policy", role=monitoring.name,
                 policy_arn=managed_policy(self.ctx, "service-role/AmazonRDSEnhancedMonitoringRole"))
        key = stack_key(self.ctx).arn if spec.encrypted else None
        # In the recovery region: a cross-region read replica (engine, version and sign-in come from the source;
        # RDS takes no final snapshot of a replica). The source is encrypted, so the replica is too (this region's
        # key).
        origin = ({"replicate_source_db": primary_arn(self.ctx, self.name, "database"), "engine": engine,
                   "skip_final_snapshot": True,
                   "storage_encrypted": True, "kms_key_id": stack_key(self.ctx).arn} if self.ctx.standby else
                  {"engine": engine, "engine_version": spec.version, "username": "nexus_admin",
                   "manage_master_user_password": True, "master_user_secret_kms_key_id": key,
                   "skip_final_snapshot": False, "final_snapshot_identifier": self.physical_name("final"),
                   "storage_encrypted": spec.encrypted, "kms_key_id": key})
        instance = self.add(
            DbInstance, None, identifier=self.physical_name(), **origin,
            instance_class=INSTANCE_CLASS[spec.size], allocated_storage=spec.storage_gb,
            max_allocated_storage=spec.storage_gb * 4, storage_type="gp3", multi_az=spec.high_availability,
            db_subnet_group_name=subnets.name, vpc_security_group_ids=[access.id], publicly_accessible=spec.public,
            port=port, iam_database_authentication_enabled=True, parameter_group_name=parameters.name,
            backup_retention_period=spec.backup_retention_days, copy_tags_to_snapshot=True,
            deletion_protection=spec.deletion_protection, auto_minor_version_upgrade=True,
            enabled_cloudwatch_logs_exports=log_exports, monitoring_interval=60, monitoring_role_arn=monitoring.arn,
            performance_insights_enabled=True, performance_insights_kms_key_id=key, tags=self.tags)
        self._rotate_managed_secret(instance)
        self.export(endpoint=lambda: instance.address, port=port, arn=lambda: instance.arn,
                    secret_arn=lambda: instance.master_user_secret.get(0).secret_arn,
                    metric_dimensions=lambda: {"DBInstanceIdentifier": instance.identifier})

    def _rotate_managed_secret(self, instance: DbInstance) -> None:
        """The spec's managed secret of this database, with `rotation`: RDS rotates its master secret on that
        schedule (managed rotation, no function of ours). A recovery-region replica has no master secret of its
        own: the primary's stack rotates it."""
        if self.ctx.standby:
            return
        for name, secret in self.ctx.spec.secrets.items():
            if secret.kind == "managed" and secret.database == self.name and secret.rotation:
                self.ctx.add(f"secrets.{name}", SecretsmanagerSecretRotation, f"secret_{name}_rotation",
                             secret_id=instance.master_user_secret.get(0).secret_arn,
                             rotation_rules={"automatically_after_days": secret.rotation.days},
                             rotate_immediately=False)
