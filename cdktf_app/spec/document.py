"""The spec's text as a document: every YAML text Nexus writes goes through here.

    load_document(text)                 a ruamel round-trip document: comments, key order and quoting kept
    set_value / add_last_entry / append_item / delete_entry / delete_top_level / add_end_of_line_comment
                                        edits that keep each comment next to what it talks about
    dump_document(document, like=text)  the text in the file's own style; only the lines an edit changes differ
    scalar(value) / needs_quotes(text)  the one quoting rule for a value Nexus writes

The spec loader reads YAML 1.1 (PyYAML), ruamel reads and writes YAML 1.2, and a blueprint template puts values
into block and flow context alike. So a string is written plain only when it reads back as that very string in
all of them; otherwise it is double-quoted with every unprintable character escaped, on one line. A scalar read
from the file keeps its own quoting: an edit does not restyle what it did not touch.
"""
from __future__ import annotations

import difflib
import io
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.emitter import RoundTripEmitter
from ruamel.yaml.events import ScalarEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.resolver import VersionedResolver
from ruamel.yaml.scalarstring import PlainScalarString

from .comments import add_end_of_line_comment, add_last_entry, append_item, delete_entry, delete_top_level

__all__ = ["load_document", "dump_document", "set_value", "add_last_entry", "append_item", "delete_entry",
           "delete_top_level", "add_end_of_line_comment", "scalar", "needs_quotes"]

# (mapping indent, sequence indent, sequence dash offset, line width). The first is Nexus's own style, for text
# it writes from scratch; `dump_document(like=)` takes the first that writes the file back unchanged (80 is
# ruamel's and PyYAML's default width, so files they wrote fold long lines there).
STYLES = tuple((*indent, width) for width in (4096, 80)
               for indent in ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0)))
NEXUS_STYLE = STYLES[0]

Style = tuple[int, int, int, int]


# ---------------------------------------------------------------- the quoting rule
_LEADING_INDICATORS = frozenset("-?:,[]{}#&*!|>'\"%@`")
# A comment, a key, a flow collection (`,` `[` `]` `{` `}`; PyYAML also ends a plain flow scalar at `?`), and with
# them `${`, Terraform's interpolation. A leading `...` is a document end to ruamel.
_INSIDE_INDICATORS = ("#", ": ", ",", "[", "]", "{", "}", "?")
_STRING_TAG = "tag:yaml.org,2002:str"
_YAML_11 = pyyaml.resolver.Resolver()
_YAML_12 = VersionedResolver()


def needs_quotes(text: str) -> bool:
    """Whether `text` must be double-quoted to read back as this very string, in block and flow context, for
    YAML 1.1 (`yes`, `on`, `0777`, `2026-01-02`) and YAML 1.2 (`0o17`, `1_000`) alike."""
    return (not text or not text.isprintable() or text != text.strip(" ") or text[0] in _LEADING_INDICATORS
            or text.endswith(":") or text.startswith("...") or any(mark in text for mark in _INSIDE_INDICATORS)
            or not _reads_as_string(text))


def _reads_as_string(text: str) -> bool:
    return (_YAML_11.resolve(pyyaml.ScalarNode, text, (True, False)) == _STRING_TAG
            and _YAML_12.resolve(ScalarNode, text, (True, False)) == _STRING_TAG)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def double_quoted(text: str) -> str:
    """A YAML double-quoted scalar on one line; quotes, backslashes and every unprintable character escaped."""
    out = []
    for char in text:
        code = ord(char)
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        else:
            out.append(f"\\x{code:02X}" if code <= 0xFF else f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}")
    return '"' + "".join(out) + '"'


def scalar(value: Any) -> str:
    """`value` (a string, number, boolean or None) as one line of YAML that reads back as exactly that value.
    Nothing inside it can open a new key, item, comment or line, in block or flow context alike."""
    if isinstance(value, str):
        text = double_quoted(value) if needs_quotes(value) else str(value)
    elif value is None or isinstance(value, (bool, int, float)):
        text = pyyaml.safe_dump(value, default_flow_style=True).removesuffix("\n").removesuffix("\n...")
    else:
        raise TypeError(f"cannot write {type(value).__name__} as a YAML scalar")
    if pyyaml.safe_load(f"[{text}]") != [value]:  # belt and braces: never emit text that reads back differently
        raise ValueError(f"cannot write {value!r} as YAML")
    return text


# ---------------------------------------------------------------- ruamel, taught the rule
class _Constructor(RoundTripConstructor):
    """Marks the strings the file writes plain, so writing them back keeps them plain."""

    def construct_yaml_str(self, node: Any) -> Any:
        value = super().construct_yaml_str(node)
        return PlainScalarString(value) if type(value) is str and not node.style else value


_Constructor.add_constructor(_STRING_TAG, _Constructor.construct_yaml_str)


class _Representer(RoundTripRepresenter):
    """A string Nexus sets (a plain `str`, not one read from the file) is written by the quoting rule."""

    def represent_str(self, data: str) -> Any:
        return self.represent_scalar(_STRING_TAG, data, style='"' if needs_quotes(data) else None)


_Representer.add_representer(str, _Representer.represent_str)


class _Emitter(RoundTripEmitter):
    """Double-quoted scalars are written by `double_quoted`, on one line, so a blueprint and a document write a
    value the same way."""

    def write_double_quoted(self, text: Any, split: Any = True) -> None:
        self.write_indicator(double_quoted(text), True)

    def analyze_scalar(self, scalar: Any) -> Any:
        analysis = super().analyze_scalar(scalar)
        if isinstance(self.event, ScalarEvent) and self.event.style == '"':
            analysis.multiline = False  # one line once escaped, so it can be a `key:` (not a `? key` block)
        return analysis


def _yaml(style: Style) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Constructor, yaml.Representer, yaml.Emitter = _Constructor, _Representer, _Emitter
    yaml.preserve_quotes = True
    yaml.default_flow_style = False
    yaml.width = style[3]
    yaml.indent(mapping=style[0], sequence=style[1], offset=style[2])
    return yaml


# ---------------------------------------------------------------- load, edit, dump
def load_document(text: str) -> Any:
    """The text as a round-trip document (a CommentedMap for a spec)."""
    return _yaml(NEXUS_STYLE).load(text)


def set_value(document: CommentedMap, path: tuple[str, ...], value: Any) -> CommentedMap:
    """Set the key at `path` (e.g. `("components", "db", "encrypted")`), creating the mappings above it; a new
    key goes last in its mapping, below the entries and their comments. Returns the mapping that holds the key."""
    *parents, key = path
    node = document
    for part in parents:
        if part not in node or node[part] is None:
            node[part] = CommentedMap()
        node = node[part]
    if key not in node and len(node) and not node.fa.flow_style():
        add_last_entry(node, key, value)
    else:
        node[key] = value
    return node


def dump_document(document: Any, like: str | None = None) -> str:
    """The document as YAML. With `like` (the text it was loaded from), in that text's indentation and width,
    and every line the edits did not change copied from it byte for byte (ruamel re-emits a few constructs in
    its own style); without, in Nexus's style: block collections, 2-space mappings, `- ` items indented by 2."""
    if like is None:
        return _dump(_yaml(NEXUS_STYLE), document)
    style = _style_of(like)
    yaml = _yaml(style)
    return _splice(like, _dump(yaml, yaml.load(like)), _dump(yaml, document))


def _dump(yaml: YAML, document: Any) -> str:
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def _style_of(text: str) -> Style:
    best, best_distance = STYLES[0], None
    for style in STYLES:
        yaml = _yaml(style)
        dumped = _dump(yaml, yaml.load(text))
        if dumped == text:
            return style
        distance = sum(1 for a, b in zip(dumped.splitlines(), text.splitlines()) if a != b)
        if best_distance is None or distance < best_distance:
            best, best_distance = style, distance
    return best


def _splice(original: str, before: str, after: str) -> str:
    """Apply the change between ruamel's two dumps to the original text, line by line."""
    original_lines, before_lines = original.splitlines(keepends=True), before.splitlines(keepends=True)
    if len(original_lines) != len(before_lines):
        return after
    after_lines = after.splitlines(keepends=True)
    result: list[str] = []
    matcher = difflib.SequenceMatcher(a=before_lines, b=after_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        result += original_lines[i1:i2] if tag == "equal" else after_lines[j1:j2]
    return "".join(result)
