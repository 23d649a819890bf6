"""Air-gapped edge bundles: what a site with no network needs to run its stack (the stack, its modules, its
providers and their lock-file hashes), in one deterministic, signed, optionally encrypted file."""
from .build import BuiltBundle, build_bundle, pack_stack
from .site import Applied, apply_bundle, unpack_bundle, verify_bundle

__all__ = ["Applied", "BuiltBundle", "apply_bundle", "build_bundle", "pack_stack", "unpack_bundle", "verify_bundle"]
