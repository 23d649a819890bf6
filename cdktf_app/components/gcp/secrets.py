"""Secrets on GCP: generated values in Secret Manager (write-only, never in state) and rotation through Pub/Sub.

A `generated` secret is a Secret Manager secret in the stack's region under the stack key (CMEK). Its value comes
from an ephemeral `random_password` and reaches the secret version through the write-only `secret_data_wo`:
Terraform ≥ 1.11 sends it to Google and keeps it out of the plan and the state. With `rotation: {days: N}` the
secret gets a rotation period of N days; Secret Manager then publishes SECRET_ROTATE on the secret's Pub/Sub
topic (its service agent may publish there), where a subscription holds it for the rotation worker, and a
`time_rotating` clock of N days versions the value: the first apply after the period writes a new random value.
Components read the secret by id (`secret_key_ref`), a `managed` database secret through Cloud SQL IAM sign-in.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import cdktn
from cdktn_provider_google.project_iam_member import ProjectIamMember
from cdktn_provider_google.pubsub_subscription import PubsubSubscription
from cdktn_provider_google.pubsub_topic import PubsubTopic
from cdktn_provider_google.pubsub_topic_iam_member import PubsubTopicIamMember
from cdktn_provider_google.secret_manager_secret import SecretManagerSecret
from cdktn_provider_google.secret_manager_secret_iam_member import SecretManagerSecretIamMember
from cdktn_provider_google.secret_manager_secret_version import SecretManagerSecretVersion
from cdktn_provider_google.service_account import ServiceAccount
from cdktn_provider_google.sql_user import SqlUser

from ...errors import SpecError
from ...kit.context import StackContext
from ..secret_parts import SecretConstruct, generated_here, random_value, rotation_clock, vault_path
from ..base import ComponentConstruct
from .provider import encryption_key, project, region, service_agent

DAY_SECONDS = 86400
ROTATION_MESSAGE_RETENTION = "604800s"   # a week for the rotation worker to pick a notice up
STORE = "gcp-secret-manager"


def build_secrets(ctx: StackContext) -> None:
    for name in generated_here(ctx):
        generated_secret(ctx, name)


@dataclass
class SecretReferences:
    """What a reader on GCP gets for the secrets it lists, by environment variable name: references only."""

    plain: dict[str, str] = field(default_factory=dict)    # the Cloud SQL IAM user, the Vault path
    stored: dict[str, str] = field(default_factory=dict)   # the Secret Manager secret id, read as `latest`
    grants: list = field(default_factory=list)             # the reader's access, which it waits for


def secret_references(reader: ComponentConstruct, identity: ServiceAccount) -> SecretReferences:
    """A Secret Manager secret (`api_key` -> `API_KEY`, readable by the reader's identity), the Cloud SQL IAM user
    of a managed database secret (`DB_LOGIN_IAM_USER`), the Vault path of a dynamic one
    (`REPORTING_DB_VAULT_PATH`)."""
    found = SecretReferences()
    for name in reader.component.secrets:
        secret = reader.ctx.spec.secrets[name]
        if secret.kind == "dynamic":
            found.plain[f"{name.upper()}_VAULT_PATH"] = vault_path(secret)
        elif secret.kind == "managed":
            found.plain[f"{name.upper()}_IAM_USER"] = cloud_sql_iam_user(reader, name, identity)
        else:
            reference = secret_id(reader.ctx, name, reader.name)
            found.grants.append(reader.add(SecretManagerSecretIamMember, f"secret_{name}", secret_id=reference,
                                           role="roles/secretmanager.secretAccessor", member=identity.member))
            found.stored[name.upper()] = reference
    return found


def secret_id(ctx: StackContext, name: str, reader: str) -> str:
    """The Secret Manager secret id a component on GCP reads secret NAME by; a located error for another store."""
    secret = ctx.spec.secrets[name]
    if secret.source != STORE:
        raise SpecError([ctx.loaded.source.problem(
            ("components", reader, "secrets"),
            f"secret '{name}' is in {secret.source}; a component on gcp reads {STORE} secrets only "
            "(pin it with provider:)")])
    return generated_secret(ctx, name).secret_id if secret.kind == "generated" else secret.name


def cloud_sql_iam_user(reader: ComponentConstruct, name: str, identity: ServiceAccount) -> str:
    """A `managed` database secret on GCP is no secret at all: the reader's service account signs in to Cloud SQL
    with IAM database authentication (a short-lived token instead of a password). Returns the database user name;
    the user and the reader's sign-in roles are added once the database is built."""
    database = reader.ctx.spec.secrets[name].database
    engine = reader.ctx.component(database).engine
    # Postgres names an IAM service account user by its email without `.gserviceaccount.com`, MySQL by its name.
    user = (cdktn.Fn.trimsuffix(identity.email, ".gserviceaccount.com") if engine == "postgres"
            else identity.account_id)

    def add_user() -> None:
        reader.add(SqlUser, f"db_{name}", name=user, instance=reader.ctx.imported(database)["name"],
                   type="CLOUD_IAM_SERVICE_ACCOUNT")
        for role in ("cloudsql.client", "cloudsql.instanceUser"):
            reader.add(ProjectIamMember, f"db_{name}_{role.split('.')[1].lower()}", project=project(reader.ctx),
                       role=f"roles/{role}", member=identity.member)
    reader.ctx.on_finish(add_user)
    return user


def generated_secret(ctx: StackContext, name: str) -> SecretManagerSecret:
    return ctx.shared(f"gcp.secret.{name}", lambda: _build(SecretConstruct(ctx, name, ctx.spec.secrets[name])))


def _build(secret: SecretConstruct) -> SecretManagerSecret:
    ctx = secret.ctx
    rotation = secret.secret.rotation
    clock = rotation_clock(secret) if rotation else None
    notices = _rotation_topic(secret) if rotation else None
    store = secret.add(
        SecretManagerSecret, None, secret_id=secret.physical_name(max_length=255), labels=secret.labels,
        replication={"user_managed": {"replicas": [{
            "location": region(ctx), "customer_managed_encryption": {"kms_key_name": encryption_key(ctx, "secrets")}}]}},
        rotation={"rotation_period": f"{rotation.days * DAY_SECONDS}s",
                  "next_rotation_time": clock.rotation_rfc3339} if rotation else None,
        topics=[{"name": notices[0].id}] if rotation else None,
        # Secret Manager moves the next rotation time on by itself; Terraform sets only the first one.
        lifecycle={"ignore_changes": ["rotation[0].next_rotation_time"]} if rotation else None,
        depends_on=[notices[1]] if rotation else None)
    secret.add(SecretManagerSecretVersion, "version", secret=store.id, secret_data_wo=random_value(secret, secret.secret.length).result,
               secret_data_wo_version=cdktn.Token.as_string(clock.unix) if clock else "1")
    return store


def _rotation_topic(secret: SecretConstruct) -> tuple[PubsubTopic, PubsubTopicIamMember]:
    """The topic Secret Manager publishes rotation notices on, the grant that lets its agent publish, and the
    subscription the rotation worker reads them from."""
    ctx = secret.ctx
    topic = secret.add(PubsubTopic, "rotation", name=secret.physical_name("rotation", max_length=255),
                       kms_key_name=encryption_key(ctx, "pubsub"), labels=secret.labels)
    grant = secret.add(PubsubTopicIamMember, "rotation_publisher", topic=topic.id, role="roles/pubsub.publisher",
                       member=service_agent(ctx, "secrets"))
    secret.add(PubsubSubscription, "rotation_worker", name=secret.physical_name("rotation", max_length=255),
               topic=topic.id, ack_deadline_seconds=60, message_retention_duration=ROTATION_MESSAGE_RETENTION,
               labels=secret.labels)
    return topic, grant
