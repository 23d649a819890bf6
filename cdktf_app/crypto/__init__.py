"""Encryption at rest of Nexus's own artifacts: recipient key pairs (hybrid ML-KEM-768 + X25519, or X25519 alone)
and a versioned, chunked AES-256-GCM envelope (see envelope.py for the format)."""
from .envelope import decrypt_file, encrypt_file, rotate_file
from .keys import PRIVATE_KEY_VARIABLE, Identity, Recipient, generate_identity, load_identity, parse_recipient

__all__ = ["PRIVATE_KEY_VARIABLE", "Identity", "Recipient", "decrypt_file", "encrypt_file", "generate_identity",
           "load_identity", "parse_recipient", "rotate_file"]
