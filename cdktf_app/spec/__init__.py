"""The Nexus spec: reading it (with line marks), its typed model, its JSON Schema, and its text as a document
Nexus edits and writes (`document`: comments kept, one quoting rule)."""
from ..lazy_exports import lazy_exports

_HOMES = {"LoadedSpec": "loader", "load_spec": "loader", "load_spec_text": "loader", "Spec": "model"}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
