"""The local AWS sandbox: a moto server on 127.0.0.1 and the provider settings that point Terraform at it."""
from .gaps import sandbox_gaps
from .provider import OVERRIDE_FILE, remove_provider_override, seed_secrets, write_provider_override
from .server import Sandbox, sandbox_session, sandbox_status, start_sandbox, stop_orphans, stop_sandbox

__all__ = ["OVERRIDE_FILE", "Sandbox", "remove_provider_override", "sandbox_gaps", "sandbox_session",
           "sandbox_status",
           "seed_secrets",
           "start_sandbox", "stop_orphans", "stop_sandbox", "write_provider_override"]
