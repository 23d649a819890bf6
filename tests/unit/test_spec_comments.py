"""Adding and deleting entries of a round-trip document keeps each comment with the entry it belongs to."""
from __future__ import annotations

from cdktf_app.spec.document import add_last_entry, append_item, delete_entry, dump_document, load_document


def test_a_new_last_key_takes_over_the_lines_below_and_leaves_the_end_of_line_comment():
    data = load_document("compliance:\n  gate: high  # keep it\n  # about other\nother: 1\n")
    add_last_entry(data["compliance"], "auto_remediate", True)
    assert dump_document(data) == ("compliance:\n  gate: high  # keep it\n  auto_remediate: true\n  # about other\n"
                          "other: 1\n")


def test_lines_kept_deep_inside_the_last_entry_follow_a_new_key_or_item():
    data = load_document("c:\n  standards:\n    - hipaa\n\n# about other\nother: 1\n")
    add_last_entry(data["c"], "gate", "high")
    append_item(data["c"]["standards"], "soc2")
    assert dump_document(data) == "c:\n  standards:\n    - hipaa\n    - soc2\n  gate: high\n\n# about other\nother: 1\n"


def test_a_deleted_first_item_takes_its_comment_and_the_next_keeps_its_own():
    data = load_document("s:\n  # about a\n  - a\n  # about b\n  - b\nother: 1\n")
    delete_entry(data, "s", 0)
    assert dump_document(data) == "s:\n  # about b\n  - b\nother: 1\n"
