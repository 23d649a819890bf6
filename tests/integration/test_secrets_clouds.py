"""Secrets on GCP, Azure and Vault, read from the synthesized JSON of tests/fixtures/specs/secrets-clouds.yaml
(synthesized once per session): rotation resources are there, values go only through write-only arguments, and
readers get references. GCP, Azure and Vault have no provider in the local mirror, so these stacks are checked
structurally and against the bindings' provider schemas, not by terraform validate."""
from __future__ import annotations

import json

import pytest

from cdktf_app.kit.provenance import Provenance
from cdktf_app.provider_schema import check_out_dir
from cdktf_app.spec.loader import load_spec_text
from cdktf_app.stacks.synth import synth
from tests.helpers import write_spec

DAY = 86400
# One synth of a three-provider spec (~35 s under load) and a few small ones: with the other whole-spec synths.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gcp(secrets_clouds) -> dict:
    return json.loads(secrets_clouds.stack_json("vaulted-dev-gcp").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def azure(secrets_clouds) -> dict:
    return json.loads(secrets_clouds.stack_json("vaulted-dev-azure").read_text(encoding="utf-8"))


def resource(stack: dict, kind: str, name: str) -> dict:
    """A resource's arguments, without cdktn's `//` metadata."""
    return {key: value for key, value in stack["resource"][kind][name].items() if key != "//"}


def test_a_generated_gcp_secret_rotates_through_a_topic_its_agent_may_publish_to(gcp):
    secret = resource(gcp, "google_secret_manager_secret", "secret_api_key")
    assert secret["rotation"] == {"rotation_period": f"{30 * DAY}s",
                                  "next_rotation_time": "${time_rotating.secret_api_key_clock.rotation_rfc3339}"}
    assert secret["topics"] == [{"name": "${google_pubsub_topic.secret_api_key_rotation.id}"}]
    assert resource(gcp, "time_rotating", "secret_api_key_clock") == {"rotation_days": 30}
    publisher = resource(gcp, "google_pubsub_topic_iam_member", "secret_api_key_rotation_publisher")
    assert publisher["role"] == "roles/pubsub.publisher"
    assert publisher["member"].endswith("@gcp-sa-secretmanager.iam.gserviceaccount.com")
    assert secret["depends_on"] == ["google_pubsub_topic_iam_member.secret_api_key_rotation_publisher"]
    subscriber = resource(gcp, "google_pubsub_subscription", "secret_api_key_rotation_worker")
    assert subscriber["topic"] == "${google_pubsub_topic.secret_api_key_rotation.id}"
    # under the stack key, in the stack's region
    replica = secret["replication"]["user_managed"]["replicas"][0]
    assert replica["location"] == "europe-west1" and "stack_key_secrets" in replica["customer_managed_encryption"][
        "kms_key_name"]
    # without rotation: no period, no topic, one value for good
    plain = resource(gcp, "google_secret_manager_secret", "secret_plain_key")
    assert "rotation" not in plain and "topics" not in plain
    assert resource(gcp, "google_secret_manager_secret_version", "secret_plain_key_version")[
        "secret_data_wo_version"] == "1"


def test_generated_values_reach_the_stores_only_through_write_only_arguments(gcp, azure):
    version = resource(gcp, "google_secret_manager_secret_version", "secret_api_key_version")
    assert version["secret_data_wo"] == "${ephemeral.random_password.secret_api_key_value.result}"
    assert version["secret_data_wo_version"] == "${time_rotating.secret_api_key_clock.unix}"
    assert gcp["ephemeral"]["random_password"]["secret_api_key_value"]["length"] == 32
    stored = resource(azure, "azurerm_key_vault_secret", "secret_signing_key")
    assert stored["value_wo"] == "${ephemeral.random_password.secret_signing_key_value.result}"
    assert azure["ephemeral"]["random_password"]["secret_signing_key_value"]["length"] == 48
    for stack in (gcp, azure):
        text = json.dumps(stack["resource"])
        # the state-bound arguments are never set; no random_password resource (its result would be in state)
        assert '"secret_data":' not in text and '"value":' not in json.dumps(
            stack["resource"].get("azurerm_key_vault_secret", {}))
        assert "random_password" not in stack["resource"]


def test_an_azure_secret_expires_with_its_rotation_and_its_vault_sends_near_expiry_notices(azure):
    stored = resource(azure, "azurerm_key_vault_secret", "secret_signing_key")
    assert stored["expiration_date"] == "${time_rotating.secret_signing_key_clock.rotation_rfc3339}"
    assert stored["value_wo_version"] == "${time_rotating.secret_signing_key_clock.unix}"
    assert stored["content_type"] and stored["key_vault_id"] == "${azurerm_key_vault.keys.id}"
    assert resource(azure, "time_rotating", "secret_signing_key_clock") == {"rotation_days": 60}
    topic = resource(azure, "azurerm_eventgrid_system_topic", "keys_events")
    assert topic["topic_type"] == "Microsoft.KeyVault.vaults" and topic["source_resource_id"].startswith(
        "${azurerm_key_vault.keys.")
    notice = resource(azure, "azurerm_eventgrid_system_topic_event_subscription", "secret_signing_key_expiry")
    assert notice["included_event_types"] == ["Microsoft.KeyVault.SecretNearExpiry",
                                              "Microsoft.KeyVault.SecretExpired"]
    assert notice["subject_filter"]["subject_begins_with"] == "${azurerm_key_vault_secret.secret_signing_key.name}"
    assert notice["storage_queue_endpoint"]["queue_name"] == "${azurerm_storage_queue.secret_notices_queue.name}"
    sender = resource(azure, "azurerm_role_assignment", "keys_events_sender")
    assert sender["principal_id"] == "${azurerm_eventgrid_system_topic.keys_events.identity[0].principal_id}"


def test_readers_get_references_never_values(gcp, azure):
    env = {item["name"]: item for item in resource(gcp, "google_cloud_run_v2_service", "api")["template"][
        "containers"][0]["env"]}
    assert env["API_KEY"]["value_source"]["secret_key_ref"]["secret"] == (
        "${google_secret_manager_secret.secret_api_key.secret_id}")
    assert env["PARTNER_TOKEN"]["value_source"]["secret_key_ref"]["secret"] == "partner-token"
    assert env["REPORTING_DB_VAULT_PATH"]["value"] == "database/creds/reporting"
    # managed on GCP: the service account signs in to Cloud SQL with IAM, no password anywhere
    assert "google_service_account.api_sa.email" in env["DB_LOGIN_IAM_USER"]["value"]
    user = resource(gcp, "google_sql_user", "api_db_db_login")
    assert user["type"] == "CLOUD_IAM_SERVICE_ACCOUNT" and "password" not in user
    assert resource(gcp, "google_project_iam_member", "api_db_db_login_instanceuser")["role"] == (
        "roles/cloudsql.instanceUser")
    settings = resource(azure, "azurerm_linux_function_app", "jobs")["app_settings"]
    assert settings["SIGNING_KEY"] == (
        "@Microsoft.KeyVault(SecretUri=${azurerm_key_vault_secret.secret_signing_key.versionless_id})")
    assert settings["REPORTING_DB_VAULT_PATH"] == "database/creds/reporting"
    reader = resource(azure, "azurerm_role_assignment", "jobs_secret_signing_key")
    assert reader["role_definition_name"] == "Key Vault Secrets User"
    # a Container App fetches the Key Vault secret itself, with its own identity, once it may
    app = resource(azure, "azurerm_container_app", "web")
    assert app["secret"] == [{"name": "signing-key", "identity": "${azurerm_user_assigned_identity.web_identity.id}",
                              "key_vault_secret_id": "${azurerm_key_vault_secret.secret_signing_key.versionless_id}"}]
    assert {"name": "SIGNING_KEY", "secret_name": "signing-key"} in app["template"]["container"][0]["env"]
    assert app["depends_on"] == ["azurerm_role_assignment.web_secret_signing_key"]


def test_a_vault_dynamic_secret_compiles_to_a_database_engine_with_the_specs_lease_ttls(gcp):
    assert gcp["provider"]["vault"] == [{}], "address and token come from VAULT_ADDR / VAULT_TOKEN only"
    mount = resource(gcp, "vault_mount", "secret_reporting_db_mount")
    assert (mount["path"], mount["type"], mount["default_lease_ttl_seconds"], mount["max_lease_ttl_seconds"]) == (
        "database", "database", 1800, 12 * 3600)
    connection = resource(gcp, "vault_database_secret_backend_connection", "secret_reporting_db_connection")
    assert connection["allowed_roles"] == ["reporting"]
    postgres = connection["postgresql"]
    assert "${google_sql_database_instance.db.private_ip_address}:5432" in postgres["connection_url"]
    assert postgres["password_wo"] == "${ephemeral.random_password.secret_reporting_db_value.result}"
    assert "password" not in postgres
    vault_user = resource(gcp, "google_sql_user", "secret_reporting_db_vault_user")
    assert vault_user["password_wo"] == postgres["password_wo"] and "password" not in vault_user
    role = resource(gcp, "vault_database_secret_backend_role", "secret_reporting_db_role")
    assert (role["name"], role["default_ttl"], role["max_ttl"]) == ("reporting", 1800, 12 * 3600)
    assert any("VALID UNTIL '{{expiration}}'" in statement for statement in role["creation_statements"])
    assert role["revocation_statements"]


def test_secret_resources_point_at_their_spec_secret_and_match_the_provider_schemas(secrets_clouds):
    provenance = Provenance.read(secrets_clouds.out_dir)
    for address, stack, spec_path in (
            ("google_secret_manager_secret.secret_api_key", "vaulted-dev-gcp", "secrets.api_key"),
            ("vault_mount.secret_reporting_db_mount", "vaulted-dev-gcp", "secrets.reporting_db"),
            ("ephemeral.random_password.secret_api_key_value", "vaulted-dev-gcp", "secrets.api_key"),
            ("azurerm_key_vault_secret.secret_signing_key", "vaulted-dev-azure", "secrets.signing_key")):
        origin = provenance.lookup(address, stack)
        assert origin is not None and origin.spec_path == spec_path, address
    report = check_out_dir(secrets_clouds.out_dir)
    assert report.problems == [] and not report.unchecked
    assert report.checked > 50


def test_a_vault_engine_nexus_cannot_place_is_a_located_error(tmp_path):
    text = ("apiVersion: nexus/v1\nname: tiny\nproviders:\n  gcp: {project: acme-tiny, region: europe-west1}\n"
            "components:\n  files: {type: bucket}\n"
            "secrets:\n  cloud_creds: {kind: dynamic, engine: aws, role: deployer}\n")
    load_spec_text(text)   # a valid spec: the placement is what fails
    from cdktf_app.errors import SpecError

    with pytest.raises(SpecError) as raised:
        synth(write_spec(tmp_path, text), tmp_path / "cdktf.out", use_cache=False)
    problem = raised.value.problems[0]
    assert (problem.path, problem.line) == ("secrets.cloud_creds.engine", 8)
    assert "engine aws issues AWS credentials; the spec has no aws provider" in problem.message


def test_the_rotation_checks_fail_only_the_secret_without_rotation_and_its_fix_adds_rotation(secrets_clouds,
                                                                                             checkov_worker):
    from cdktf_app.compliance import check

    report = check(secrets_clouds.out_dir, worker=checkov_worker)
    secret_findings = {(finding.check_id, finding.address) for finding in report.findings
                       if finding.check_id in ("NEXUS_GCP_SECRET_ROTATION", "CKV_AZURE_41", "CKV_AZURE_114",
                                               "NEXUS_AZURE_KEY_ROTATION", "NEXUS_GCP_PLAINTEXT_SECRET_ENV",
                                               "NEXUS_AZURE_PLAINTEXT_SECRET_ENV")}
    assert secret_findings == {("NEXUS_GCP_SECRET_ROTATION", "google_secret_manager_secret.secret_plain_key")}
    finding = next(finding for finding in report.findings if finding.check_id == "NEXUS_GCP_SECRET_ROTATION")
    assert (finding.spec_path, finding.line) == ("secrets.plain_key", 15)
    assert (finding.fix.path, finding.fix.values, finding.fix.safety) == (
        ("secrets", "plain_key"), (("rotation", {"days": 90}),), "safe")


def test_a_generated_secret_in_a_store_no_stack_holds_is_a_located_error(tmp_path):
    text = ("apiVersion: nexus/v1\nname: tiny\nproviders:\n  gcp: {project: acme-tiny, region: europe-west1}\n"
            "  azure: {location: westeurope}\ncomponents:\n  files: {type: bucket, provider: gcp}\n"
            "secrets:\n  signing_key: {kind: generated, from: azure-key-vault}\n")
    from cdktf_app.errors import SpecError

    with pytest.raises(SpecError) as raised:
        synth(write_spec(tmp_path, text), tmp_path / "cdktf.out", use_cache=False)
    problem = raised.value.problems[0]
    assert (problem.path, problem.line) == ("secrets.signing_key.from", 9)
    assert "no component of this spec is built on azure, so no stack holds the store" in problem.message


def test_a_vault_database_engine_asks_for_the_terraform_that_has_write_only_arguments(gcp):
    from cdktf_app.stacks.backends import WRITE_ONLY_TERRAFORM, required_terraform

    head = "apiVersion: nexus/v1\nname: tiny\nproviders:\n  gcp: {project: acme-tiny, region: europe-west1}\n"
    database = ("components:\n  db: {type: database}\n"
                "secrets:\n  reports: {kind: dynamic, engine: database, database: db, role: reporting}\n")
    assert required_terraform(load_spec_text(head + database).spec) == WRITE_ONLY_TERRAFORM
    aws_engine = "components:\n  files: {type: bucket}\nsecrets:\n  creds: {kind: dynamic, engine: aws, role: r}\n"
    assert required_terraform(load_spec_text(head + aws_engine).spec) is None
    assert gcp["terraform"]["required_version"] == ">=1.11.0"


AWS_DYNAMIC = """\
apiVersion: nexus/v1
name: leases
providers:
  aws: {region: eu-west-1}
environments: [dev]
components:
  db: {type: database, engine: mysql, version: "8.0"}
secrets:
  app_db: {kind: dynamic, engine: database, database: db, role: app, ttl: 15m, max_ttl: 2h}
  deploy_creds: {kind: dynamic, engine: aws, mount: aws-dev, role: deployer, ttl: 1h, max_ttl: 4h}
"""


def test_vault_engines_in_an_aws_stack_take_no_credential_from_the_spec(tmp_path):
    result = synth(write_spec(tmp_path, AWS_DYNAMIC), tmp_path / "cdktf.out", use_cache=False)
    stack = json.loads(result.stack_json("leases-dev-aws").read_text(encoding="utf-8"))
    assert stack["provider"]["vault"] == [{}]
    # database engine: Vault's own sign-in is an ephemeral input variable, written only to a write-only argument
    variable = stack["variable"]["app_db_vault_password"]
    assert variable["ephemeral"] is True and variable["sensitive"] is True and "default" not in variable
    mysql = resource(stack, "vault_database_secret_backend_connection", "secret_app_db_connection")["mysql"]
    assert mysql["password_wo"] == "${var.app_db_vault_password}" and "password" not in mysql
    assert "${aws_db_instance.db.address}:3306" in mysql["connection_url"]
    role = resource(stack, "vault_database_secret_backend_role", "secret_app_db_role")
    assert (role["default_ttl"], role["max_ttl"]) == (900, 7200)
    # aws engine: credentials of an existing IAM role, for the spec's STS lease
    backend = resource(stack, "vault_aws_secret_backend", "secret_deploy_creds_mount")
    assert (backend["path"], backend["region"], backend["default_lease_ttl_seconds"]) == ("aws-dev", "eu-west-1", 3600)
    assert not {"access_key", "secret_key", "secret_key_wo"} & set(backend)
    aws_role = resource(stack, "vault_aws_secret_backend_role", "secret_deploy_creds_role")
    assert aws_role["credential_type"] == "assumed_role" and (aws_role["default_sts_ttl"], aws_role["max_sts_ttl"]) == (
        3600, 4 * 3600)
    assert aws_role["role_arns"] == [
        "arn:${data.aws_partition.partition.partition}:iam::${data.aws_caller_identity.caller.account_id}:role/deployer"]


def test_a_vault_aws_engine_issues_iam_users_with_the_specs_policies(tmp_path):
    text = AWS_DYNAMIC.replace(
        "mount: aws-dev, role: deployer,",
        "mount: aws-dev, role: deployer, credential_type: iam_user,\n"
        "                 policy_arns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'],")
    result = synth(write_spec(tmp_path, text), tmp_path / "cdktf.out", use_cache=False)
    stack = json.loads(result.stack_json("leases-dev-aws").read_text(encoding="utf-8"))
    role = resource(stack, "vault_aws_secret_backend_role", "secret_deploy_creds_role")
    assert (role["credential_type"], role["policy_arns"]) == ("iam_user", ["arn:aws:iam::aws:policy/ReadOnlyAccess"])
    assert "role_arns" not in role and "default_sts_ttl" not in role
