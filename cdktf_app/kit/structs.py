"""Plain dicts -> jsii structs, so constructs can be written with readable nested dicts.

jsii turns a dict given for a struct parameter into the struct, but not dicts inside a list of structs (they
arrive in Node as maps and fail to deserialize). We convert by the bindings' own type hints; maps typed as
`Mapping[str, str]` (tags, environment variables) have no struct in their hint and stay as they are.
"""
from __future__ import annotations

import typing
from functools import cache
from typing import Any


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls.__init__)


@cache
def _struct_in(hint: Any) -> type | None:
    """The jsii struct class named anywhere in a type hint, if any."""
    if isinstance(hint, type) and hasattr(hint, "__jsii_struct_bases__"):
        return hint
    for argument in typing.get_args(hint):
        found = _struct_in(argument)
        if found is not None:
            return found
    return None


def as_structs(cls: type, attributes: dict[str, Any]) -> dict[str, Any]:
    hints = _hints(cls)
    return {key: _convert(hints.get(key), value) for key, value in attributes.items()}


def _convert(hint: Any, value: Any) -> Any:
    if isinstance(value, dict):
        struct = _struct_in(hint)
        return struct(**as_structs(struct, value)) if struct else value
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        struct = _struct_in(hint)
        return [struct(**as_structs(struct, item)) for item in value] if struct else value
    return value
