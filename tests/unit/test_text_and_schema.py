"""Escaping of spec text, the JSON Schema, and the HCL module interface reader."""
from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from cdktf_app.hcl_modules import matches_type, read_module
from cdktf_app.spec.schema import spec_json_schema
from cdktf_app.kit.text import escape, escape_value
from tests.unit.test_spec_errors import VALID


def terraform_literal(text: str) -> str:
    """Read a JSON string as Terraform's template scanner does; fail on a live `${` or `%{`."""
    result, index = [], 0
    while index < len(text):
        if text.startswith(("$${", "%%{"), index):
            result.append(text[index] + "{")
            index += 3
        elif text.startswith(("${", "%{"), index):
            raise AssertionError(f"live template sequence at {index} in {text!r}")
        else:
            result.append(text[index])
            index += 1
    return "".join(result)


@given(st.text(alphabet="${}%ab\\\"", max_size=40))
def test_escaped_text_has_no_live_expression_and_reads_back_as_written(text):
    assert terraform_literal(escape(text)) == text


def test_escape_reaches_keys_and_nested_values():
    value = escape_value({"${k}": ["%{if x}", {"a": "${b}"}], "n": 1})
    assert value == {"$${k}": ["%%{if x}", {"a": "$${b}"}], "n": 1}


def test_schema_is_valid_and_accepts_a_valid_spec():
    import yaml

    schema = spec_json_schema()
    Draft202012Validator.check_schema(schema)
    errors = list(Draft202012Validator(schema).iter_errors(yaml.safe_load(VALID)))
    assert errors == []
    bad = yaml.safe_load(VALID.replace("engine: postgres", "engine: oracle"))
    assert list(Draft202012Validator(schema).iter_errors(bad))
    assert json.dumps(schema)


def test_edge_site_module_interface_is_read_from_hcl():
    module = read_module("edge-site")
    assert module.variables["site_name"].required and module.variables["site_name"].type == "string"
    assert not module.variables["max_pods"].required and module.variables["max_pods"].type == "number"
    assert module.variables["labels"].type == "map(string)"
    assert set(module.outputs) == {"namespace", "service_account", "update_strategy"}
    assert module.providers == ("kubernetes",)


def test_terraform_type_constraints():
    assert matches_type({"a": "b"}, "map(string)") and not matches_type({"a": 1.5j}, "map(string)")
    assert matches_type(3, "number") and not matches_type(True, "number") and not matches_type("3", "bool")
    assert matches_type(["a"], "list(string)") and not matches_type("a", "list(string)")
