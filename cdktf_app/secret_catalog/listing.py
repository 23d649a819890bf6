"""One entry per secret of a spec: its kind, where it is kept, how it rotates and which components read it."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..spec.model import Secret, Spec

# Where a managed secret lives on each cloud: RDS keeps a master secret in Secrets Manager; Cloud SQL and Azure
# sign components in with their identity, so there is no secret to keep.
MANAGED_STORE = {"aws": "aws-secrets-manager (RDS master secret)", "gcp": "none: Cloud SQL IAM sign-in",
                 "azure": "none: Entra ID sign-in"}
# Secrets Manager rotates an RDS master secret every 7 days unless told otherwise.
RDS_DEFAULT_ROTATION_DAYS = 7


@dataclass(frozen=True)
class SecretEntry:
    name: str
    kind: str
    stores: tuple[str, ...]
    rotation: str
    rotation_days: int | None  # the days between rotations Nexus sets up (or the cloud's default), else None
    read_by: tuple[str, ...]

    def as_dict(self) -> dict:
        return {**asdict(self), "stores": list(self.stores), "read_by": list(self.read_by)}


def list_secrets(spec: Spec) -> list[SecretEntry]:
    """The spec's secrets in the order it declares them."""
    return [_entry(spec, name, secret) for name, secret in spec.secrets.items()]


def _entry(spec: Spec, name: str, secret: Secret) -> SecretEntry:
    readers = tuple(component for component, settings in spec.components.items()
                    if name in getattr(settings, "secrets", ()))
    clouds = spec.clouds_for(spec.components[secret.database]) if secret.kind == "managed" else []
    stores = tuple(MANAGED_STORE[cloud] for cloud in clouds) if secret.kind == "managed" else (secret.source,)
    text, days = _rotation(secret, clouds)
    return SecretEntry(name=name, kind=secret.kind, stores=stores, rotation=text, rotation_days=days,
                       read_by=readers)


def _rotation(secret: Secret, clouds: list[str]) -> tuple[str, int | None]:
    if secret.kind == "dynamic":
        return f"lease {secret.ttl}, renewable to {secret.max_ttl}", None
    if secret.kind == "external":
        noted = f" (noted: every {secret.rotation_days} days)" if secret.rotation_days else ""
        return f"by its owner{noted}", None
    if secret.rotation:
        return f"every {secret.rotation.days} days", secret.rotation.days
    if secret.kind == "managed" and "aws" in clouds:
        return f"RDS default: every {RDS_DEFAULT_ROTATION_DAYS} days", RDS_DEFAULT_ROTATION_DAYS
    return "none", None
