"""Spec edits keep the user's file: comments, key order, formatting of untouched lines."""
from __future__ import annotations

import pytest

from cdktf_app.blueprints.catalog import render_blueprint
from cdktf_app.compliance.spec_edit import SpecEdit, apply_edits, unified_diff
from cdktf_app.spec.loader import load_spec_text
from tests.helpers import AWS_SPEC_HEAD


def edit(path, check="CKV_TEST_1", safety="safe", **values):
    return SpecEdit(path=tuple(path), values=tuple(values.items()), check_id=check, safety=safety,
                    summary="test edit")


SPEC = "# Top comment\n" + AWS_SPEC_HEAD + """\
components:
  # the database
  db:
    type: database
    encrypted: false   # someone turned this off
    public: true

  # assets bucket, flow style
  assets: {type: bucket, public: true}
  logs:
    type: bucket
    access_logs: false
"""


def test_only_the_edited_lines_change():
    after = apply_edits(SPEC, [edit(("components", "db"), public=False)])
    before_lines, after_lines = SPEC.splitlines(), after.splitlines()
    assert len(before_lines) == len(after_lines)
    changed = [(a, b) for a, b in zip(before_lines, after_lines) if a != b]
    assert changed == [("    public: true", "    public: false  # nexus fix: CKV_TEST_1")]


def test_existing_end_of_line_comment_is_kept_not_replaced():
    after = apply_edits(SPEC, [edit(("components", "db"), encrypted=True)])
    line = next(line for line in after.splitlines() if "encrypted" in line)
    assert line.startswith("    encrypted: true ") and line.endswith("# someone turned this off")
    assert "nexus fix" not in after


def test_comment_lines_after_an_edited_key_survive():
    after = apply_edits(SPEC, [edit(("components", "logs"), access_logs=True),
                               edit(("components", "db"), public=False)])
    for line in SPEC.splitlines():
        if line.strip().startswith("#"):
            assert line in after.splitlines()
    assert "  # assets bucket, flow style" in after


def test_flow_style_mapping_is_edited_in_place():
    after = apply_edits(SPEC, [edit(("components", "assets"), public=False)])
    assert "  assets: {type: bucket, public: false}" in after
    assert load_spec_text(after).spec.components["assets"].public is False


def test_new_key_is_appended_and_overrides_section_is_created():
    after = apply_edits(SPEC, [edit(("components", "db"), backup_retention_days=7),
                               edit(("overrides", "aws_lb.web_lb"), enable_deletion_protection=True)])
    spec = load_spec_text(after).spec
    assert spec.components["db"].backup_retention_days == 7
    assert spec.overrides == {"aws_lb.web_lb": {"enable_deletion_protection": True}}
    assert after.index("backup_retention_days") < after.index("# assets bucket")


def test_key_order_is_kept():
    after = apply_edits(SPEC, [edit(("components", "db"), encrypted=True, public=False)])
    keys = [line.split(":")[0].strip() for line in after.splitlines() if line.startswith("    ")]
    assert keys[:3] == ["type", "encrypted", "public"]


@pytest.mark.parametrize("name", ["fintech", "healthcare", "ecommerce", "gamedev", "devops-platform"])
def test_blueprint_specs_round_trip_byte_for_byte(name):
    text = render_blueprint(name, {})
    assert apply_edits(text, []) == text


def test_long_lines_folded_at_80_columns_stay_folded():
    text = ("apiVersion: nexus/v1\nname: shop\ndescription: a description long enough that a YAML writer with the "
            "default\n  width folds it onto a second line\nproviders:\n  aws:\n    region: eu-west-1\ncomponents:\n"
            "  logs:\n    type: bucket\n    public: true\n")
    after = apply_edits(text, [edit(("components", "logs"), public=False)])
    assert after.replace("public: false  # nexus fix: CKV_TEST_1", "public: true") == text


def test_unified_diff_names_the_file():
    after = apply_edits(SPEC, [edit(("components", "db"), public=False)])
    diff = unified_diff(SPEC, after, "nexus.yaml")
    assert diff.startswith("--- a/nexus.yaml\n+++ b/nexus.yaml\n")
    assert "-    public: true\n+    public: false  # nexus fix: CKV_TEST_1\n" in diff
