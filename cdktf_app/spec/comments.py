"""Comments stay where they belong when entries of a ruamel round-trip document are added or deleted.

ruamel keeps the comment lines below an entry on the end of that entry (on its deepest last key or item, or on
the entry itself), and an end-of-line comment in the same token. So the lines introducing the next entry travel
with the entry before them: a new last entry must take them over, a deleted entry must hand them back.
"""
from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.tokens import CommentToken


def add_last_entry(mapping: CommentedMap, key: str, value: Any) -> None:
    """Add a key at the end of a mapping; the lines that followed the old last entry follow the new one, its
    end-of-line comment stays on its line."""
    following = _take_trailing_comment(mapping, list(mapping)[-1], keep_end_of_line=True) if mapping else None
    mapping[key] = value
    _set_trailing_comment(mapping, key, following)


def append_item(sequence: CommentedSeq, item: Any) -> None:
    """Append an item; the lines that followed the old last item follow the new one."""
    following = _take_trailing_comment(sequence, len(sequence) - 1, keep_end_of_line=True) if sequence else None
    sequence.append(item)
    _set_trailing_comment(sequence, len(sequence) - 1, following)


def add_end_of_line_comment(mapping: CommentedMap, key: str, text: str) -> None:
    """`# text` at the end of `key`'s line, keeping the comment lines ruamel keeps in the same token; a key that
    already has an end-of-line comment keeps it."""
    items = mapping.ca.items.get(key)
    token = items[2] if items and len(items) > 2 else None
    if token is None:
        mapping.yaml_add_eol_comment(text, key)
    elif not token.value.lstrip(" ").startswith("#"):  # the token holds the blank and comment lines that follow
        token.value = f" # {text}{token.value}"


def delete_entry(parent: CommentedMap, parent_key: str, key: Any) -> None:
    """Delete `parent[parent_key][key]` (a mapping key or a list index) with the comment lines above it; the
    lines introducing what follows move to where the deleted entry's comment was (for the first entry, on
    `parent_key:` itself)."""
    container = parent[parent_key]
    keys = list(container) if isinstance(container, CommentedMap) else list(range(len(container)))
    if keys.index(key) > 0:
        _delete_after_another(container, keys, key)
        return
    following = _take_trailing_comment(container, key)
    lines = [line.strip() for line in (following.value if following else "").splitlines()]
    above = [CommentToken(line + "\n", CommentMark(following.column))
             for line in lines if line.startswith("#")] or None
    parent.ca.items.setdefault(parent_key, [None, None, None, None])[3] = above
    if isinstance(container, CommentedSeq):
        container.ca.comment = [None, above]
    elif len(keys) > 1:
        _strip_leading_blank_lines(container, keys[1])
    _delete(container, key)


def delete_top_level(document: CommentedMap, key: str) -> None:
    """Delete the document's KEY (never its first) with the comment lines above it, as `delete_entry` does."""
    _delete_after_another(document, list(document), key)


def _delete_after_another(container: Any, keys: list, key: Any) -> None:
    """The comment above KEY is the trailing comment of the entry before it: that entry takes KEY's own instead."""
    _set_trailing_comment(container, keys[keys.index(key) - 1], _take_trailing_comment(container, key))
    _delete(container, key)


def _delete(container: Any, key: Any) -> None:
    del container[key]
    if isinstance(container, CommentedMap):
        container.ca.items.pop(key, None)  # else its comments come back with a new entry of the same name


def _strip_leading_blank_lines(mapping: CommentedMap, key: Any) -> None:
    """ruamel may keep the lines above an entry on the entry itself; a new first entry starts without a gap."""
    before = (mapping.ca.items.get(key) or [None, None])[1]
    while before and not before[0].value.strip():
        before.pop(0)


def _trailing_slot(container: Any, key: Any) -> tuple[Any, Any, int]:
    """Where ruamel keeps the comment lines after an entry: on the deepest last entry inside it that has any,
    else on the entry itself."""
    path = [(container, key)]
    node = container[key]
    while isinstance(node, (CommentedMap, CommentedSeq)) and node and not node.fa.flow_style():
        last = list(node)[-1] if isinstance(node, CommentedMap) else len(node) - 1
        path.append((node, last))
        node = node[last]
    slots = [(holder, entry, 2 if isinstance(holder, CommentedMap) else 0) for holder, entry in path]
    for holder, entry, position in reversed(slots):
        if (holder.ca.items.get(entry) or [None] * 4)[position] is not None:
            return holder, entry, position
    return slots[-1]


def _set_trailing_comment(container: Any, key: Any, token: Any) -> None:
    holder, entry, position = _trailing_slot(container, key)
    holder.ca.items.setdefault(entry, [None, None, None, None])[position] = token


def _take_trailing_comment(container: Any, key: Any, keep_end_of_line: bool = False) -> Any:
    """Remove and return the comment token after an entry; with `keep_end_of_line`, an end-of-line comment in
    it stays on the entry's line and only the lines below are taken."""
    holder, entry, position = _trailing_slot(container, key)
    comments = holder.ca.items.get(entry)
    token = comments[position] if comments else None
    if token is None:
        return None
    comments[position] = None
    if keep_end_of_line and not token.value.startswith("\n"):
        end_of_line, _, below = token.value.partition("\n")
        if end_of_line.strip():
            comments[position] = CommentToken(end_of_line + "\n", token.start_mark)
        return CommentToken("\n" + below, token.start_mark) if below else None
    return token
