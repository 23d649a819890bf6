"""Observed utilisation (`--utilisation FILE`): per component, the 95th percentile of CPU and memory use in per
cent of what it has, over the period the file names. Read with line marks and checked against
`utilisation.schema.json`; a mistake, or a component the spec does not have, is a located error (exit 2)."""
from __future__ import annotations

import functools
import json
from pathlib import Path

from jsonschema import Draft202012Validator

from ..data_files import expected, read_data_file, schema_problems
from ..errors import DataFileError

SCHEMA_PATH = Path(__file__).parent / "utilisation.schema.json"
Utilisation = dict[str, dict[str, float]]       # component -> metric (cpu_p95, memory_p95) -> per cent


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def read_utilisation(path: str | Path, components: set[str]) -> Utilisation:
    try:
        document = read_data_file(Path(path))
    except DataFileError as error:
        raise _error(path, error.problems) from None
    problems = schema_problems(_validator(), document.data, document.source)
    if not problems:
        problems = [expected(document.source, ("components", name), "a component of the spec (" +
                             ", ".join(sorted(components)) + ")", name)
                    for name in document.data["components"] if name not in components]
    if problems:
        raise _error(path, problems)
    return {name: dict(metrics) for name, metrics in document.data["components"].items()}


def _error(path: str | Path, problems: list) -> DataFileError:
    return DataFileError(f"{len(problems)} problem(s) in the utilisation file {path}", problems=problems)
