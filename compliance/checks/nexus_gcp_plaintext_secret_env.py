"""NEXUS_GCP_PLAINTEXT_SECRET_ENV: no secret in plain text in a Cloud Run service's or Cloud Function's
environment; the rule is NEXUS_AWS_PLAINTEXT_SECRET_ENV's (see nexus_aws_plaintext_secret_env.py)."""
from _nexus_support import PlaintextSecretEnvCheck

check = PlaintextSecretEnvCheck(check_id="NEXUS_GCP_PLAINTEXT_SECRET_ENV",
                                resource_types=("google_cloud_run_v2_service", "google_cloudfunctions2_function"))
