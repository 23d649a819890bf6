"""Reading Nexus's data files (compliance packs, fixes, exemptions, blueprints, healing rules, the price catalogue)
with line marks, so every mistake in one is a `DataFileError` problem: `path:line: field: expected ..., got ...`."""
from __future__ import annotations

from pathlib import Path

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


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
