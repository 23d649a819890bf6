"""Edits of the user's spec file that keep its comments, key order and formatting (see `spec.document`): each
setting a fix changes is marked with a `# nexus fix: <check>` comment."""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from ..spec.document import add_end_of_line_comment, dump_document, load_document, set_value


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
        settings = ", ".join(f"{key}: {_shown(value)}" for key, value in self.values)
        return f"{'.'.join(self.path)}: {settings}  ({self.check_id}, {self.safety}: {self.summary})"


def _shown(value: Any) -> str:
    """A setting as `describe` shows it (an override may hold a mapping, so this is not YAML)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {_shown(item)}" for key, item in value.items()) + "}"
    return str(value)


def apply_edits(text: str, edits: list[SpecEdit], marker: str = "nexus fix") -> str:
    """The spec text with every edit applied, each setting marked `# <marker>: <check>`; untouched lines are kept
    exactly as they were."""
    document = load_document(text)
    for edit in edits:
        for key, value in edit.values:
            mapping = set_value(document, (*edit.path, key), value)
            if not mapping.fa.flow_style():
                add_end_of_line_comment(mapping, key, f"{marker}: {edit.check_id}")
    return dump_document(document, like=text)


def unified_diff(before: str, after: str, name: str) -> str:
    return "".join(difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                        fromfile=f"a/{name}", tofile=f"b/{name}"))
