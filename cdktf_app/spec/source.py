"""Reading spec YAML safely, keeping the line and column of every value.

PyYAML composes the document into nodes (which carry marks); we turn nodes into plain data ourselves so we can
reject duplicate keys and bound the expansion of aliases (a "billion laughs" document is a few hundred bytes).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import Problem, SpecError

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_EXPANDED_NODES = 250_000
MAX_DEPTH = 64

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

SpecPath = tuple[str | int, ...]


def dotted(path: SpecPath) -> str:
    """`('components', 'db', 'engine')` -> `components.db.engine`; list items as `[0]`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass
class SourceMap:
    """Where each spec path was written: the spine of provenance and of error messages."""

    file: str
    marks: dict[SpecPath, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: SpecPath) -> tuple[int | None, int | None]:
        """Line and column (1-based) of `path`, or of its nearest written ancestor."""
        for end in range(len(path), -1, -1):
            mark = self.marks.get(tuple(path[:end]))
            if mark is not None:
                return mark
        return None, None

    def problem(self, path: SpecPath, message: str) -> Problem:
        line, column = self.position(path)
        return Problem(message=message, file=self.file, line=line, column=column, path=dotted(path))


@dataclass
class SourceDocument:
    data: object
    source: SourceMap


class _Builder:
    """Turns composed YAML nodes into Python data, recording marks and collecting problems."""

    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.problems: list[Problem] = []
        self.expanded = 0
        self._constructor = yaml.constructor.SafeConstructor()

    def build(self, node: yaml.Node, path: SpecPath) -> object:
        self.expanded += 1
        if self.expanded > MAX_EXPANDED_NODES:
            raise SpecError([self.source.problem(path, (
                f"the document expands to more than {MAX_EXPANDED_NODES:,} values "
                "(nested YAML aliases?); write the values out or split the spec")
            )])
        if len(path) > MAX_DEPTH:
            raise SpecError([self.source.problem(path, f"nesting deeper than {MAX_DEPTH} levels")])
        self.source.marks.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, index)) for index, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _mapping(self, node: yaml.MappingNode, path: SpecPath) -> dict:
        self._constructor.flatten_mapping(node)
        result: dict = {}
        first_seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = self._scalar(key_node, path) if isinstance(key_node, yaml.ScalarNode) else None
            if key is None or isinstance(key, (list, dict)):
                self.problems.append(self.source.problem(path, "mapping keys must be plain text"))
                continue
            key = str(key) if not isinstance(key, str) else key
            child = (*path, key)
            if key in first_seen:
                line = key_node.start_mark.line + 1
                self.problems.append(Problem(
                    message=f"duplicate key '{key}' (first written on line {first_seen[key]}); "
                            "YAML keeps only the last one",
                    file=self.source.file, line=line, column=key_node.start_mark.column + 1,
                    path=dotted(child)))
                continue
            first_seen[key] = key_node.start_mark.line + 1
            self.source.marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[key] = self.build(value_node, child)
        return result

    def _scalar(self, node: yaml.ScalarNode, path: SpecPath) -> object:
        try:
            return self._constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as error:
            self.problems.append(self.source.problem(path, f"cannot read value: {error.problem}"))
            return None


def read_yaml(text: str, file: str = "<spec>") -> SourceDocument:
    """Parse one YAML document into data plus a source map; every problem becomes a `SpecError`."""
    source = SourceMap(file=file)
    if len(text.encode("utf-8", "surrogatepass")) > MAX_DOCUMENT_BYTES:
        raise SpecError([Problem(f"the spec is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB", file=file)])
    try:
        node = yaml.compose(text, Loader=Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        what = error.problem or error.context or "invalid YAML"
        raise SpecError([Problem(
            message=f"invalid YAML: {what}", file=file,
            line=mark.line + 1 if mark else None, column=mark.column + 1 if mark else None)]) from None
    except yaml.YAMLError as error:
        raise SpecError([Problem(message=f"invalid YAML: {error}", file=file)]) from None
    if node is None:
        raise SpecError([Problem("the spec is empty", file=file, line=1)])
    builder = _Builder(source)
    data = builder.build(node, ())
    if builder.problems:
        raise SpecError(builder.problems)
    return SourceDocument(data=data, source=source)


def read_yaml_file(path: str | Path) -> SourceDocument:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_DOCUMENT_BYTES:
            raise SpecError([Problem(f"the spec is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB",
                                     file=str(path))])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([Problem("no such file", file=str(path))]) from None
    except IsADirectoryError:
        raise SpecError([Problem("is a directory, expected a YAML file", file=str(path))]) from None
    except UnicodeDecodeError as error:
        raise SpecError([Problem(f"not UTF-8 text (byte {error.start})", file=str(path))]) from None
    return read_yaml(text, file=str(path))
