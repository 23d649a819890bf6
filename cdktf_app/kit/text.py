"""Spec text never becomes a Terraform expression.

Terraform evaluates `${...}` and `%{...}` inside every JSON string, map keys included. Only Nexus writes
references; every string that came from a spec (or an LLM) is escaped to `$${` / `%%{`, which Terraform reads
back as the literal text the user wrote.
"""
from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel

_TEMPLATE_START = re.compile(r"([$%])\{")
_UNESCAPED = frozenset({int, float, bool, type(None)})   # exact types that hold no text


def escape(text: str) -> str:
    return _TEMPLATE_START.sub(r"\1\1{", text) if "{" in text else text


def escape_value(value: Any) -> Any:
    """Escape every string in plain data (dict keys included). Lists and dicts are always copied (a builder may
    change its copy); a tuple or frozen model with nothing to escape inside is returned as it is."""
    kind = type(value)
    if kind is str:
        return escape(value)
    if kind in _UNESCAPED:
        return value
    if isinstance(value, str):  # a str subclass: re.sub always returns a plain str, so it still runs
        return _TEMPLATE_START.sub(r"\1\1{", value)
    if isinstance(value, dict):
        return {escape_value(key): escape_value(item) for key, item in value.items()}
    if kind is tuple:
        escaped = tuple(escape_value(item) for item in value)
        return value if all(new is old for new, old in zip(escaped, value)) else escaped
    if isinstance(value, (list, tuple)):
        return type(value)(escape_value(item) for item in value)
    if isinstance(value, BaseModel):
        return escape_model(value)
    return value


def escape_model(model: BaseModel) -> BaseModel:
    """A copy of a (frozen) spec model with every string escaped; the builders only ever see this copy. A frozen
    model whose every field comes back as it was (no text to escape, no list or dict to copy) is itself."""
    fields = model.__dict__
    values = {name: escape_value(fields[name]) for name in type(model).model_fields}
    if type(model).model_config.get("frozen") and all(values[name] is fields[name] for name in values):
        return model
    return type(model).model_construct(_fields_set=model.model_fields_set, **values)
