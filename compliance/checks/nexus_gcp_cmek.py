"""NEXUS_GCP_CMEK: regulated GCP data stores are encrypted with a Cloud KMS key the customer manages (CMEK).

Google-managed encryption cannot be revoked or audited per key by the data owner. Applies when the scan context
says the data is regulated (PCI-DSS, HIPAA) and, conservatively, when there is no context. For Secret Manager it
is GCP's counterpart of CKV_AWS_149 (Secrets Manager under a CMK).
"""
from _nexus_support import CustomerKeyCheck, as_list, attribute, is_set


def secret_replicas_keyed(conf) -> bool:
    """A Secret Manager secret's replicas are all under a customer key: the automatic replication's, or each
    user-managed replica's (Nexus keeps one, in the stack's region, under the stack key)."""
    if is_set(attribute(conf, "replication", "auto", "customer_managed_encryption", "kms_key_name")):
        return True
    replicas = as_list(attribute(conf, "replication", "user_managed", "replicas") or [])
    return bool(replicas) and all(isinstance(replica, dict) and is_set(attribute(
        replica, "customer_managed_encryption", "kms_key_name")) for replica in replicas)


class GcpCustomerKey(CustomerKeyCheck):
    rules = {
        "google_storage_bucket": lambda conf: is_set(attribute(conf, "encryption", "default_kms_key_name")),
        "google_sql_database_instance": lambda conf: is_set(attribute(conf, "encryption_key_name")),
        "google_pubsub_topic": lambda conf: is_set(attribute(conf, "kms_key_name")),
        "google_redis_instance": lambda conf: is_set(attribute(conf, "customer_managed_key")),
        "google_container_cluster": lambda conf: (attribute(conf, "database_encryption", "state") == "ENCRYPTED"
                                                  and is_set(attribute(conf, "database_encryption", "key_name"))),
        "google_bigquery_dataset": lambda conf: is_set(
            attribute(conf, "default_encryption_configuration", "kms_key_name")),
        "google_firestore_database": lambda conf: is_set(attribute(conf, "cmek_config", "kms_key_name")),
        "google_compute_disk": lambda conf: is_set(attribute(conf, "disk_encryption_key", "kms_key_self_link")),
        "google_secret_manager_secret": secret_replicas_keyed,
    }

    def __init__(self) -> None:
        super().__init__(name="GCP data store is encrypted with a customer-managed Cloud KMS key", id="NEXUS_GCP_CMEK")


check = GcpCustomerKey()
