"""Optimization rules as data: `rules/<id>.yaml`, one rule a file, checked against `rule.schema.json`.

A rule names a component type, the environments it is meant for, the settings that trigger it (`when`: a list of
values, or `{above: N}`), optionally the observed utilisation it needs (`utilisation: {cpu_p95: {below: 40}}`,
from `--utilisation`; without the figures such a rule does not apply) and the settings it writes (`set`), with
the risk of doing so, and the plain-words explanation of a recommendation (`explanation`, a template of
{component}, {environment} and {saving}). Every field a rule reads
or writes must be a setting of its component type, so a rule can never invent spec fields."""
from __future__ import annotations

import functools
import json
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from ..data_files import expected, read_data_file, schema_problems
from ..errors import DataFileError
from ..spec import model
from ..spec.source import SourceDocument

RULES_DIR = Path(__file__).parent / "rules"
SCHEMA_PATH = Path(__file__).parent / "rule.schema.json"
PLACEHOLDERS = ("component", "environment", "saving")


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    component: str
    environments: tuple[str, ...]
    when: tuple[tuple[str, Any], ...]
    set: tuple[tuple[str, Any], ...]
    risk: str
    utilisation: tuple[tuple[str, float], ...] = ()     # metric, the per cent it must stay below
    explanation: str = ""                               # template of PLACEHOLDERS; "" -> summary and risk

    def matches(self, component: model.ComponentBase, observed: dict[str, float] | None = None) -> bool:
        """Whether every `when` condition holds for the component's current settings, and every `utilisation`
        condition for what was observed of it."""
        return all(_holds(condition, getattr(component, key)) for key, condition in self.when) and \
            all(metric in (observed or {}) and observed[metric] < below for metric, below in self.utilisation)

    def explain(self, component: str, environment: str, saving: str) -> str:
        """The recommendation in plain words, from the rule's template (or its summary and risk)."""
        if not self.explanation:
            return f"{self.summary} ({component} in {environment}, saves {saving} a month). Risk: {self.risk}"
        return " ".join(self.explanation.format(component=component, environment=environment, saving=saving).split())

    def changes(self, component: model.ComponentBase) -> tuple[tuple[str, Any], ...]:
        """The settings of `set` the component does not have yet."""
        return tuple((key, value) for key, value in self.set if getattr(component, key) != value)


def _holds(condition: Any, value: Any) -> bool:
    if isinstance(condition, dict):
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value > condition["above"]
    return value in condition


def _placeholders(template: str) -> list[str]:
    """The {names} a template fills in; a stray brace is a name that is no placeholder."""
    try:
        return [name for _, name, _, _ in string.Formatter().parse(template) if name is not None]
    except ValueError:
        return ["a stray { or }"]


def _is_bound(condition: dict) -> bool:
    bound = condition.get("above")
    return list(condition) == ["above"] and isinstance(bound, (int, float)) and not isinstance(bound, bool)


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def _rule(path: Path, document: SourceDocument) -> Rule:
    problems = schema_problems(_validator(), document.data, document.source)
    if problems:
        raise DataFileError(problems=problems)
    data, source = document.data, document.source
    if path.stem != data["id"]:
        problems.append(expected(source, ("id",), f"'{path.stem}' (a rule file is named after its id)", data["id"]))
    component_class = model.component_class(data["component"])
    if component_class is None:
        problems.append(expected(source, ("component",), "a component type (" + ", ".join(model.COMPONENT_TYPES)
                                 + ")", data["component"]))
    else:
        known = component_class.model_fields
        problems += [expected(source, (part, key), f"a setting of {data['component']}", key)
                     for part in ("when", "set") for key in data[part] if key not in known]
    problems += [expected(source, ("explanation",), "a template of {" + "}, {".join(PLACEHOLDERS) + "} only",
                          name) for name in _placeholders(data.get("explanation", "")) if name not in PLACEHOLDERS]
    problems += [expected(source, ("when", key), "a list of values or {above: N}", condition)
                 for key, condition in data["when"].items() if isinstance(condition, dict) and not _is_bound(condition)]
    if problems:
        raise DataFileError(problems=problems)
    return Rule(id=data["id"], summary=data["summary"], component=data["component"],
                environments=tuple(data["environments"]), when=tuple(data["when"].items()),
                set=tuple(data["set"].items()), risk=data["risk"], explanation=data.get("explanation", ""),
                utilisation=tuple((metric, bound["below"]) for metric, bound in data.get("utilisation", {}).items()))


@functools.lru_cache(maxsize=4)
def load_rules(directory: Path = RULES_DIR) -> tuple[Rule, ...]:
    """Every rule file of `directory`, in file name order; any mistake is a DataFileError naming file and line."""
    return tuple(_rule(path, read_data_file(path)) for path in sorted(directory.glob("*.yaml")))
