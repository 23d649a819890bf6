"""The spec's `secrets` in a cloud stack: what each cloud compiles a secret into, built after the components.

A secret's resources are recorded under `secrets.<name>` (provenance, fixes) with logical ids `secret_<name>_...`
so they never collide with a component's. A component reading a secret asks its cloud's module for the reference
(a secret id, a Key Vault reference, a Vault path), which builds the secret on first use; `build_stack_secrets`
then builds the ones no component read, and the Vault engines of `dynamic` secrets (they need the databases).
"""
from __future__ import annotations

import importlib

from ..errors import SpecError
from ..kit.context import StackContext
from ..spec.model import CLOUD_STORE
from .secret_parts import SecretConstruct, generated_here

# Clouds whose module (`components.<cloud>.secrets`) compiles generated secrets and rotation.
SECRET_CLOUDS = ("aws", "gcp", "azure")


def refuse_homeless_secrets(ctx: StackContext) -> None:
    """A generated secret lives in a stack of its store's cloud: a store no stack of this spec holds (Vault, whose
    values are dynamic, or a cloud without components) would leave it silently unbuilt."""
    clouds = {cloud for component in ctx.spec.components.values() for cloud in ctx.spec.clouds_for(component)}
    store_cloud = {store: cloud for cloud, store in CLOUD_STORE.items()}
    problems = []
    for name, secret in ctx.spec.secrets.items():
        if secret.kind != "generated" or store_cloud.get(secret.source) in clouds:
            continue
        why = ("Vault issues dynamic secrets; a generated value lives in a cloud's store"
               if secret.source == "vault" else
               f"no component of this spec is built on {store_cloud[secret.source]}, so no stack holds the store")
        problems.append(SecretConstruct(ctx, name, secret).problem("from", f"a generated secret cannot live in "
                                                                             f"{secret.source}: {why}"))
    if problems:
        raise SpecError(problems)


def build_stack_secrets(ctx: StackContext) -> None:
    """Every secret this stack holds: generated ones in this cloud's store, and Vault engines of dynamic ones."""
    refuse_homeless_secrets(ctx)
    if ctx.cloud in SECRET_CLOUDS and generated_here(ctx):
        importlib.import_module(f"{__package__}.{ctx.cloud}.secrets").build_secrets(ctx)
    if any(secret.kind == "dynamic" for secret in ctx.spec.secrets.values()):
        from .vault.dynamic import build_dynamic_secrets  # the vault binding loads only for specs that use it
        build_dynamic_secrets(ctx)
