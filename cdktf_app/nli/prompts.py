"""The chat messages sent to the model, rendered from the jinja2 templates in `prompts/`.

The system prompt is built from the code's own truth, so it cannot drift from it: a compact summary of the
spec's JSON Schema, the blueprint catalogue, and worked examples that are real blueprints rendered and loaded.
"""
from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from ..blueprints.catalog import Blueprint, get_blueprint, list_blueprints, render_blueprint
from ..errors import Problem
from ..spec.model import AVAILABILITY, STANDARDS
from ..spec.schema import spec_json_schema

TEMPLATES = Path(__file__).parent / "prompts"
# Two worked examples: a single-cloud regulated app and a multi-cloud one, so the model sees both shapes.
EXAMPLE_BLUEPRINTS = ("fintech", "gamedev")


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True, autoescape=False)


def system_prompt(blueprint: str | None = None) -> str:
    examples = list(dict.fromkeys([*([blueprint] if blueprint else []), *EXAMPLE_BLUEPRINTS]))[:2]
    return _environment().get_template("system.j2").render(
        schema=schema_summary(), blueprints=list_blueprints(), examples=[_example(name) for name in examples],
        standards=STANDARDS, availability=AVAILABILITY, chosen=get_blueprint(blueprint) if blueprint else None)


def user_prompt(prompt: str, blueprint: Blueprint | None = None) -> str:
    return _environment().get_template("user.j2").render(prompt=prompt, blueprint=blueprint)


def repair_prompt(problems: list[Problem] | None = None, parse_error: str | None = None) -> str:
    return _environment().get_template("repair.j2").render(problems=problems or [], parse_error=parse_error)


def _example(name: str) -> dict[str, Any]:
    from ..spec.document import load_document
    from ..spec.loader import load_spec_text

    text = render_blueprint(name)
    load_spec_text(text)  # an example that does not load would teach the model a broken spec
    data = load_document(text)
    return {"name": name, "json": json.dumps(data, indent=1, ensure_ascii=False)}


# ---------------------------------------------------------------- compact schema
@lru_cache(maxsize=1)
def schema_summary() -> str:
    """One line per field: `name: type = default  (description)`, per object of the JSON Schema."""
    schema = spec_json_schema()
    definitions = schema["$defs"]
    sections = [_object_lines("spec (top level)", schema, definitions)]
    for name in sorted(definitions):
        sections.append(_object_lines(name, definitions[name], definitions))
    return "\n\n".join(sections)


def _object_lines(title: str, node: dict, definitions: dict) -> str:
    required = set(node.get("required", ()))
    lines = [f"{title}:" + (f"  # {node['description'].splitlines()[0]}" if node.get("description") else "")]
    for key, field in node.get("properties", {}).items():
        default = "" if key in required or "default" not in field else f" = {json.dumps(field['default'])}"
        need = " (required)" if key in required else ""
        note = f"  # {field['description']}" if field.get("description") else ""
        lines.append(f"  {key}: {_type(field, definitions)}{default}{need}{note}")
    return "\n".join(lines)


def _type(field: dict, definitions: dict) -> str:
    if "$ref" in field:
        return field["$ref"].rsplit("/", 1)[-1]
    if "const" in field:
        return json.dumps(field["const"])
    if "enum" in field:
        return " | ".join(json.dumps(value) for value in field["enum"])
    if "anyOf" in field:
        return " | ".join(_type(option, definitions) for option in field["anyOf"])
    kind = field.get("type", "any")
    if kind == "array":
        return f"list of {_type(field.get('items', {}), definitions)}"
    if kind == "object":
        values = next(iter(field.get("patternProperties", {}).values()), None) or field.get("additionalProperties")
        if isinstance(values, dict) and "discriminator" in values:
            return "map of name -> component (by `type`: " + ", ".join(values["discriminator"]["mapping"]) + ")"
        return f"map of name -> {_type(values, definitions)}" if isinstance(values, dict) and values else "mapping"
    bounds = []
    for key, label in (("minimum", ">="), ("maximum", "<="), ("minLength", "len>="), ("maxLength", "len<="),
                       ("minItems", "items>=")):
        if key in field:
            bounds.append(f"{label}{field[key]}")
    if "pattern" in field:
        bounds.append(f"pattern {field['pattern']}")
    return kind + (f" ({', '.join(bounds)})" if bounds else "")
