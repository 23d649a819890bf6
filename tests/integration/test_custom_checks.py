"""Our own checkov checks (compliance/checks) under real checkov 3.3.30, run as a subprocess from its own venv.

Each check must pass on what our constructs synthesize and fail on a deliberately weakened resource; every check
id a pack cites must exist. Several files are scanned per checkov run (its start-up costs ~2.4 s).
"""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from cdktf_app.compliance.context import check_context
from cdktf_app.compliance.checkov import checkov_cli_command, checkov_environment, checkov_python
from cdktf_app.compliance.packs import checks_dir, load_packs, nexus_check_ids
from cdktf_app.spec import load_spec
from cdktf_app.stacks.synth import synth

FIXTURES = Path(__file__).parent.parent / "fixtures"

CONTEXT = {"required_tags": {"team": "Payments", "cost:center": "42"},
           "allowed_regions": {"aws": ["eu-west-1"], "gcp": ["europe-west1"], "azure": ["westeurope"]},
           "regulated": True, "standards": ["pci-dss", "hipaa"]}
AWS_TAGS = {"team": "Payments", "cost:center": "42"}
LABELS = {"team": "payments", "cost_center": "42"}
KEY = "${aws_kms_key.k.arn}"


def hcl_policy(*statements: str) -> str:
    """A policy as Nexus constructs write many of them: an HCL object inside `${jsonencode(...)}`."""
    return '${jsonencode({"Version" = "2012-10-17", "Statement" = [' + ", ".join(statements) + "]})}"


def json_policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


BROAD = [  # one statement per cloudsplaining finding: escalation, exposure, exfiltration, permissions, writes
    '{"Effect" = "Allow", "Action" = ["iam:PassRole", "lambda:CreateFunction", "lambda:InvokeFunction"], '
    '"Resource" = "*"}',
    '{"Effect" = "Allow", "Action" = "iam:CreateAccessKey", "Resource" = "*"}',
    '{"Effect" = "Allow", "Action" = ["s3:GetObject", "secretsmanager:GetSecretValue"], "Resource" = "*"}',
    '{"Effect" = "Allow", "Action" = "iam:PutRolePolicy", "Resource" = "*"}',
    '{"Effect" = "Allow", "Action" = "s3:PutObject", "Resource" = "*"}',
]
NARROW = '{"Effect" = "Allow", "Action" = ["sqs:ReceiveMessage"], "Resource" = aws_sqs_queue.good_sqs.arn}'
DENY_HTTP = ('{"Effect" = "Deny", "Principal" = "*", "Action" = "s3:*", "Resource" = ["arn:aws:s3:::b/*"], '
             '"Condition" = {"Bool" = {"aws:SecureTransport" = "false"}}}')

AWS = {
    "aws_kms_key": {"k": {"enable_key_rotation": True}},
    "aws_s3_bucket": {"good_bucket": {"bucket": "g", "tags": AWS_TAGS},
                      "bad_bucket": {"bucket": "b", "tags": {"team": "payments", "cost:center": "42"}},
                      "escaped_bucket": {"bucket": "e", "tags": {"team": "$${file(\"x\")}", "cost:center": "42"}}},
    "aws_s3_bucket_server_side_encryption_configuration": {
        "good_sse": {"bucket": "g", "rule": [{"apply_server_side_encryption_by_default": {
            "sse_algorithm": "aws:kms", "kms_master_key_id": KEY}}]},
        "bad_sse": {"bucket": "b", "rule": [{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}]}},
    "aws_s3_bucket_policy": {"good_bucket_policy": {"bucket": "g", "policy": hcl_policy(DENY_HTTP)},
                             "bad_bucket_policy": {"bucket": "b", "policy": hcl_policy(NARROW)}},
    "aws_db_instance": {"good_rds": {"storage_encrypted": True, "kms_key_id": KEY, "tags": AWS_TAGS},
                        "bad_rds": {"storage_encrypted": True, "tags": AWS_TAGS}},
    "aws_dynamodb_table": {"good_dynamodb": {"server_side_encryption": {"enabled": True, "kms_key_arn": KEY}},
                           "bad_dynamodb": {"server_side_encryption": {"enabled": True}}},
    "aws_sqs_queue": {"good_sqs": {"kms_master_key_id": KEY}, "bad_sqs": {"kms_master_key_id": "alias/aws/sqs"}},
    "aws_sns_topic": {"good_sns": {"kms_master_key_id": KEY}, "bad_sns": {"name": "plain"}},
    "aws_elasticache_replication_group": {"good_cache": {"at_rest_encryption_enabled": True, "kms_key_id": KEY},
                                          "bad_cache": {"at_rest_encryption_enabled": True}},
    "aws_secretsmanager_secret": {"good_secret": {"kms_key_id": KEY}, "bad_secret": {"name": "s"}},
    "aws_cloudwatch_log_group": {"good_logs": {"kms_key_id": KEY}, "bad_logs": {"name": "l"}},
    "aws_iam_role_policy": {
        "good_policy_hcl": {"role": "r", "policy": hcl_policy(NARROW)},
        "good_policy_json": {"role": "r", "policy": json_policy(
            {"Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": ["${aws_kms_key.k.arn}"]})},
        "bad_admin_hcl": {"role": "r", "policy": hcl_policy('{"Effect" = "Allow", "Action" = "*", "Resource" = "*"}')},
        "bad_admin_json": {"role": "r", "policy": json_policy({"Effect": "Allow", "Action": "*", "Resource": "*"})},
        "bad_broad": {"role": "r", "policy": hcl_policy(*BROAD)},
    },
}
GCP = {
    "google_storage_bucket": {
        "good_bucket": {"name": "g", "location": "EUROPE-WEST1", "labels": LABELS,
                        "encryption": {"default_kms_key_name": "${google_kms_crypto_key.k.id}"}},
        "bad_bucket": {"name": "b", "location": "US", "labels": {"team": "payments"}}},
    "google_sql_database_instance": {
        "good_sql": {"database_version": "POSTGRES_16", "region": "europe-west1",
                     "encryption_key_name": "${google_kms_crypto_key.k.id}",
                     "settings": {"tier": "db-f1-micro", "user_labels": LABELS,
                                  "ip_configuration": {"ipv4_enabled": False, "ssl_mode": "ENCRYPTED_ONLY"}}},
        "bad_sql": {"database_version": "POSTGRES_16", "region": "us-central1",
                    "settings": {"tier": "db-f1-micro", "ip_configuration": {
                        "ssl_mode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED"}}}},
    "google_container_cluster": {
        "good_gke": {"location": "europe-west1", "resource_labels": LABELS,
                     "database_encryption": {"state": "ENCRYPTED", "key_name": "${google_kms_crypto_key.k.id}"}},
        "bad_gke": {"location": "europe-west1", "resource_labels": LABELS,
                    "database_encryption": {"state": "DECRYPTED"}}},
    "google_storage_bucket_iam_member": {
        "good_member": {"bucket": "g", "role": "roles/storage.objectViewer",
                        "member": "serviceAccount:app@p.iam.gserviceaccount.com"},
        "bad_member": {"bucket": "b", "role": "roles/storage.objectViewer", "member": "allUsers"}},
    "google_firestore_database": {
        "good_firestore": {"name": "(default)", "location_id": "europe-west1", "type": "FIRESTORE_NATIVE",
                           "point_in_time_recovery_enablement": "POINT_IN_TIME_RECOVERY_ENABLED",
                           "delete_protection_state": "DELETE_PROTECTION_ENABLED",
                           "cmek_config": {"kms_key_name": "${google_kms_crypto_key.k.id}"}},
        "bad_firestore": {"name": "other", "location_id": "europe-west1", "type": "FIRESTORE_NATIVE"}},
    "google_cloud_run_v2_service_iam_member": {
        "bad_invoker": {"name": "api", "role": "roles/run.invoker", "member": "allAuthenticatedUsers"}},
}
AZURE_TAGS = {"team": "Payments", "cost:center": "42"}
AZURE = {
    "azurerm_storage_account": {
        "good_storage": {"location": "West Europe", "tags": AZURE_TAGS, "infrastructure_encryption_enabled": True,
                         "cross_tenant_replication_enabled": False,
                         "customer_managed_key": {"key_vault_key_id": "${azurerm_key_vault_key.k.id}"}},
        "bad_storage": {"location": "eastus", "tags": {"team": "Payments"},
                        "cross_tenant_replication_enabled": True},
        "metrics_storage": {"location": "westeurope", "tags": AZURE_TAGS},
        "content_storage": {"location": "westeurope", "tags": AZURE_TAGS}},
    "azurerm_postgresql_flexible_server": {
        "good_pg": {"location": "westeurope", "tags": AZURE_TAGS, "delegated_subnet_id": "${azurerm_subnet.s.id}",
                    "customer_managed_key": {"key_vault_key_id": "${azurerm_key_vault_key.k.id}"}},
        "bad_pg": {"location": "westeurope", "tags": AZURE_TAGS, "public_network_access_enabled": True}},
    "azurerm_mysql_flexible_server": {
        "good_mysql": {"location": "westeurope", "tags": AZURE_TAGS, "public_network_access": "Disabled",
                       "customer_managed_key": {"key_vault_key_id": "${azurerm_key_vault_key.k.id}"}},
        "bad_mysql": {"location": "westeurope", "tags": AZURE_TAGS, "public_network_access": "Enabled"}},
    "azurerm_managed_redis": {
        "good_redis": {"location": "westeurope", "tags": AZURE_TAGS, "sku_name": "Balanced_B1",
                       "customer_managed_key": {"key_vault_key_id": "${azurerm_key_vault_key.k.id}",
                                                "user_assigned_identity_id": "${azurerm_user_assigned_identity.i.id}"}},
        "bad_redis": {"location": "westeurope", "tags": AZURE_TAGS, "sku_name": "Balanced_B1"}},
    "azurerm_postgresql_flexible_server_configuration": {
        "good_tls": {"name": "require_secure_transport", "value": "ON", "server_id": "${x.id}"},
        "bad_tls": {"name": "require_secure_transport", "value": "OFF", "server_id": "${x.id}"},
        "other_parameter": {"name": "log_checkpoints", "value": "ON", "server_id": "${x.id}"}},
    "azurerm_container_app": {
        "good_app": {"ingress": {"allow_insecure_connections": False, "target_port": 8080}},
        "bad_app": {"ingress": {"allow_insecure_connections": True, "target_port": 8080}},
        "worker_app": {"revision_mode": "Single"}},
    "azurerm_cdn_frontdoor_firewall_policy": {"good_waf": {"enabled": True, "mode": "Prevention"},
                                              "bad_waf": {"enabled": True, "mode": "Detection"}},
    # Blob read logging is judged through the graph: containers and diagnostic settings point at their account.
    "azurerm_storage_container": {
        f"{account}_container": {"name": "data", "storage_account_id": f"${{azurerm_storage_account.{account}.id}}"}
        for account in ("good_storage", "bad_storage", "metrics_storage")},
    "azurerm_monitor_diagnostic_setting": {
        "good_storage_reads": {"name": "nexus", "log_analytics_workspace_id": "w",
                               "target_resource_id": "${azurerm_storage_account.good_storage.id}/blobServices/default",
                               "enabled_log": [{"category_group": "allLogs"}]},
        "metrics_storage_metrics": {"name": "nexus", "log_analytics_workspace_id": "w",
                                    "target_resource_id": "${azurerm_storage_account.metrics_storage.id}",
                                    "enabled_metric": [{"category": "AllMetrics"}]}},
}

# Plaintext secrets in environments: a literal under a secret name or a credential-shaped value fails; references,
# Key Vault references and ordinary settings pass.
SECRET_ENV = [{"name": "LOG_LEVEL", "value": "info"}, {"name": "DB_PASSWORD", "value": "hunter2-hunter2"}]
REFERENCED_ENV = [{"name": "DB_PASSWORD_ARN", "value": "${aws_secretsmanager_secret.s.arn}"},
                  {"name": "LOG_LEVEL", "value": "info"}]
AWS.setdefault("aws_lambda_function", {}).update({
    "good_env_fn": {"function_name": "g", "environment": {"variables": {item["name"]: item["value"]
                                                                        for item in REFERENCED_ENV}}},
    "bad_env_fn": {"function_name": "b", "environment": {"variables": {"STRIPE_API_KEY": "sk_live_0123456789"}}},
    "bad_key_fn": {"function_name": "k", "environment": {"variables": {"CONFIG": "AKIAIOSFODNN7EXAMPLE"}}},
    # a planned function of a spec secret: <NAME>_SECRET_ARN holds the (now known) ARN, a reference
    "arn_env_fn": {"function_name": "r", "environment": {"variables": {
        "API_KEY_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shop-dev/api_key-AbCdEf"}}}})
AWS.setdefault("aws_ecs_task_definition", {}).update({
    "good_env_task": {"family": "g", "container_definitions": json.dumps([{"name": "a", "environment": REFERENCED_ENV}])},
    "bad_env_task": {"family": "b", "container_definitions": json.dumps([{"name": "a", "environment": SECRET_ENV}])}})
GCP.setdefault("google_cloud_run_v2_service", {}).update({
    "good_env_run": {"name": "g", "location": "europe-west1",
                     "template": {"containers": [{"image": "i", "env": REFERENCED_ENV}]}},
    "bad_env_run": {"name": "b", "location": "europe-west1",
                    "template": {"containers": [{"image": "i", "env": SECRET_ENV}]}}})
AZURE.setdefault("azurerm_linux_function_app", {}).update({
    "good_env_app": {"name": "g", "app_settings": {
        "DB_PASSWORD": "@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/db)"}},
    "bad_env_app": {"name": "b", "app_settings": {"AUTH_TOKEN": "0123456789abcdef"}}})
AZURE.setdefault("azurerm_container_app", {}).update({
    "bad_env_container": {"name": "b", "template": {"container": [{"name": "a", "image": "i", "env": SECRET_ENV}]}}})

# Rotation: a secret Nexus creates rotates within 90 days (AWS: a rotation resource; GCP: a period and a topic);
# a Key Vault key rotates itself before it expires.
AWS["aws_secretsmanager_secret"]["rotated_secret"] = {"kms_key_id": KEY}
AWS["aws_secretsmanager_secret_rotation"] = {"rotated_secret_rotation": {
    "secret_id": "${aws_secretsmanager_secret.rotated_secret.id}", "rotation_rules": {"automatically_after_days": 30}}}
TOPICS = [{"name": "${google_pubsub_topic.rotation.id}"}]
GCP["google_secret_manager_secret"] = {
    "rotated_secret": {"secret_id": "r", "topics": TOPICS, "replication": {"user_managed": {"replicas": [{
                           "location": "europe-west1",
                           "customer_managed_encryption": {"kms_key_name": "${google_kms_crypto_key.k.id}"}}]}},
                       "rotation": {"rotation_period": "7776000s", "next_rotation_time": "2027-01-01T00:00:00Z"}},
    "yearly_secret": {"secret_id": "y", "replication": {"auto": {}}, "topics": TOPICS,
                      "rotation": {"rotation_period": "31536000s"}},
    "unrotated_secret": {"secret_id": "u", "replication": {"auto": {}}}}
AZURE["azurerm_key_vault_key"] = {
    "rotating_key": {"name": "k", "key_vault_id": "${azurerm_key_vault.v.id}", "key_type": "RSA",
                     "key_opts": ["wrapKey"], "rotation_policy": {"expire_after": "P1Y",
                                                                  "automatic": {"time_before_expiry": "P30D"}}},
    "expiring_key": {"name": "e", "key_vault_id": "${azurerm_key_vault.v.id}", "key_type": "RSA",
                     "key_opts": ["wrapKey"], "expiration_date": "2027-01-01T00:00:00Z"}}

# check -> (resources that must pass, resources that must fail), over the weakened fixtures above
EXPECTED = {
    "NEXUS_AWS_REQUIRED_TAGS": ({"good_bucket", "good_rds"}, {"bad_bucket", "escaped_bucket"}),
    "NEXUS_AWS_S3_CMK": ({"good_sse"}, {"bad_sse"}),
    "NEXUS_AWS_S3_SECURE_TRANSPORT": ({"good_bucket_policy"}, {"bad_bucket_policy"}),
    "NEXUS_AWS_RDS_CMK": ({"good_rds"}, {"bad_rds"}),
    "NEXUS_AWS_DYNAMODB_CMK": ({"good_dynamodb"}, {"bad_dynamodb"}),
    "NEXUS_AWS_SQS_CMK": ({"good_sqs"}, {"bad_sqs"}),
    "NEXUS_AWS_SNS_CMK": ({"good_sns"}, {"bad_sns"}),
    "NEXUS_AWS_ELASTICACHE_CMK": ({"good_cache"}, {"bad_cache"}),
    "NEXUS_AWS_SECRETS_CMK": ({"good_secret"}, {"bad_secret"}),
    "NEXUS_AWS_LOGS_CMK": ({"good_logs"}, {"bad_logs"}),
    "NEXUS_AWS_IAM_NO_ADMIN": ({"good_policy_hcl", "good_policy_json", "bad_broad"},
                               {"bad_admin_hcl", "bad_admin_json"}),
    **{f"NEXUS_AWS_IAM_{name}": ({"good_policy_hcl", "good_policy_json"}, {"bad_broad"})
       for name in ("PRIVILEGE_ESCALATION", "CREDENTIALS_EXPOSURE", "DATA_EXFILTRATION", "PERMISSIONS_MANAGEMENT",
                    "WRITE_CONSTRAINTS", "STAR_RESOURCE")},
    "NEXUS_GCP_REQUIRED_LABELS": ({"good_bucket", "good_sql", "good_gke"}, {"bad_bucket", "bad_sql"}),
    "NEXUS_GCP_DATA_RESIDENCY": ({"good_bucket", "good_sql", "good_gke"}, {"bad_bucket", "bad_sql"}),
    "NEXUS_GCP_CMEK": ({"good_bucket", "good_sql", "good_gke", "good_firestore", "rotated_secret"},
                       {"bad_bucket", "bad_sql", "bad_gke", "bad_firestore", "unrotated_secret"}),
    "NEXUS_GCP_SQL_TLS": ({"good_sql"}, {"bad_sql"}),
    "NEXUS_GCP_IAM_NO_PUBLIC_MEMBER": ({"good_member"}, {"bad_member", "bad_invoker"}),
    "NEXUS_GCP_FIRESTORE_PITR": ({"good_firestore"}, {"bad_firestore"}),
    "NEXUS_GCP_FIRESTORE_DELETE_PROTECTION": ({"good_firestore"}, {"bad_firestore"}),
    "NEXUS_AZURE_REQUIRED_TAGS": ({"good_storage", "good_pg", "good_mysql", "good_redis"}, {"bad_storage"}),
    "NEXUS_AZURE_DATA_RESIDENCY": ({"good_storage", "good_pg"}, {"bad_storage"}),
    "NEXUS_AZURE_CMK": ({"good_storage", "good_pg", "good_mysql", "good_redis"},
                        {"bad_storage", "bad_pg", "bad_mysql", "bad_redis"}),
    "NEXUS_AZURE_STORAGE_INFRA_ENCRYPTION": ({"good_storage"}, {"bad_storage"}),
    "NEXUS_AZURE_STORAGE_NO_CROSS_TENANT": ({"good_storage"}, {"bad_storage"}),
    "NEXUS_AZURE_DB_PRIVATE": ({"good_pg", "good_mysql"}, {"bad_pg", "bad_mysql"}),
    "NEXUS_AZURE_DB_TLS": ({"good_tls"}, {"bad_tls"}),
    "NEXUS_AZURE_CONTAINER_APP_HTTPS": ({"good_app"}, {"bad_app"}),
    "NEXUS_AZURE_FRONTDOOR_WAF": ({"good_waf"}, {"bad_waf"}),
    "NEXUS_AZURE_BLOB_READ_LOGGING": ({"good_storage", "content_storage"},
                                      {"bad_storage", "metrics_storage"}),
    "NEXUS_AWS_PLAINTEXT_SECRET_ENV": ({"good_env_fn", "good_env_task", "arn_env_fn"},
                                       {"bad_env_fn", "bad_key_fn", "bad_env_task"}),
    "NEXUS_GCP_PLAINTEXT_SECRET_ENV": ({"good_env_run"}, {"bad_env_run"}),
    "NEXUS_AZURE_PLAINTEXT_SECRET_ENV": ({"good_env_app"}, {"bad_env_app", "bad_env_container"}),
    "NEXUS_AWS_SECRET_ROTATION": ({"rotated_secret"}, {"good_secret", "bad_secret"}),
    "NEXUS_GCP_SECRET_ROTATION": ({"rotated_secret"}, {"yearly_secret", "unrotated_secret"}),
    "NEXUS_AZURE_KEY_ROTATION": ({"rotating_key"}, {"expiring_key"}),
}
SPEC_DEPENDENT = ("_REQUIRED_TAGS", "_REQUIRED_LABELS", "_DATA_RESIDENCY")
HCL_ONLY_IAM = ("CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355")


def write_stack(path: Path, provider: dict, resources: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"provider": provider, "resource": resources}, indent=2), encoding="utf-8")
    return path


def run_checkov(files: list[Path], context: dict | None, work: Path, name: str,
                checks: str = "NEXUS_*") -> list[dict]:
    """One checkov run over several files with our checks (and `checks` only); every passed/failed record."""
    env = {key: value for key, value in checkov_environment().items() if key != "NEXUS_CHECK_CONTEXT"}
    if context is not None:
        context_file = work / f"{name}-context.json"
        context_file.write_text(json.dumps(context), encoding="utf-8")
        env["NEXUS_CHECK_CONTEXT"] = str(context_file)
    command = checkov_cli_command("--framework", "terraform_json", "-o", "json",
                                  "--external-checks-dir", str(checks_dir()), "--check", checks,
                                  *(arg for file in files for arg in ("-f", str(file))))
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert completed.returncode in (0, 1), completed.stderr[-2000:]
    reports = json.loads(completed.stdout)
    records = []
    for report in reports if isinstance(reports, list) else [reports]:
        for outcome in ("passed", "failed"):
            for record in report.get("results", {}).get(f"{outcome}_checks", []):
                records.append({"check": record["check_id"], "name": record["resource"].rsplit(".", 1)[-1],
                                "file": record["file_abs_path"], "outcome": outcome})
    return records


def outcomes(records: list[dict], check: str) -> dict[str, set[str]]:
    found = {"passed": set(), "failed": set()}
    for record in records:
        if record["check"] == check:
            found[record["outcome"]].add(record["name"])
    return found


@pytest.fixture(scope="module")
def weakened(tmp_path_factory) -> tuple[Path, list[Path]]:
    work = tmp_path_factory.mktemp("weakened")
    files = [
        write_stack(work / "aws" / "cdk.tf.json", {"aws": [{"region": "eu-west-1"},
                                                          {"alias": "us_east_1", "region": "us-east-1"}]}, AWS),
        write_stack(work / "aws-elsewhere" / "cdk.tf.json", {"aws": [{"region": "us-west-2"}]}, {}),
        write_stack(work / "gcp" / "cdk.tf.json", {"google": [{"project": "p", "region": "europe-west1"}]}, GCP),
        write_stack(work / "azure" / "cdk.tf.json", {"azurerm": [{"features": [{}]}]}, AZURE),
    ]
    return work, files


@pytest.fixture(scope="module")
def with_context(weakened) -> list[dict]:
    work, files = weakened
    return run_checkov(files, CONTEXT, work, "with", checks=f"NEXUS_*,CKV_AWS_62,{','.join(HCL_ONLY_IAM)}")


@pytest.fixture(scope="module")
def without_context(weakened) -> list[dict]:
    work, files = weakened
    return run_checkov(files, None, work, "without")


@pytest.mark.parametrize("check", sorted(EXPECTED))
def test_each_check_passes_good_and_fails_weakened_resources(with_context, check):
    found = outcomes(with_context, check)
    must_pass, must_fail = EXPECTED[check]
    assert must_pass <= found["passed"] and not must_pass & found["failed"], found
    assert must_fail <= found["failed"] and not must_fail & found["passed"], found


def test_every_nexus_check_is_exercised():
    assert set(EXPECTED) | {"NEXUS_AWS_DATA_RESIDENCY"} == set(nexus_check_ids())


def test_aws_residency_checks_every_provider_block_but_the_global_services_alias(with_context, weakened):
    _, files = weakened
    records = [r for r in with_context if r["check"] == "NEXUS_AWS_DATA_RESIDENCY"]
    by_file = {(Path(r["file"]).parent.name, r["outcome"]) for r in records}
    assert by_file == {("aws", "passed"), ("aws-elsewhere", "failed")}
    assert len(records) == 2, "the us-east-1 alias (CloudFront WAF, certificates) is not judged"


def test_checks_that_need_the_spec_report_nothing_without_a_context(without_context):
    assert not [r for r in without_context if r["check"].endswith(SPEC_DEPENDENT)]
    # customer-managed keys are demanded when nobody says the data is unregulated
    assert outcomes(without_context, "NEXUS_AWS_S3_CMK")["failed"] == {"bad_sse"}
    assert outcomes(without_context, "NEXUS_AWS_IAM_NO_ADMIN")["failed"] == {"bad_admin_hcl", "bad_admin_json"}


def test_checkov_itself_misses_what_our_iam_checks_catch_in_terraform_json(with_context):
    """The gap the NEXUS IAM checks fill: checkov's own checks do not read jsonencode'd policies."""
    assert outcomes(with_context, "CKV_AWS_62")["failed"] == {"bad_admin_json"}
    assert "bad_admin_hcl" in outcomes(with_context, "CKV_AWS_62")["passed"]
    for hcl_only in HCL_ONLY_IAM:
        assert "bad_broad" not in outcomes(with_context, hcl_only)["failed"]


# --------------------------------------------------------------------------- our synthesized output
def spec_context(spec: Path, regions: dict[str, str]) -> dict:
    """What `nexus check` passes for a spec, with each cloud's own region as its only allowed one."""
    context = check_context(load_spec(spec))
    context["allowed_regions"] = {cloud: [region] for cloud, region in regions.items()}
    return context


# Deliberate exposures in the every-component fixtures (their spec says `public: true` or `access_logs: false`)
# and the AWS rule that S3 server access logs can only be delivered to an SSE-S3 bucket. The Azure fixture's highly available
# encrypted database keeps geo-redundant backups in the paired region (northeurope), which Azure makes encrypt with a
# key from a vault there: that vault shows that the backups leave the allowed location, as it should.
ACCEPTED_FAILURES = {
    ("NEXUS_AWS_S3_CMK", "access_logs_encryption"),
    ("NEXUS_GCP_IAM_NO_PUBLIC_MEMBER", "api_public_invoker"), ("NEXUS_GCP_IAM_NO_PUBLIC_MEMBER", "web_public_invoker"),
    ("NEXUS_GCP_IAM_NO_PUBLIC_MEMBER", "public_files_public_read"),
    ("NEXUS_AZURE_DB_PRIVATE", "public_db"), ("NEXUS_AZURE_BLOB_READ_LOGGING", "private_files"),
    ("NEXUS_AZURE_DATA_RESIDENCY", "geo_keys"),
}


@pytest.fixture(scope="module")
def synthesized_records(aws_all, tmp_path_factory) -> list[dict]:
    work = tmp_path_factory.mktemp("synth-checks")
    stacks = []
    for name, regions in (("gcp-all.yaml", {"gcp": "europe-west1"}), ("azure-all.yaml", {"azure": "westeurope"})):
        folder = work / name.split(".")[0]
        folder.mkdir()
        shutil.copyfile(FIXTURES / "specs" / name, folder / "nexus.yaml")
        for source in ("fn", "fn_src"):
            shutil.copytree(FIXTURES / "specs" / source, folder / source)
        result = synth(folder / "nexus.yaml", folder / "cdktf.out", use_cache=False)
        stacks.append((folder / "nexus.yaml", regions, [result.stack_json(s.name) for s in result.stacks]))
    stacks.append((aws_all.out_dir.parent / "nexus.yaml", {"aws": "eu-west-1"},
                   [aws_all.stack_json(s.name) for s in aws_all.stacks]))
    records = []
    for spec, regions, files in stacks:
        records += run_checkov(files, spec_context(spec, regions), work, spec.parent.name)
    return [record for record in records if record["check"].startswith("NEXUS_")]


def test_our_synthesized_stacks_fail_no_nexus_check_beyond_the_deliberate_exposures(synthesized_records):
    failures = {(r["check"], r["name"]) for r in synthesized_records if r["outcome"] == "failed"}
    assert failures <= ACCEPTED_FAILURES, sorted(failures - ACCEPTED_FAILURES)


def test_our_synthesized_stacks_pass_tags_residency_and_iam_checks(synthesized_records):
    passed = {}
    for record in synthesized_records:
        if record["outcome"] == "passed":
            passed[record["check"]] = passed.get(record["check"], 0) + 1
    for check, at_least in {"NEXUS_AWS_REQUIRED_TAGS": 30, "NEXUS_GCP_REQUIRED_LABELS": 20,
                            "NEXUS_AZURE_REQUIRED_TAGS": 20, "NEXUS_AWS_DATA_RESIDENCY": 1,
                            "NEXUS_GCP_DATA_RESIDENCY": 20, "NEXUS_AZURE_DATA_RESIDENCY": 20,
                            "NEXUS_AWS_IAM_PRIVILEGE_ESCALATION": 2, "NEXUS_AWS_IAM_NO_ADMIN": 2,
                            "NEXUS_AWS_RDS_CMK": 1, "NEXUS_AWS_LOGS_CMK": 3, "NEXUS_GCP_SQL_TLS": 2,
                            "NEXUS_AZURE_CONTAINER_APP_HTTPS": 1, "NEXUS_AZURE_FRONTDOOR_WAF": 1}.items():
        assert passed.get(check, 0) >= at_least, (check, passed.get(check, 0))
    # gcp-all and azure-all declare no PCI/HIPAA: customer-managed keys are not demanded there
    assert not [r for r in synthesized_records if r["check"] in ("NEXUS_GCP_CMEK", "NEXUS_AZURE_CMK")]


# --------------------------------------------------------------------------- pack check ids
@pytest.fixture(scope="session")
def checkov_check_ids() -> set[str]:
    """Every Terraform check id checkov 3.3.30 registers (the terraform_json runner uses the same registries)."""
    script = (
        "import json\n"
        "import checkov.terraform.checks.resource, checkov.terraform.checks.data, checkov.terraform.checks.provider\n"
        "from checkov.common.bridgecrew.check_type import CheckType\n"
        "from checkov.common.checks_infra.registry import get_graph_checks_registry\n"
        "from checkov.terraform.checks.data.registry import data_registry\n"
        "from checkov.terraform.checks.provider.registry import provider_registry\n"
        "from checkov.terraform.checks.resource.registry import resource_registry\n"
        "ids = set()\n"
        "for registry in (resource_registry, data_registry, provider_registry):\n"
        "    for checks in [*registry.checks.values(), *registry.wildcard_checks.values()]:\n"
        "        ids.update(check.id for check in checks)\n"
        "graph = get_graph_checks_registry(CheckType.TERRAFORM)\n"
        "graph.load_checks()\n"
        "ids.update(check.id for check in graph.checks)\n"
        "print(json.dumps(sorted(ids)))\n")
    completed = subprocess.run([str(checkov_python()), "-c", script], capture_output=True, text=True,
                               env=checkov_environment(), timeout=120, check=True)
    return set(json.loads(completed.stdout))


def test_every_checkov_id_cited_by_a_pack_exists_in_checkov(checkov_check_ids):
    assert len(checkov_check_ids) > 1000
    for pack in load_packs().values():
        missing = sorted(check for check in pack.check_ids
                         if not check.startswith("NEXUS_") and check not in checkov_check_ids)
        assert not missing, f"{pack.id} cites checks checkov 3.3.30 does not have: {missing}"


def test_every_fix_names_a_check_checkov_or_nexus_has(checkov_check_ids):
    from cdktf_app.compliance.fixes import load_fixes

    ours = set(nexus_check_ids())
    unknown = sorted(check for check in load_fixes() if check not in checkov_check_ids | ours)
    assert not unknown, f"fixes for checks that do not exist: {unknown}"
