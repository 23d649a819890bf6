"""The Nexus spec: reading it (with line marks), its typed model, and its JSON Schema."""
from .loader import LoadedSpec, load_spec, load_spec_text
from .model import Spec

__all__ = ["LoadedSpec", "Spec", "load_spec", "load_spec_text"]
