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


def escape(text: str) -> str:
    return _TEMPLATE_START.sub(r"\1\1{", text)


def escape_value(value: Any) -> Any:
    """Escape every string in plain data (dict keys included)."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {escape_value(key): escape_value(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(escape_value(item) for item in value)
    if isinstance(value, BaseModel):
        return escape_model(value)
    return value


def escape_model(model: BaseModel) -> BaseModel:
    """A copy of a (frozen) spec model with every string escaped; the builders only ever see this copy."""
    values = {name: escape_value(getattr(model, name)) for name in type(model).model_fields}
    return type(model).model_construct(_fields_set=model.model_fields_set, **values)
