"""What a spec's secrets are: kind, store, rotation and the components that read each (`nexus secrets list`)."""
from .listing import SecretEntry, list_secrets

__all__ = ["SecretEntry", "list_secrets"]
