"""One client for the CI hosts' REST APIs (GitHub, GitLab): what `nexus ci --post` writes and `nexus insights`
reads go through it."""
from .client import ApiError, Refused, RestClient, Retries, environment_secrets

__all__ = ["ApiError", "Refused", "RestClient", "Retries", "environment_secrets"]
