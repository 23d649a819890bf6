"""NEXUS_GCP_REQUIRED_LABELS: labelled GCP resources carry every tag of the spec as a label.

GCP labels allow only lower-case `[a-z0-9_-]`, so the spec's tags are compared after the same conversion Nexus
applies when it writes them (`cost-center: CC-42` -> `cost-center: cc-42`). Cloud SQL keeps them in
`settings.user_labels`, GKE in `resource_labels`. Without a context nothing is reported. A Firestore database has
no labels (only resource-manager `tags`), so it is not judged here.
"""
from _nexus_support import RequiredTagsCheck, attribute, gcp_label

LABEL_ATTRIBUTE = {"google_container_cluster": ("resource_labels",),
                   "google_sql_database_instance": ("settings", "user_labels")}
LABELLED = (
    "google_bigquery_dataset", "google_cloud_run_v2_service", "google_cloudfunctions2_function",
    "google_compute_global_address", "google_compute_global_forwarding_rule", "google_compute_instance",
    "google_compute_instance_template", "google_compute_security_policy", "google_container_cluster",
    "google_kms_crypto_key", "google_pubsub_subscription", "google_pubsub_topic",
    "google_redis_instance", "google_secret_manager_secret", "google_sql_database_instance", "google_storage_bucket",
)


class GcpRequiredLabels(RequiredTagsCheck):
    def __init__(self) -> None:
        super().__init__(name="GCP resource carries the spec's tags as labels", id="NEXUS_GCP_REQUIRED_LABELS",
                         supported_resources=LABELLED)

    def tags_of(self, conf: dict) -> dict:
        labels = attribute(conf, *LABEL_ATTRIBUTE.get(self.entity_type, ("labels",)))
        return labels if isinstance(labels, dict) else {}

    def expected(self, required: dict) -> dict[str, str]:
        return {gcp_label(str(key), key=True): gcp_label(str(value)) for key, value in required.items()}


check = GcpRequiredLabels()
