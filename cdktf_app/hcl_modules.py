"""HCL modules under modules/: their interface (variables, outputs) read with python-hcl2.

A spec that passes an unknown input, leaves out a required one, or gives a value of the wrong type is rejected
here, before any synth.
"""
from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .errors import ModuleError, Problem
from .paths import repo_root
from .spec.source import SourceMap, SpecPath

_NO_DEFAULT = object()


@dataclass(frozen=True)
class Variable:
    name: str
    type: str
    description: str
    default: Any = _NO_DEFAULT

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


@dataclass(frozen=True)
class ModuleInterface:
    name: str
    directory: Path
    variables: dict[str, Variable]
    outputs: dict[str, str]
    providers: tuple[str, ...]


def modules_dir() -> Path:
    return Path(os.environ.get("NEXUS_MODULES_DIR") or repo_root() / "modules")


def available_modules() -> list[str]:
    return sorted(entry.name for entry in modules_dir().iterdir() if (entry / "variables.tf").is_file())


def read_hcl(directory: Path) -> dict[str, list]:
    """The top-level blocks of every `*.tf` file in DIRECTORY by kind (`resource`, `variable`, ...), in Terraform's
    JSON shape: each block a list of mappings, string quotes stripped, expressions as `${...}`."""
    import hcl2  # python-hcl2; imported here so commands that never touch a module don't pay for it

    options = hcl2.SerializationOptions(strip_string_quotes=True, with_comments=False, explicit_blocks=False)
    blocks: dict[str, list] = {}
    for tf_file in sorted(directory.glob("*.tf")):
        try:
            with tf_file.open(encoding="utf-8") as handle:
                parsed = hcl2.load(handle, serialization_options=options)
        except Exception as error:  # python-hcl2 raises lark errors of many kinds
            raise ModuleError(f"{tf_file}: cannot parse HCL: {error}") from None
        for kind, entries in parsed.items():
            blocks.setdefault(kind, []).extend(entries)
    return blocks


@cache
def read_module(name: str) -> ModuleInterface:
    directory = modules_dir() / name
    if not directory.is_dir():
        raise ModuleError(f"no module '{name}' under {modules_dir()}; available: {', '.join(available_modules())}")
    blocks = read_hcl(directory)
    variables = {}
    for block in blocks.get("variable", []):
        for raw_name, body in block.items():
            var_name = raw_name.strip('"')
            variables[var_name] = Variable(
                name=var_name, type=_unwrap(body.get("type", "any")),
                description=str(body.get("description", "")), default=body.get("default", _NO_DEFAULT))
    outputs = {}
    for block in blocks.get("output", []):
        for raw_name, body in block.items():
            outputs[raw_name.strip('"')] = str(body.get("description", ""))
    providers = tuple(sorted({provider for block in blocks.get("terraform", [])
                              for required in block.get("required_providers", [])
                              for provider in required if not provider.startswith("__")}))
    return ModuleInterface(name=name, directory=directory, variables=variables, outputs=outputs,
                           providers=providers)


def _unwrap(expression: Any) -> str:
    text = str(expression)
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


# ---------------------------------------------------------------- checking inputs
def check_module_inputs(component, where: SpecPath, source: SourceMap) -> list[Problem]:
    try:
        read_module(component.source)
    except ModuleError as error:
        return [source.problem((*where, "source"), str(error))]
    return check_inputs(component.source, component.inputs, (*where, "inputs"), source)


def check_inputs(module_name: str, inputs: dict[str, Any], where: SpecPath, source: SourceMap,
                 provided_by_nexus: tuple[str, ...] = ()) -> list[Problem]:
    interface = read_module(module_name)
    problems = []
    settable = {name: var for name, var in interface.variables.items() if name not in provided_by_nexus}
    for key, value in inputs.items():
        variable = settable.get(key)
        if variable is None:
            close = difflib.get_close_matches(key, list(settable), n=1, cutoff=0.6)
            hint = f" (did you mean '{close[0]}'?)" if close else ""
            reason = " (Nexus sets it)" if key in provided_by_nexus else ""
            problems.append(source.problem((*where, key), f"module '{module_name}' has no input '{key}'{reason}"
                                                          f"{hint}; inputs: {', '.join(sorted(settable))}"))
            continue
        if not matches_type(value, variable.type):
            problems.append(source.problem((*where, key), f"input '{key}' of module '{module_name}' must be "
                                                          f"{variable.type}, got {_describe(value)}"))
    for name, variable in settable.items():
        if variable.required and name not in inputs:
            problems.append(source.problem(where, f"module '{module_name}' needs input '{name}' ({variable.type})"))
    return problems


_COLLECTION = re.compile(r"^(list|set|map|tuple|object)\((.*)\)$", re.S)


def matches_type(value: Any, type_expr: str) -> bool:
    """Does a YAML value fit a Terraform type constraint? (`any` and object shapes are accepted loosely.)"""
    type_expr = type_expr.strip()
    if type_expr == "any":
        return True
    if type_expr == "string":
        return isinstance(value, str) or (isinstance(value, (int, float)) and not isinstance(value, bool))
    if type_expr == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_expr == "bool":
        return isinstance(value, bool)
    match = _COLLECTION.match(type_expr)
    if not match:
        return True
    kind, inner = match.groups()
    if kind in ("list", "set"):
        return isinstance(value, list) and all(matches_type(item, inner) for item in value)
    if kind == "map":
        return isinstance(value, dict) and all(matches_type(item, inner) for item in value.values())
    if kind == "tuple":
        return isinstance(value, list)
    return isinstance(value, dict)


def _describe(value: Any) -> str:
    names = {bool: "a bool", int: "a number", float: "a number", str: "a string", list: "a list", dict: "a map"}
    return f"{names.get(type(value), type(value).__name__)} ({value!r})"
