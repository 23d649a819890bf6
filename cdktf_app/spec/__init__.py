"""The Nexus spec: reading it (with line marks), its typed model, its JSON Schema, and its text as a document
Nexus edits and writes (`document`: comments kept, one quoting rule)."""
from .loader import LoadedSpec, load_spec, load_spec_text
from .model import Spec

__all__ = ["LoadedSpec", "Spec", "load_spec", "load_spec_text"]
