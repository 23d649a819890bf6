"""What the secret compilers of every cloud share: a secret's resources in a stack, its generated value, its
rotation clock, the path a reader asks Vault at."""
from __future__ import annotations

from typing import Any

from ..kit.context import StackContext
from ..spec.model import CLOUD_STORE, Secret

VALUE_SPECIALS = "!#$%&*()-_=+[]{}<>:?"


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


def vault_path(secret: Secret) -> str:
    """Where a reader asks Vault for a dynamic secret's credentials (`database/creds/reporting`): a path, which
    the reader's own Vault login may read, never the credentials."""
    return f"{secret.mount}/creds/{secret.role}"


def generated_here(ctx: StackContext) -> list[str]:
    """The generated secrets this stack keeps: those whose store is this cloud's."""
    store = CLOUD_STORE.get(ctx.cloud)
    return [name for name, secret in ctx.spec.secrets.items()
            if secret.kind == "generated" and secret.source == store]
