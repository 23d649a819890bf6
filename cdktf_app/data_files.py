"""Reading Nexus's data files (compliance packs, fixes, exemptions, blueprints, healing rules, the price catalogue)
with line marks, so every mistake in one is a `DataFileError` problem: `path:line: field: expected ..., got ...`."""
from __future__ import annotations

import re
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaError
from pydantic import BaseModel, ValidationError

from .errors import DataFileError, Problem, SpecError
from .spec.source import SourceDocument, SourceMap, SpecPath, read_yaml_file


def read_data_file(path: Path) -> SourceDocument:
    """The YAML of a data file with its source map; unreadable YAML is a located DataFileError."""
    try:
        return read_yaml_file(path)
    except SpecError as error:
        raise DataFileError(problems=error.problems) from None


def expected(source: SourceMap, where: SpecPath, what: str, got: object) -> Problem:
    return source.problem(where, f"expected {what}, got {_shown(got)}")


def model_problems(error: ValidationError, source: SourceMap, prefix: SpecPath = ()) -> list[Problem]:
    """Pydantic's complaints about a data file's part at `prefix`, each at its own line."""
    problems = []
    for item in error.errors():
        where = (*prefix, *(part for part in item["loc"] if isinstance(part, (str, int))))
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            problems.append(source.problem(where, "expected a value (required), got nothing"))
        elif item["type"] == "extra_forbidden":
            problems.append(source.problem(where, f"expected no such field, got {_shown(item.get('input'))}"))
        else:
            what = message.removeprefix("Input should be ") if message.startswith("Input should be ") else message
            problems.append(expected(source, where, what, item.get("input")))
    return problems


def validated(model: type[BaseModel], data: object, source: SourceMap, prefix: SpecPath = ()) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise DataFileError(problems=model_problems(error, source, prefix)) from None


def schema_problems(validator: Draft202012Validator, data: object, source: SourceMap) -> list[Problem]:
    """A JSON Schema's complaints about a data file, in the file's order, each at its own line as `field:
    expected ..., got ...` (jsonschema's own wording only for the rules this does not phrase)."""
    problems = [problem for error in validator.iter_errors(data) for problem in _schema_problems(error, source)]
    return sorted(dict.fromkeys(problems), key=lambda problem: (problem.line or 0, problem.column or 0, problem.path))


_TYPE_NAMES = {"object": "a mapping", "array": "a list", "string": "a string", "number": "a number",
               "integer": "an integer", "boolean": "true or false", "null": "nothing"}


def _schema_problems(error: SchemaError, source: SourceMap) -> list[Problem]:
    where: SpecPath = tuple(error.absolute_path)
    rule, value, got = error.validator, error.validator_value, error.instance
    if rule == "required":
        return [source.problem((*where, key), "expected a value (required), got nothing")
                for key in value if key not in got]
    if rule == "additionalProperties" and value is False:
        known = list(error.schema.get("properties", {}))
        patterns = list(error.schema.get("patternProperties", {}))
        what = f"one of {', '.join(known)}" if known else "no such field"
        return [source.problem((*where, key), f"expected {what}, got {key!r}") for key in got
                if key not in known and not any(re.search(pattern, key) for pattern in patterns)]
    if "propertyNames" in error.schema_path:  # `got` is a key of the mapping at `where`
        where = (*where, got)
    what = _expectation(rule, value)
    return [expected(source, where, what, got) if what else source.problem(where, error.message)]


def _expectation(rule: str, value: object) -> str | None:
    """What a JSON Schema rule asks for, in words; None for a rule without a phrasing here."""
    counted = {"minLength": ("at least", "character"), "maxLength": ("at most", "character"),
               "minItems": ("at least", "item"), "maxItems": ("at most", "item"),
               "minProperties": ("at least", "entry"), "maxProperties": ("at most", "entry")}
    bounds = {"minimum": ">=", "exclusiveMinimum": ">", "maximum": "<=", "exclusiveMaximum": "<"}
    if rule == "type":
        return " or ".join(_TYPE_NAMES.get(name, name) for name in ([value] if isinstance(value, str) else value))
    if rule == "enum":
        return "one of " + ", ".join(repr(option) for option in value)
    if rule == "const":
        return repr(value)
    if rule in bounds:
        return f"a number {bounds[rule]} {value}"
    if rule in counted:
        side, noun = counted[rule]
        plural = "entries" if noun == "entry" else f"{noun}s"
        return f"{side} {value} {noun if value == 1 else plural}"
    if rule == "uniqueItems" and value:
        return "no item listed twice"
    if rule == "pattern":
        return f"text matching {value}"
    if rule == "format":
        return f"a valid {value}"
    return None


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
