"""Edits of the user's spec file that keep its comments, key order and formatting (ruamel.yaml round trip).

ruamel re-emits a few constructs in its own style (indentation, some flow collections), so only the lines an
edit really changes are taken from its output; every other line is copied from the original byte for byte.
"""
from __future__ import annotations

import difflib
import io
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from ..spec.comments import add_last_entry

# (mapping, sequence, offset, line width) styles tried in order: the first that round-trips the file unchanged
# wins (80 is ruamel's and PyYAML's default width, so files they wrote fold long lines there).
INDENT_STYLES = tuple((*indent, width) for width in (4096, 80)
                      for indent in ((2, 4, 2), (2, 2, 0), (4, 4, 2), (4, 6, 4), (4, 4, 0)))


@dataclass(frozen=True)
class SpecEdit:
    """Set `values` on the mapping at `path`, e.g. (`components`, `db`) or (`overrides`, `aws_lb.web_lb`)."""

    path: tuple[str, ...]
    values: tuple[tuple[str, Any], ...]
    check_id: str
    safety: str
    summary: str
    findings: tuple[str, ...] = field(default=(), compare=False)

    def describe(self) -> str:
        settings = ", ".join(f"{key}: {_yaml_scalar(value)}" for key, value in self.values)
        return f"{'.'.join(self.path)}: {settings}  ({self.check_id}, {self.safety}: {self.summary})"


def _yaml_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _yaml(style: tuple[int, int, int, int]) -> YAML:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = style[3]
    yaml.indent(mapping=style[0], sequence=style[1], offset=style[2])
    return yaml


def _dump(yaml: YAML, document: Any) -> str:
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue()


def _style_for(text: str) -> tuple[int, int, int, int]:
    best, best_distance = INDENT_STYLES[0], None
    for style in INDENT_STYLES:
        dumped = _dump(_yaml(style), _yaml(style).load(text))
        if dumped == text:
            return style
        distance = sum(1 for a, b in zip(dumped.splitlines(), text.splitlines()) if a != b)
        if best_distance is None or distance < best_distance:
            best, best_distance = style, distance
    return best


def apply_edits(text: str, edits: list[SpecEdit]) -> str:
    """The spec text with every edit applied; untouched lines are kept exactly as they were."""
    style = _style_for(text)
    yaml = _yaml(style)
    document = yaml.load(text)
    before = _dump(yaml, document)
    for edit in edits:
        _apply(document, edit)
    return _splice(text, before, _dump(yaml, document))


def _apply(document: CommentedMap, edit: SpecEdit) -> None:
    node = document
    for part in edit.path:
        if part not in node or node[part] is None:
            node[part] = CommentedMap()
        node = node[part]
    for key, value in edit.values:
        if key not in node and len(node) and not node.fa.flow_style():
            add_last_entry(node, key, value)
        else:
            node[key] = value
        if not node.fa.flow_style():
            _note(node, key, f"nexus fix: {edit.check_id}")


def _note(node: CommentedMap, key: str, text: str) -> None:
    """An end-of-line comment on `key`, keeping the comment lines ruamel keeps in the same token."""
    items = node.ca.items.get(key)
    token = items[2] if items and len(items) > 2 else None
    if token is None:
        node.yaml_add_eol_comment(text, key)
    elif not token.value.lstrip(" ").startswith("#"):  # the token holds the blank and comment lines that follow
        token.value = f" # {text}{token.value}"


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


def unified_diff(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{name}", tofile=f"b/{name}"))
