"""The Google provider of a stack, and what GCP components share: the stack's KMS key and its grants, identities."""
from __future__ import annotations

from cdktn_provider_google.data_google_project import DataGoogleProject
from cdktn_provider_google.data_google_storage_project_service_account import DataGoogleStorageProjectServiceAccount
from cdktn_provider_google.kms_crypto_key import KmsCryptoKey
from cdktn_provider_google.kms_crypto_key_iam_member import KmsCryptoKeyIamMember
from cdktn_provider_google.kms_key_ring import KmsKeyRing
from cdktn_provider_google.project_iam_member import ProjectIamMember
from cdktn_provider_google.provider import GoogleProvider
from cdktn_provider_google.service_account import ServiceAccount

from ...kit.context import StackContext
from ..base import ComponentConstruct

STACK_SECTION = "providers.gcp"
# The Google-managed service agent (`service-<project number>@<domain>`) that acts for a service in the project:
# it uses the stack key (all but `cdn_fill`) or reads a private CDN origin (`cdn_fill`, the Cloud CDN cache filler).
SERVICE_AGENT_DOMAINS = {"compute": "compute-system", "gke": "container-engine-robot", "sql": "gcp-sa-cloud-sql",
                         "redis": "cloud-redis", "pubsub": "gcp-sa-pubsub", "firestore": "gcp-sa-firestore",
                         "secrets": "gcp-sa-secretmanager", "cdn_fill": "cloud-cdn-fill"}


def configure(ctx: StackContext) -> None:
    GoogleProvider(ctx.stack, "google", project=project(ctx), region=region(ctx))


def project(ctx: StackContext) -> str:
    return ctx.spec.providers.gcp.project


def region(ctx: StackContext) -> str:
    return ctx.spec.providers.gcp.region


def project_number(ctx: StackContext) -> str:
    return ctx.shared("gcp.project", lambda: ctx.add(STACK_SECTION, DataGoogleProject, "project",
                                                     project_id=project(ctx))).number


def stack_key(ctx: StackContext, location: str | None = None) -> KmsCryptoKey:
    """One customer-managed key per stack, in the stack's region, rotated every 90 days. A key serves its own
    location only: `location` gives the stack a twin key there (a recovery region, a dual-region's
    multi-region)."""
    suffix = f"_{location.replace('-', '_')}" if location else ""

    def build() -> KmsCryptoKey:
        ring = ctx.add(STACK_SECTION, KmsKeyRing, f"stack_key_ring{suffix}",
                       name=ctx.physical_name("keys", location or ""), location=location or region(ctx))
        return ctx.add(STACK_SECTION, KmsCryptoKey, f"stack_key{suffix}", name="data-at-rest", key_ring=ring.id,
                       purpose="ENCRYPT_DECRYPT", rotation_period="7776000s",
                       destroy_scheduled_duration="2592000s", labels=ctx.labels())
    return ctx.shared(f"gcp.kms{suffix}", build)


def encryption_key(ctx: StackContext, service: str, location: str | None = None) -> str:
    """The stack key's id (`location`: its twin's there) for one Google service (a key-using one of
    SERVICE_AGENT_DOMAINS, or `storage`).

    The id is read from the grant to the service's agent, so every resource using it waits for that grant.
    """
    suffix = f"_{location.replace('-', '_')}" if location else ""

    def build() -> str:
        grant = ctx.add(STACK_SECTION, KmsCryptoKeyIamMember, f"stack_key_{service}{suffix}",
                        crypto_key_id=stack_key(ctx, location).id,
                        role="roles/cloudkms.cryptoKeyEncrypterDecrypter", member=service_agent(ctx, service))
        return grant.crypto_key_id
    return ctx.shared(f"gcp.kms.{service}{suffix}", build)


def service_agent(ctx: StackContext, service: str) -> str:
    """The IAM member of the Google-managed identity that acts for a service in this project."""
    if service == "storage":
        # Reading the storage agent through its data source also creates it in a project that has none yet.
        return ctx.shared("gcp.storage_agent", lambda: ctx.add(STACK_SECTION, DataGoogleStorageProjectServiceAccount,
                                                               "storage_agent")).member
    return f"serviceAccount:service-{project_number(ctx)}@{SERVICE_AGENT_DOMAINS[service]}.iam.gserviceaccount.com"


def service_account(construct: ComponentConstruct, role: str, purpose: str,
                    project_roles: tuple[str, ...] = ()) -> ServiceAccount:
    """A dedicated identity for one workload, holding only the project roles listed."""
    account = construct.add(ServiceAccount, role,
                            account_id=construct.physical_name(role.replace("_", "-"), max_length=30),
                            display_name=f"Nexus {construct.ctx.prefix} {construct.name}"[:100], description=purpose)
    for granted in project_roles:
        construct.add(ProjectIamMember, f"{role}_{granted.split('/')[-1].replace('.', '_').lower()}",
                      project=project(construct.ctx), role=granted, member=account.member)
    return account
