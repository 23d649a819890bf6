"""Values Terraform marks sensitive, and text or attribute trees with them taken out.

A plan (`terraform show -json plan.tfplan`), a shown state (`terraform show -json`) and a raw state file hold
sensitive values in plain text next to a mark saying which they are. The run history redacts the text it
stores with them (`redact`), `nexus visualize` the attributes it draws (`redact_attributes`); both collect
them here (`sensitive_values`). A raw state file does not record what the provider schema marks sensitive
(a database password): attribute trees are therefore also redacted by the attribute's name (SECRET_NAME).
"""
from __future__ import annotations

import re

REDACTED = "(sensitive)"
SECRET_NAME = re.compile(r"(?i)(pass(word|wd)?|secret|token|api_?key|private_?key|credential|access_?key)")
# Shorter values are replaced where they stand alone, not inside other text ("1" would wreck every number).
SHORTEST_SECRET_IN_TEXT = 4


def redact(text: str | None, secrets: set[str] | frozenset[str] | Secrets) -> str | None:
    """Replace every known sensitive value in `text`, the longest where two start at the same place."""
    if text is None:
        return None
    return (secrets if isinstance(secrets, Secrets) else Secrets(secrets)).cut_from(text)


class Secrets:
    """Sensitive values prepared once for many texts. A text is walked once: where its next characters start a
    value, only the lengths of the values starting so are tried (a state with 50,000 passwords searched once
    per password would take hours)."""

    def __init__(self, values):
        self.values = frozenset(values)
        lengths: dict[str, set[int]] = {}
        for value in self.values:
            if len(value) >= SHORTEST_SECRET_IN_TEXT:
                lengths.setdefault(value[:SHORTEST_SECRET_IN_TEXT], set()).add(len(value))
        self._lengths = {prefix: sorted(found, reverse=True) for prefix, found in lengths.items()}

    def cut_from(self, text: str) -> str:
        """`text` with every value in it replaced, the longest where two start at the same place."""
        if not self._lengths:
            return text
        parts, kept_from, index = [], 0, 0
        while index <= len(text) - SHORTEST_SECRET_IN_TEXT:
            found = next((length for length in self._lengths.get(text[index:index + SHORTEST_SECRET_IN_TEXT], ())
                          if text[index:index + length] in self.values), 0)
            if not found:
                index += 1
                continue
            parts += [text[kept_from:index], REDACTED]
            index = kept_from = index + found
        return "".join(parts) + text[kept_from:] if parts else text


def redact_attributes(value, secrets: Secrets, name: str = ""):
    """A copy of an attribute tree in which sensitive values (`secrets`) and the values of secret-named
    attributes read REDACTED, and text holding a sensitive value has it cut out. A whole `${...}` expression
    under a secret name stays: it is a reference (`${aws_secretsmanager_secret.db.arn}`), not a value."""
    if isinstance(value, dict):
        return {key: redact_attributes(item, secrets, str(key)) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_attributes(item, secrets, name) for item in value]
    if value is None or isinstance(value, bool):
        return value
    if str(value) in secrets.values or (SECRET_NAME.search(name) and not _is_expression(value)):
        return REDACTED
    return secrets.cut_from(value) if isinstance(value, str) else value


def _is_expression(value) -> bool:
    return isinstance(value, str) and value.startswith("${") and value.endswith("}") and value.count("${") == 1


def sensitive_values(document) -> set[str]:
    """Every scalar Terraform marks sensitive in a plan, a shown state or a raw state file: values under a
    mask (`after`/`after_sensitive`, `values`/`sensitive_values`), under a raw state's `sensitive_attributes`
    paths, outputs with `sensitive: true`, and the plan's values of variables declared sensitive."""
    found: set[str] = set()
    _marked(document, found)
    declared = _get(document, "configuration", "root_module", "variables")
    for name, variable in _mapping(_get(document, "variables")).items():
        if _get(declared, name, "sensitive") is True:
            found |= _scalars(_get(variable, "value"))
    return found


def _marked(node, found: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _marked(item, found)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        mask = node.get(f"{key}_sensitive")
        if mask is not None:
            found |= _masked_values(value, mask)
    if "values" in node and "sensitive_values" in node:
        found |= _masked_values(node["values"], node["sensitive_values"])
    if isinstance(node.get("sensitive_attributes"), list):
        for path in node["sensitive_attributes"]:
            found |= _scalars(_at_path(node.get("attributes"), path))
    if node.get("sensitive") is True and "value" in node:
        found |= _scalars(node["value"])
    for value in node.values():
        _marked(value, found)


def _masked_values(value, mask) -> set[str]:
    """Scalar values under the parts of `value` that the sensitivity mask marks True."""
    if mask is True:
        return _scalars(value)
    found: set[str] = set()
    if isinstance(mask, dict) and isinstance(value, dict):
        for key, sub_mask in mask.items():
            found |= _masked_values(value.get(key), sub_mask)
    elif isinstance(mask, list) and isinstance(value, list):
        for item, sub_mask in zip(value, mask):
            found |= _masked_values(item, sub_mask)
    return found


def _at_path(value, path):
    """The value a raw state path leads to (`[{"type": "get_attr", "value": "password"}]`); a dynamic attribute
    is stored as `{"value": ..., "type": ...}` and is stepped through. None when the path leads nowhere."""
    for step in path if isinstance(path, list) else []:
        key = _get(step, "value")
        key = _get(key, "value") if isinstance(key, dict) else key      # index steps: {"value": k, "type": t}
        if isinstance(value, dict) and key not in value and "value" in value and "type" in value:
            value = value["value"]
        if isinstance(value, dict):
            value = value.get(key)
        elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
            value = value[key]
        else:
            return None
    return value


def _scalars(value) -> set[str]:
    if isinstance(value, dict):
        return {text for item in value.values() for text in _scalars(item)}
    if isinstance(value, list):
        return {text for item in value for text in _scalars(item)}
    if value is None or isinstance(value, bool):
        return set()
    return {str(value)}


def _get(value, *keys):
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _mapping(value) -> dict:
    return value if isinstance(value, dict) else {}
