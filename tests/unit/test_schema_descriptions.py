"""`nexus schema` is what editors show on hover and what the LLM prompt summarises: every field says what it means."""
from __future__ import annotations

from collections.abc import Iterator

from cdktf_app.spec.model import COMPONENT_MODELS, secure_settings
from cdktf_app.spec.schema import spec_json_schema


def _properties(node: object, path: str) -> Iterator[tuple[str, dict]]:
    """Every property of every object anywhere in the schema ($defs, nested objects, anyOf/allOf members)."""
    if isinstance(node, dict):
        for name, field in (node.get("properties") or {}).items():
            yield f"{path}.{name}", field
        for key, value in node.items():
            yield from _properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _properties(value, f"{path}[{index}]")


def _description(field: dict) -> str:
    """The field's own description, or one on the member of an anyOf/allOf wrapper that carries it."""
    members = [member for wrapper in ("anyOf", "allOf") for member in field.get(wrapper, ()) if "$ref" not in member]
    return next((node["description"].strip() for node in (field, *members) if node.get("description", "").strip()),
                "")


def test_every_schema_property_has_a_description():
    properties = list(_properties(spec_json_schema(), "#"))
    undescribed = [path for path, field in properties if not _description(field)]

    assert len(properties) > 150  # the walk reaches every definition, not just the top level
    assert not undescribed, f"{len(undescribed)} of {len(properties)} schema fields have no description: {undescribed}"


def test_security_settings_name_their_secure_value():
    """Fields a fix may put back (Encrypted, Private, Kept) tell the reader which value is the secure one."""
    silent = [f"{component_type}.{name}" for component_type, model in COMPONENT_MODELS.items()
              for name in secure_settings(component_type)
              if "secure value" not in (model.model_fields[name].description or "")]
    assert secure_settings("bucket") and secure_settings("database")  # the markers are found
    assert not silent, f"security settings without their secure value in the description: {silent}"
