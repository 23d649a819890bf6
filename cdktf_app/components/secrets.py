"""The spec's `secrets` in a cloud stack: what each cloud compiles a secret into, built after the components.

A secret's resources are recorded under `secrets.<name>` (provenance, fixes) with logical ids `secret_<name>_...`
so they never collide with a component's. A component reading a secret asks its cloud's module for the reference
(a secret id, a Key Vault reference, a Vault path), which builds the secret on first use; `build_stack_secrets`
then builds the ones no component read, and the Vault engines of `dynamic` secrets (they need the databases).
"""
from __future__ import annotations

import importlib
from typing import Any

from ..errors import SpecError
from ..kit.context import StackContext
from ..spec.model import CLOUD_STORE, Secret

VALUE_SPECIALS = "!#$%&*()-_=+[]{}<>:?"
# Clouds whose module (`components.<cloud>.secrets`) compiles generated secrets and rotation.
SECRET_CLOUDS = ("aws", "gcp", "azure")


class SecretConstruct:
    """The resources of one spec secret in one stack, shaped like a component construct (add, names, tags)."""

    def __init__(self, ctx: StackContext, name: str, secret: Secret) -> None:
        self.ctx = ctx
        self.name = name
        self.secret = secret

    @property
    def owner(self) -> str:
        return f"secrets.{self.name}"

    def add(self, construct_class: type, role: str | None, /, **attributes: Any) -> Any:
        return self.ctx.adder(self.owner, f"secret_{self.name}")(construct_class, role, **attributes)

    def physical_name(self, suffix: str = "", max_length: int = 63, separator: str = "-") -> str:
        return self.ctx.physical_name(self.name, suffix, max_length, separator)

    @property
    def tags(self) -> dict[str, str]:
        return {**self.ctx.tags(), "nexus:secret": self.name}

    @property
    def labels(self) -> dict[str, str]:
        return {**self.ctx.labels(), "nexus_secret": self.name}

    def problem(self, field: str | None, message: str):
        path = ("secrets", self.name, field) if field else ("secrets", self.name)
        return self.ctx.loaded.source.problem(path, message)


def random_value(secret: SecretConstruct, length: int) -> Any:
    """An ephemeral random password of LENGTH characters: it exists only while Terraform runs and can be passed
    only to write-only arguments, so the value never reaches the plan or the state. Quotes and backslashes are
    left out: they break the connection strings and shell lines a value ends up in."""
    from cdktn_provider_random.ephemeral_random_password import EphemeralRandomPassword
    from cdktn_provider_random.provider import RandomProvider

    secret.ctx.shared("random.provider", lambda: RandomProvider(secret.ctx.stack, "random"))
    return secret.add(EphemeralRandomPassword, "value", length=length, special=True,
                      override_special=VALUE_SPECIALS)


def rotation_clock(secret: SecretConstruct) -> Any:
    """A `time_rotating` timestamp that moves on every `rotation.days` days: its `unix` versions a generated value
    (the first apply after the period writes a new one), its `rotation_rfc3339` is the current version's end."""
    from cdktn_provider_time.provider import TimeProvider
    from cdktn_provider_time.rotating import Rotating

    secret.ctx.shared("time.provider", lambda: TimeProvider(secret.ctx.stack, "time"))
    return secret.add(Rotating, "clock", rotation_days=secret.secret.rotation.days)


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


def vault_path(secret: Secret) -> str:
    """Where a reader asks Vault for a dynamic secret's credentials (`database/creds/reporting`): a path, which
    the reader's own Vault login may read, never the credentials."""
    return f"{secret.mount}/creds/{secret.role}"


def generated_here(ctx: StackContext) -> list[str]:
    """The generated secrets this stack keeps: those whose store is this cloud's."""
    store = CLOUD_STORE.get(ctx.cloud)
    return [name for name, secret in ctx.spec.secrets.items()
            if secret.kind == "generated" and secret.source == store]


def build_stack_secrets(ctx: StackContext) -> None:
    """Every secret this stack holds: generated ones in this cloud's store, and Vault engines of dynamic ones."""
    refuse_homeless_secrets(ctx)
    if ctx.cloud in SECRET_CLOUDS and generated_here(ctx):
        importlib.import_module(f"{__package__}.{ctx.cloud}.secrets").build_secrets(ctx)
    if any(secret.kind == "dynamic" for secret in ctx.spec.secrets.values()):
        from .vault.dynamic import build_dynamic_secrets
        build_dynamic_secrets(ctx)
