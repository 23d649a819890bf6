"""database -> Cloud SQL instance: private IP only, TLS required, CMEK, backups with point-in-time recovery."""
from __future__ import annotations

from cdktn_provider_google.sql_database_instance import (
    SqlDatabaseInstance,
    SqlDatabaseInstanceSettingsDatabaseFlags,
)

from ...dr.targets import DrTarget, target_for
from ...spec.model import Database
from ..base import ComponentConstruct
from .network import network_of, private_services_access
from .provider import encryption_key, region

# Custom machine types need the Enterprise edition (Enterprise Plus takes only db-perf-optimized tiers).
EDITION = "ENTERPRISE"
TIER = {"small": "db-custom-1-3840", "medium": "db-custom-2-7680", "large": "db-custom-4-15360",
        "xlarge": "db-custom-8-30720"}
PORT = {"postgres": 5432, "mysql": 3306}
# Connection and statement logging (CIS GCP 6.2) for postgres, no local files or database listing for mysql (6.1).
FLAGS = {
    "postgres": (("log_connections", "on"), ("log_disconnections", "on"), ("log_checkpoints", "on"),
                 ("log_lock_waits", "on"), ("log_statement", "ddl"), ("log_min_messages", "warning"),
                 ("log_min_error_statement", "error"), ("log_min_duration_statement", "-1"),
                 ("log_temp_files", "0"), ("cloudsql.enable_pgaudit", "on"), ("cloudsql.iam_authentication", "on")),
    "mysql": (("local_infile", "off"), ("skip_show_database", "on"), ("cloudsql_iam_authentication", "on")),
}
MAX_LOG_RETENTION_DAYS = 7  # the Enterprise edition's limit for point-in-time recovery logs


def database_version(engine: str, version: str) -> str:
    """`postgres` 16 -> POSTGRES_16, `mysql` 8.0 -> MYSQL_8_0."""
    return f"{engine.upper()}_{version.replace('.', '_')}"


def backup_configuration(engine: str, retention_days: int, location: str | None = None) -> dict:
    """`location`: where the backups are kept (a recovery region); default: the multi-region of the instance."""
    # Cloud SQL wants more retained backups than days of transaction logs.
    retained = max(retention_days, 2)
    recovery = {"point_in_time_recovery_enabled": True} if engine == "postgres" else {"binary_log_enabled": True}
    if retention_days == 0:
        return {"enabled": False}
    return {"enabled": True, "start_time": "03:00", **recovery, **({"location": location} if location else {}),
            "transaction_log_retention_days": min(MAX_LOG_RETENTION_DAYS, retained - 1),
            "backup_retention_settings": {"retained_backups": retained, "retention_unit": "COUNT"}}


class GcpDatabase(ComponentConstruct[Database]):
    def build(self) -> None:
        spec = self.component
        peering = private_services_access(self)
        dr = target_for(self.ctx.spec, self.name, "gcp")
        settings = {
            "edition": EDITION, "tier": TIER[spec.size], "user_labels": self.labels,
            "availability_type": "REGIONAL" if spec.high_availability else "ZONAL",
            "disk_type": "PD_SSD", "disk_size": spec.storage_gb, "disk_autoresize": True,
            "disk_autoresize_limit": spec.storage_gb * 4, "deletion_protection_enabled": spec.deletion_protection,
            "ip_configuration": {"ipv4_enabled": spec.public, "private_network": network_of(self)["network_id"],
                                 "ssl_mode": "ENCRYPTED_ONLY"},
            "database_flags": [SqlDatabaseInstanceSettingsDatabaseFlags(name=name, value=value)
                               for name, value in FLAGS[spec.engine]],
            "insights_config": {"query_insights_enabled": True},
            "maintenance_window": {"day": 7, "hour": 3, "update_track": "stable"},
        }
        instance = self.add(
            SqlDatabaseInstance, None, name=self.physical_name(max_length=98), region=region(self.ctx),
            database_version=database_version(spec.engine, spec.version),
            encryption_key_name=encryption_key(self.ctx, "sql") if spec.encrypted else None,
            deletion_protection=spec.deletion_protection, depends_on=[peering],
            settings={**settings, "backup_configuration": backup_configuration(
                spec.engine, spec.backup_retention_days, dr.region if dr else None)})
        if dr and dr.replicates:
            self._replica(instance, dr, settings)
        self.export(name=instance.name, connection_name=instance.connection_name,
                    endpoint=instance.private_ip_address, port=PORT[spec.engine])

    def _replica(self, primary: SqlDatabaseInstance, dr: DrTarget, settings: dict) -> None:
        """A cross-region read replica in the recovery region (promoted at failover), under the stack's key
        there; the VPC is global, so it shares the primary's private network."""
        spec = self.component
        self.add(SqlDatabaseInstance, "replica", name=self.physical_name("replica", max_length=98), region=dr.region,
                 database_version=database_version(spec.engine, spec.version), master_instance_name=primary.name,
                 replica_configuration={"failover_target": False},
                 encryption_key_name=encryption_key(self.ctx, "sql", dr.region) if spec.encrypted else None,
                 deletion_protection=spec.deletion_protection,
                 settings={**settings, "backup_configuration": {"enabled": False}})
