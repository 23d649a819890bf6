"""Industry blueprints: jinja2 templates under `blueprints/<name>/` that render to a valid Nexus spec.

A blueprint is a folder with `blueprint.yaml` (title, summary, industry, the compliance standards it declares
and its typed parameters) and `nexus.yaml.j2` (the template). Parameter values arrive as strings from
`--set key=value`; they are coerced to the parameter's type and checked (choices, min/max, pattern) before the
template sees them, and every problem is reported in one `BlueprintError`. A mistake in `blueprint.yaml` itself
(the blueprint's author's, not the user's) is a `DataFileError` naming its line and field, e.g.
`blueprint.yaml:12:5: parameters.zones.max: expected an integer, got 'six'`.

Blueprints are read from `<repo>/blueprints`, or from the folder NEXUS_BLUEPRINTS_DIR names (a team's own
blueprints, or a test's broken copy).

Rendering is safe by construction: the template runs in a jinja2 sandbox with `StrictUndefined`, and every
`{{ ... }}` is written as a one-line YAML scalar (or flow list), so no value - `a: b`, `${x}`, a newline - can
add keys or change the structure of the spec. The rendered text is validated like any spec; if that fails,
the blueprint itself is broken.
"""
from __future__ import annotations

import difflib
import os
import re
import shlex
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import jinja2
import yaml
from jinja2.sandbox import SandboxedEnvironment

from ..data_files import expected, read_data_file
from ..errors import BlueprintError, DataFileError, Problem, SpecError
from ..paths import repo_root
from ..spec import LoadedSpec, load_spec_text
from ..spec.document import scalar
from ..spec.model import CLOUDS, STANDARDS
from ..spec.source import SourceMap, SpecPath

BLUEPRINTS_DIR_ENV = "NEXUS_BLUEPRINTS_DIR"
DEFINITION_FILE = "blueprint.yaml"
TEMPLATE_FILE = "nexus.yaml.j2"
PARAMETER_TYPES = ("string", "integer", "boolean", "list", "choice")
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")

_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_PARAMETER_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_DEFINITION_KEYS = ("title", "summary", "industry", "standards", "parameters", "checks", "knobs")
_KNOB_KEYS = ("scale", "region", "db_engine", "runtime", "edge", "scaled")
_PARAMETER_KEYS = ("type", "default", "description", "choices", "min", "max", "pattern")


@dataclass(frozen=True)
class Parameter:
    """One knob of a blueprint. `min`/`max` bound an integer's value, a list's length or a string's length;
    `pattern` must match a whole string, or each item of a list (lists hold strings)."""

    name: str
    type: str
    default: Any
    description: str
    choices: tuple | None = None
    min: int | None = None
    max: int | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Check:
    """A rule across parameters, e.g. `min_tasks <= max_tasks`, with the message shown when it fails."""

    expression: str
    message: str


@dataclass(frozen=True)
class Knobs:
    """Which parameter carries which part of a prompt's intent (`nexus generate --offline` reads them), and the
    component of the template that scales. Every name but `scaled` is a parameter of the blueprint."""

    scale: tuple[str, str] | None = None          # (minimum, maximum) parameters
    region: dict[str, str] = field(default_factory=dict)   # cloud -> parameter
    db_engine: str | None = None
    runtime: str | None = None
    edge: str | None = None
    scaled: str | None = None


@dataclass(frozen=True)
class Blueprint:
    name: str
    title: str
    summary: str
    industry: str
    standards: tuple[str, ...]            # as `--standard` spells them: "pci-dss-4.0", "soc2-type2"
    parameters: tuple[Parameter, ...]
    path: Path = field(compare=False)     # the folder with blueprint.yaml and nexus.yaml.j2
    checks: tuple[Check, ...] = ()
    knobs: Knobs = field(default_factory=Knobs)

    def parameter(self, name: str) -> Parameter | None:
        return next((parameter for parameter in self.parameters if parameter.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {parameter.name: parameter.default for parameter in self.parameters}


# ---------------------------------------------------------------- finding blueprints
def blueprints_dir() -> Path:
    override = os.environ.get(BLUEPRINTS_DIR_ENV)
    return Path(override) if override else repo_root() / "blueprints"


def list_blueprints() -> list[Blueprint]:
    return [_read_blueprint(path) for path in _blueprint_folders()]


def get_blueprint(name: str) -> Blueprint:
    folders = {path.name: path for path in _blueprint_folders()}
    if name not in folders:
        raise BlueprintError(f"unknown blueprint '{name}'{_did_you_mean(str(name), folders)}; "
                             f"available: {', '.join(folders) or '(none)'}")
    return _read_blueprint(folders[name])


def _blueprint_folders() -> list[Path]:
    root = blueprints_dir()
    if not root.is_dir():
        return []
    return [path for path in sorted(root.iterdir()) if _NAME.match(path.name) and (path / DEFINITION_FILE).is_file()]


def _read_blueprint(path: Path) -> Blueprint:
    document = read_data_file(path / DEFINITION_FILE)
    data, source = document.data, document.source
    problems = _definition_problems(data, source)
    if problems:
        raise DataFileError(problems=problems)
    parameters = tuple(
        Parameter(name=name, type=spec["type"], default=spec["default"], description=spec["description"],
                  choices=tuple(spec["choices"]) if "choices" in spec else None,
                  min=spec.get("min"), max=spec.get("max"), pattern=spec.get("pattern"))
        for name, spec in data["parameters"].items())
    # A default that fails its own parameter's rules is a bug in the blueprint, not in the user's values.
    problems = [source.problem(("parameters", parameter.name, "default"),
                               problem.removeprefix(parameter.name).removeprefix(":").strip())
                for parameter in parameters for problem in _coerce(parameter, parameter.default)[1]]
    if problems:
        raise DataFileError(problems=problems)
    return Blueprint(
        name=path.name, title=data["title"], summary=data["summary"], industry=data["industry"],
        standards=tuple(_standard_label(item) for item in data.get("standards") or ()),
        parameters=parameters, path=path,
        checks=tuple(Check(expression=check["check"], message=check["message"]) for check in data.get("checks") or ()),
        knobs=_knobs(data.get("knobs") or {}))


def _definition_problems(data: Any, source: SourceMap) -> list[Problem]:
    if not isinstance(data, dict):
        return [expected(source, (), "a mapping with title, summary, industry, standards and parameters", data)]
    problems = _unknown_keys(data, (), _DEFINITION_KEYS, source)
    problems += [_text_field(data, (key,), source) for key in ("title", "summary", "industry")]
    problems += _list_problems(data, "standards", 'a list of standards, each written `- pci-dss: "4.0"`', source,
                               _standard_problems)
    parameters = data.get("parameters")
    if not isinstance(parameters, dict) or not parameters:
        problems.append(expected(source, ("parameters",), "a mapping of parameter name to its definition",
                                 parameters))
        parameters = {}
    for name, spec in parameters.items():
        problems += _parameter_problems(name, spec, source)
    problems += _list_problems(data, "checks", "a list of checks (check: an expression, message: text)", source,
                               _check_problems)
    knobs = data.get("knobs")
    problems += _knob_problems({} if knobs is None else knobs, parameters, source)
    return [problem for problem in problems if problem is not None]


def _unknown_keys(data: dict, where: SpecPath, known: tuple[str, ...], source: SourceMap) -> list[Problem]:
    return [source.problem((*where, key), f"expected one of {', '.join(known)}, got {key!r}"
                                          f"{_did_you_mean(str(key), known)}")
            for key in data if key not in known]


def _text_field(data: dict, where: SpecPath, source: SourceMap) -> Problem | None:
    value = data.get(where[-1])
    if where[-1] not in data:
        return source.problem(where, "expected a non-empty string (required), got nothing")
    return None if isinstance(value, str) and value.strip() else expected(source, where, "a non-empty string", value)


def _list_problems(data: dict, key: str, what: str, source: SourceMap,
                   item_problems: Callable[[Any, SpecPath, SourceMap], list[Problem]]) -> list[Problem]:
    """An optional list under KEY: nothing when absent, WHAT expected when not a list, else each item's problems."""
    items = data.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        return [expected(source, (key,), what, items)]
    return [problem for index, item in enumerate(items) for problem in item_problems(item, (key, index), source)]


def _standard_problems(item: Any, where: SpecPath, source: SourceMap) -> list[Problem]:
    try:
        _standard_label(item)
    except ValueError as error:
        return [source.problem(where, str(error))]
    return []


def _check_problems(check: Any, where: SpecPath, source: SourceMap) -> list[Problem]:
    if not isinstance(check, dict) or set(check) != {"check", "message"}:
        return [expected(source, where, "a mapping with exactly 'check' (an expression) and 'message'", check)]
    problems = []
    if not isinstance(check["message"], str) or not check["message"].strip():
        problems.append(expected(source, (*where, "message"), "a non-empty string", check["message"]))
    if not isinstance(check["check"], str):
        return problems + [expected(source, (*where, "check"), "an expression such as `a <= b`", check["check"])]
    try:
        _environment().compile_expression(check["check"])
    except jinja2.TemplateSyntaxError as error:
        problems.append(expected(source, (*where, "check"), f"an expression ({error.message})", check["check"]))
    return problems


def _knob_problems(knobs: Any, parameters: dict, source: SourceMap) -> list[Problem]:
    if not isinstance(knobs, dict):
        return [expected(source, ("knobs",), f"a mapping of {', '.join(_KNOB_KEYS)}", knobs)]
    problems = _unknown_keys(knobs, ("knobs",), _KNOB_KEYS, source)
    named: list[tuple[SpecPath, Any]] = []
    scale = knobs.get("scale")
    if scale is not None and not (isinstance(scale, list) and len(scale) == 2):
        problems.append(expected(source, ("knobs", "scale"), "[minimum parameter, maximum parameter]", scale))
    elif scale is not None:
        named += [(("knobs", "scale", index), name) for index, name in enumerate(scale)]
    region = knobs.get("region", {})
    if not isinstance(region, dict):
        problems.append(expected(source, ("knobs", "region"), f"a mapping of a cloud ({', '.join(CLOUDS)}) to a "
                                                                "parameter", region))
    else:
        problems += [source.problem(("knobs", "region", cloud), f"expected a cloud ({', '.join(CLOUDS)}), got "
                                                                f"{cloud!r}")
                     for cloud in region if cloud not in CLOUDS]
        named += [(("knobs", "region", cloud), name) for cloud, name in region.items()]
    named += [(("knobs", key), knobs[key]) for key in ("db_engine", "runtime", "edge") if key in knobs]
    problems += [source.problem(where, f"expected a parameter of this blueprint, got {name!r}"
                                       f"{_did_you_mean(str(name), parameters)}")
                 for where, name in named if not isinstance(name, str) or name not in parameters]
    if "scaled" in knobs and not isinstance(knobs["scaled"], str):
        problems.append(expected(source, ("knobs", "scaled"), "the name of the component that scales",
                                 knobs["scaled"]))
    return problems


def _knobs(data: dict) -> Knobs:
    return Knobs(scale=tuple(data["scale"]) if "scale" in data else None, region=dict(data.get("region", {})),
                 db_engine=data.get("db_engine"), runtime=data.get("runtime"), edge=data.get("edge"),
                 scaled=data.get("scaled"))


def _parameter_problems(name: str, spec: Any, source: SourceMap) -> list[Problem]:
    where = ("parameters", name)
    if not _PARAMETER_NAME.match(name):
        return [source.problem(where, "expected a parameter name of lower-case letters, digits and '_', starting "
                                      f"with a letter, got {name!r}")]
    if not isinstance(spec, dict):
        return [expected(source, where, "a mapping with type, default and description", spec)]
    problems = _unknown_keys(spec, where, _PARAMETER_KEYS, source)
    kind = spec.get("type")
    if kind not in PARAMETER_TYPES:
        problems.append(expected(source, (*where, "type"), f"one of {', '.join(PARAMETER_TYPES)}", kind))
    if "default" not in spec:
        problems.append(source.problem((*where, "default"), "expected a default (every blueprint renders with no "
                                                            "values given), got nothing"))
    problems.append(_text_field(spec, (*where, "description"), source))
    if kind == "choice" and not (isinstance(spec.get("choices"), list) and spec["choices"]):
        problems.append(expected(source, (*where, "choices"), "the list of choices of a choice parameter",
                                 spec.get("choices")))
    if kind != "choice" and "choices" in spec:
        problems.append(expected(source, (*where, "choices"), "no choices (only a choice parameter lists them)",
                                 spec["choices"]))
    for bound in ("min", "max"):
        if bound in spec and kind not in ("integer", "list", "string"):
            problems.append(expected(source, (*where, bound), f"no '{bound}' (it bounds an integer, list or string "
                                                              "parameter)", spec[bound]))
        elif bound in spec and type(spec[bound]) is not int:
            problems.append(expected(source, (*where, bound), "an integer", spec[bound]))
    if "pattern" in spec:
        problems += _pattern_problems(spec["pattern"], kind, (*where, "pattern"), source)
    return problems


def _pattern_problems(pattern: Any, kind: Any, where: SpecPath, source: SourceMap) -> list[Problem]:
    if kind not in ("string", "list"):
        return [expected(source, where, "no pattern (it applies to string and list parameters)", pattern)]
    try:
        re.compile(pattern)
    except (re.error, TypeError) as error:
        return [expected(source, where, f"a regular expression ({error})", pattern)]
    return []


def _standard_label(item: Any) -> str:
    """`{pci-dss: "4.0"}` -> `pci-dss-4.0`, checked against the standards Nexus knows."""
    if not isinstance(item, dict) or len(item) != 1:
        raise ValueError(f'expected a standard written `- pci-dss: "4.0"`, got {item!r}')
    (key, version), = item.items()
    if key not in STANDARDS or str(version) not in STANDARDS[key]:
        raise ValueError("expected a standard Nexus knows (" +
                         ", ".join(f"{k} {'/'.join(v)}" for k, v in STANDARDS.items()) + f"), got {key} {version}")
    return f"{key}-{version}"


# ---------------------------------------------------------------- values
def resolve_values(blueprint: Blueprint, values: dict[str, Any]) -> dict[str, Any]:
    """The defaults overlaid with `values`, each coerced to its parameter's type; every problem at once."""
    problems: list[str] = []
    names = [parameter.name for parameter in blueprint.parameters]
    for key in values:
        if key not in names:
            problems.append(f"unknown parameter '{key}'{_did_you_mean(str(key), names)}; "
                            f"parameters of {blueprint.name}: {', '.join(names)}")
    resolved = blueprint.defaults()
    for parameter in blueprint.parameters:
        if parameter.name in values:
            value, errors = _coerce(parameter, values[parameter.name])
            problems += errors
            resolved[parameter.name] = value
    if not problems:
        problems += _failed_checks(blueprint, resolved)
    if problems:
        count = len(problems)
        raise BlueprintError(f"blueprint '{blueprint.name}': {count} problem{'s' if count != 1 else ''} "
                             "with the parameters:\n" + "\n".join(f"  - {problem}" for problem in problems))
    return resolved


def _coerce(parameter: Parameter, raw: Any) -> tuple[Any, list[str]]:
    """(value, problems): a `--set` string or a Python value, turned into the parameter's type."""
    label, kind = parameter.name, parameter.type
    if kind == "integer":
        if isinstance(raw, str) and re.fullmatch(r"\s*[+-]?\d{1,18}\s*", raw):
            raw = int(raw)
        if type(raw) is not int:
            return raw, [f"{label}: expected an integer, got {raw!r}"]
        return raw, _bounds(parameter, raw, raw, "")
    if kind == "boolean":
        if isinstance(raw, str) and raw.strip().lower() in TRUE_WORDS + FALSE_WORDS:
            raw = raw.strip().lower() in TRUE_WORDS
        if not isinstance(raw, bool):
            return raw, [f"{label}: expected true/false or yes/no, got {raw!r}"]
        return raw, []
    if kind == "choice":
        options = [str(choice) for choice in parameter.choices or ()]
        match = None if isinstance(raw, (bool, list, dict)) or str(raw) not in options else \
            parameter.choices[options.index(str(raw))]
        if match is None:
            return raw, [f"{label}: {raw!r} is not one of {', '.join(options)}"
                         f"{_did_you_mean(str(raw), options)}"]
        return match, []
    if kind == "list":
        items, problem = _list_items(raw)
        if problem:
            return raw, [f"{label}: {problem}"]
        problems = _bounds(parameter, len(items), items, " items")
        duplicates = sorted({item for item in items if items.count(item) > 1})
        if duplicates:
            problems.append(f"{label}: listed twice: {', '.join(duplicates)}")
        problems += [problem for item in items for problem in _text_problems(parameter, item, " item")]
        return items, problems
    if not isinstance(raw, str):
        return raw, [f"{label}: expected a string, got {raw!r}"]
    return raw, _bounds(parameter, len(raw), raw, " characters") + _text_problems(parameter, raw, "")


def _list_items(raw: Any) -> tuple[list[str], str | None]:
    """`dev,prod`, `[dev, prod]` or a Python list of strings -> ['dev', 'prod']."""
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("["):
            try:
                # BaseLoader keeps every scalar a string: `[no, 1.10]` stays ['no', '1.10'].
                raw = yaml.load(text, Loader=yaml.BaseLoader)  # noqa: S506 - BaseLoader builds no objects
            except yaml.YAMLError:
                return [], f"{raw!r} is not a list; write a,b,c or [a, b, c]"
        else:
            raw = [item.strip() for item in text.split(",") if item.strip()]
    if not isinstance(raw, (list, tuple)) or not all(isinstance(item, str) for item in raw):
        return [], f"expected a list of strings (a,b,c or [a, b, c]), got {raw!r}"
    return list(raw), None


def _bounds(parameter: Parameter, size: int, value: Any, unit: str) -> list[str]:
    low, high = parameter.min, parameter.max
    if (low is not None and size < low) or (high is not None and size > high):
        span = (f"between {low} and {high}" if low is not None and high is not None
                else f"at least {low}" if low is not None else f"at most {high}")
        return [f"{parameter.name}: {value!r} is out of range; expected {span}{unit}"]
    return []


def _text_problems(parameter: Parameter, text: str, what: str) -> list[str]:
    if not text.isprintable():
        return [f"{parameter.name}{what}: {text!r} contains a line break or control character"]
    if parameter.pattern and not re.fullmatch(parameter.pattern, text):
        return [f"{parameter.name}{what}: {text!r} is not valid; expected {parameter.description}"]
    return []


def _failed_checks(blueprint: Blueprint, values: dict[str, Any]) -> list[str]:
    environment = _environment()
    problems = []
    for check in blueprint.checks:
        try:
            passed = environment.compile_expression(check.expression)(**values)
        except jinja2.TemplateError as error:
            raise BlueprintError(f"{blueprint.path / DEFINITION_FILE}: check {check.expression!r}: {error}") from None
        if not passed:
            named = [name for name in values if re.search(rf"\b{name}\b", check.expression)]
            shown = ", ".join(f"{name}={values[name]}" for name in named)
            problems.append(f"{check.message} (got {shown})")
    return problems


# ---------------------------------------------------------------- rendering
class YamlText(str):
    """Text already written as YAML; `finalize` passes it through untouched."""


def to_yaml(value: Any) -> YamlText:
    """A value as one line of YAML that reads back as exactly that value: a scalar (`spec.document.scalar`, the
    rule every YAML text Nexus writes follows), or a flow list of them."""
    if isinstance(value, YamlText):
        return value
    if isinstance(value, (list, tuple)):
        return YamlText("[" + ", ".join(to_yaml(item) for item in value) + "]")
    return YamlText(scalar(value))


def _finalize(value: Any) -> YamlText:
    """Every `{{ ... }}` of a template goes through here."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined raises UndefinedError, naming the missing variable
    return to_yaml(value)


def _environment() -> SandboxedEnvironment:
    environment = SandboxedEnvironment(
        undefined=jinja2.StrictUndefined, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True,
        autoescape=False, finalize=_finalize)
    environment.filters["yaml"] = to_yaml
    return environment


def render_blueprint(name: str, values: dict[str, str | object] | None = None) -> str:
    """The spec text of blueprint `name` with `values` (`--set` strings or Python values), validated."""
    blueprint = get_blueprint(name)
    resolved = resolve_values(blueprint, values or {})
    template_path = blueprint.path / TEMPLATE_FILE
    try:
        template = _environment().from_string(template_path.read_text(encoding="utf-8"))
        body = template.render(**resolved)
    except OSError as error:
        raise BlueprintError(f"{template_path}: cannot read the template: {error}") from None
    except (jinja2.TemplateError, TypeError, ValueError) as error:
        line = getattr(error, "lineno", None)
        raise BlueprintError(f"{template_path}{f':{line}' if line else ''}: {type(error).__name__}: {error}") from None
    text = _header(blueprint, resolved) + body
    validate_rendered(blueprint, text)
    return text


def validate_rendered(blueprint: Blueprint, text: str) -> LoadedSpec:
    """Load the rendered text as a spec. Parameters were checked already, so a failure is a blueprint bug."""
    try:
        return load_spec_text(text, file=f"blueprint:{blueprint.name}")
    except SpecError as error:
        raise BlueprintError(f"blueprint '{blueprint.name}' rendered an invalid spec; this is a bug in the "
                             f"blueprint ({blueprint.path / TEMPLATE_FILE}):\n{error}") from error


def _header(blueprint: Blueprint, values: dict[str, Any]) -> str:
    width = max(len(parameter.name) for parameter in blueprint.parameters)
    # str.split() also splits on the Unicode line breaks YAML knows, so no text can end the comment early.
    lines = [f"# Nexus spec rendered from the '{blueprint.name}' blueprint: {' '.join(blueprint.title.split())}"]
    lines += [f"# {line}" for line in textwrap.wrap(" ".join(blueprint.summary.split()), 110)]
    if blueprint.standards:
        lines.append(f"# Compliance standards: {', '.join(blueprint.standards)}")
    lines.append("#")
    lines.append("# Parameters:")
    for parameter in blueprint.parameters:
        value = values[parameter.name]
        note = "" if value == parameter.default else f"   (default: {to_yaml(parameter.default)})"
        lines.append(f"#   {parameter.name.ljust(width)}  {to_yaml(value)}{note}")
    changed = [f"--set {shlex.quote(f'{key}={_as_set_value(value)}')}" for key, value in values.items()
               if value != blueprint.parameter(key).default]
    command = " ".join(["nexus blueprints render", blueprint.name, *changed])
    if command.isprintable():
        lines += ["#", f"# Render again with: {command}"]
    return "\n".join(lines) + "\n#\n"


def _as_set_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        simple = all(item and "," not in item and item == item.strip() for item in value) and \
            not (value and value[0].startswith("["))
        return ",".join(value) if simple else to_yaml(value)
    return str(value)


def _did_you_mean(given: str, options) -> str:
    options = [str(option) for option in options]
    close = difflib.get_close_matches(given, options, n=1, cutoff=0.6) or \
        [option for option in options if given and (option.startswith(given) or given.startswith(option))]
    return f" (did you mean '{close[0]}'?)" if len(close) == 1 else ""
