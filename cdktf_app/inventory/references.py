"""Find the Terraform addresses an expression refers to: `${aws_vpc.main.id}` -> `aws_vpc.main`.

Only what sits inside an interpolation counts (`${...}`; `$${` is an escaped dollar), so plain strings that
happen to look like addresses never become edges. Callers keep only the addresses that are declared.
"""
from __future__ import annotations

import re
from collections.abc import Iterator

# A traversal that starts an address: not preceded by a name character, a dot or a quote, so that attribute
# chains (`aws_vpc.main.default_route_table.id`) and literals inside the expression add nothing.
TRAVERSAL = re.compile(
    r"(?<![\w.\-\"'/$])"
    r"(data\.[a-z][\w-]*\.[A-Za-z_][\w-]*|module\.[A-Za-z_][\w-]*|[a-z][a-z0-9]*_[\w-]*\.[A-Za-z_][\w-]*)")


LOCAL = re.compile(r"(?<![\w.\-\"'/$])local\.([A-Za-z_][\w-]*)")


def interpolations(text: str) -> Iterator[str]:
    """The contents of each top-level `${...}` in a string, braces balanced, skipping escaped `$${`."""
    index = 0
    while True:
        start = text.find("${", index)
        if start < 0:
            return
        if start > 0 and text[start - 1] == "$":
            index = start + 2
            continue
        depth, position = 0, start + 1
        while position < len(text):
            char = text[position]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    break
            position += 1
        yield text[start + 2:position]
        index = position + 1


def addresses_in(value) -> set[str]:
    """Every address named in an interpolation anywhere inside a JSON-like value (keys included)."""
    return _found(value, TRAVERSAL)


def locals_in(value) -> set[str]:
    """The names of the local values (`local.NAME`) an interpolation uses."""
    return _found(value, LOCAL)


def _found(value, pattern: re.Pattern) -> set[str]:
    found: set[str] = set()
    for text in _strings(value):
        if "${" in text:
            for expression in interpolations(text):
                found.update(pattern.findall(expression))
    return found


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
