"""Reading spec YAML safely, keeping the line and column of every value.

PyYAML composes the document into nodes (which carry marks); we turn nodes into plain data ourselves so we can
reject duplicate keys and bound the expansion of aliases (a "billion laughs" document is a few hundred bytes).
Specs are read from regular files only (a symlink to one is fine), at most `MAX_DOCUMENT_BYTES`, nested at most
`MAX_DEPTH` levels: the composer recurses once per level and libyaml's crashes the process long before Python
would notice (40,000 brackets are 80 KB).
"""
from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import Problem, SpecError

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
MAX_EXPANDED_NODES = 250_000
MAX_DEPTH = 64

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MERGE_TAG = "tag:yaml.org,2002:merge"

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
        result: dict = {}
        first_seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                continue
            key = self._key(key_node, path)
            if key is None:
                continue
            if key in first_seen:
                self.problems.append(Problem(
                    message=f"duplicate key '{key}' (first written on line {first_seen[key]}); "
                            "YAML keeps only the last one",
                    file=self.source.file, line=key_node.start_mark.line + 1,
                    column=key_node.start_mark.column + 1, path=dotted((*path, key))))
                continue
            first_seen[key] = key_node.start_mark.line + 1
            self._entry(result, key, key_node, value_node, path)
        for key_node, value_node in self._merged_entries(node, path, (node,)):
            key = self._key(key_node, path, report=False)  # the merged mapping reports its own bad keys
            if key is not None and key not in result:
                self._entry(result, key, key_node, value_node, path)
        return result

    def _entry(self, result: dict, key: str, key_node: yaml.Node, value_node: yaml.Node, path: SpecPath) -> None:
        child = (*path, key)
        self.source.marks[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
        result[key] = self.build(value_node, child)

    def _merged_entries(self, node: yaml.MappingNode, path: SpecPath,
                        merging: tuple[yaml.Node, ...]) -> list[tuple[yaml.Node, yaml.Node]]:
        """The entries `<<: *defaults` (or `<<: [*a, *b]`) brings into `node`, first one wins: YAML 1.1 merge
        keys as PyYAML applies them (the mapping's own keys win over merged ones, earlier mappings over later)."""
        entries: list[tuple[yaml.Node, yaml.Node]] = []
        for key_node, value_node in node.value:
            if key_node.tag != MERGE_TAG:
                continue
            sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, yaml.MappingNode) or any(source is seen for seen in merging):
                    self.problems.append(self.source.problem(path, (
                        "'<<' merges a mapping or a list of mappings (an alias such as *defaults), "
                        "not itself")))
                    continue
                entries += [(key, value) for key, value in source.value if key.tag != MERGE_TAG]
                entries += self._merged_entries(source, path, (*merging, source))
        return entries

    def _key(self, key_node: yaml.Node, path: SpecPath, *, report: bool = True) -> str | None:
        key = None
        if isinstance(key_node, yaml.ScalarNode):
            try:
                key = self._constructor.construct_object(key_node, deep=True)
            except yaml.constructor.ConstructorError:
                key = None
        if key is None or isinstance(key, (list, dict)):
            if report:
                self.problems.append(self.source.problem(path, "mapping keys must be plain text"))
            return None
        return key if isinstance(key, str) else str(key)

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
        raise SpecError([_too_large(file)])
    try:
        _check_depth(text, file)
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


def _check_depth(text: str, file: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH before the composer recurses into it (libyaml's parser itself keeps
    an explicit stack, so walking its events is safe and costs about a tenth of composing)."""
    depth = 0
    for event in yaml.parse(text, Loader=Loader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise SpecError([Problem(f"nesting deeper than {MAX_DEPTH} levels", file=file,
                                         line=event.start_mark.line + 1, column=event.start_mark.column + 1)])
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _too_large(file: str) -> Problem:
    return Problem(f"the spec is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB", file=file)


def read_spec_bytes(path: str | Path) -> bytes:
    """The bytes of a spec file: a regular file (or a symlink to one) of at most MAX_DOCUMENT_BYTES. Devices
    (`/dev/zero` never ends), FIFOs (they block until a writer comes) and sockets are refused."""
    file = str(path)
    try:
        # O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; regular files ignore it.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except FileNotFoundError:
        raise SpecError([Problem("no such file", file=file)]) from None
    except OSError as error:
        raise SpecError([Problem(f"cannot read: {error.strerror}", file=file)]) from None
    if stat.S_ISDIR(os.fstat(descriptor).st_mode):     # before fdopen, which refuses a directory (IsADirectoryError)
        os.close(descriptor)
        raise SpecError([Problem("is a directory, expected a YAML file", file=file)])
    with os.fdopen(descriptor, "rb") as handle:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise SpecError([Problem("not a regular file (a device, FIFO or socket); a spec is a YAML file",
                                     file=file)])
        data = handle.read(MAX_DOCUMENT_BYTES + 1)
    if len(data) > MAX_DOCUMENT_BYTES:
        raise SpecError([_too_large(file)])
    return data


def decode_spec(data: bytes, file: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SpecError([Problem(f"not UTF-8 text (byte {error.start})", file=file)]) from None


def read_yaml_file(path: str | Path) -> SourceDocument:
    return read_yaml(decode_spec(read_spec_bytes(path), str(path)), file=str(path))
