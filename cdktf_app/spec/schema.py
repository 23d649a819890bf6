"""The spec's JSON Schema, exported by `nexus schema` (editors and the LLM prompt use it)."""
from __future__ import annotations

import json

from .model import Spec


def spec_json_schema() -> dict:
    schema = Spec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://nexus.dev/schema/nexus-v1.json"
    schema["title"] = "Nexus spec v1"
    return schema


def spec_json_schema_text() -> str:
    return json.dumps(spec_json_schema(), indent=2, sort_keys=True) + "\n"
