"""The spec's `state:` section -> each stack's Terraform backend (local by default; S3, GCS, azurerm).

Every stack gets its own state object, `<key_prefix>/<stack>.tfstate` (GCS: the `<key_prefix>/<stack>` folder),
so stacks never share or overwrite each other's state. Local state keeps the path synth has always written.
"""
from __future__ import annotations

from ..spec.model import AzurermState, GcsState, S3State, Spec

LOCKFILE_TERRAFORM = (1, 10, 0)  # S3-native locking exists from Terraform 1.10 on
# Ephemeral resources and write-only arguments (a generated secret's value kept out of plan and state): 1.11 on.
WRITE_ONLY_TERRAFORM = (1, 11, 0)


def required_terraform(spec: Spec) -> tuple[int, int, int] | None:
    """The oldest terraform the spec's stacks work with, when it needs more than Nexus' own minimum."""
    state = spec.state
    needs = [LOCKFILE_TERRAFORM] if isinstance(state, S3State) and state.use_lockfile else []
    if any(secret.kind == "generated" or (secret.kind == "dynamic" and secret.engine == "database")
           for secret in spec.secrets.values()):   # a Vault database engine signs in with a write-only password
        needs.append(WRITE_ONLY_TERRAFORM)
    return max(needs, default=None)


def add_backend(stack, spec: Spec, name: str) -> None:
    import cdktn

    needed = required_terraform(spec)
    if needed:  # say so to cdktn and to terraform itself
        constraint = ">=" + ".".join(map(str, needed))
        stack.node.set_context("targetVersions", {"terraform": constraint})
        stack.add_override("terraform.required_version", constraint)
    state = spec.state
    if isinstance(state, S3State):
        region = state.region or (spec.providers.aws.region if spec.providers.aws else "us-east-1")
        cdktn.S3Backend(stack, bucket=state.bucket, key=f"{state.key_prefix}/{name}.tfstate", region=region,
                        encrypt=True, use_lockfile=state.use_lockfile or None,
                        dynamodb_table=state.dynamodb_table, kms_key_id=state.kms_key_id)
    elif isinstance(state, GcsState):
        cdktn.GcsBackend(stack, bucket=state.bucket, prefix=f"{state.key_prefix}/{name}",
                         kms_encryption_key=state.kms_encryption_key)
    elif isinstance(state, AzurermState):
        cdktn.AzurermBackend(stack, resource_group_name=state.resource_group_name,
                             storage_account_name=state.storage_account_name,
                             container_name=state.container_name, key=f"{state.key_prefix}/{name}.tfstate")
    else:
        cdktn.LocalBackend(stack, path=f"terraform.{name}.tfstate")
