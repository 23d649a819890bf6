"""What `nexus check` scans for each kind of target, without running checkov."""
from __future__ import annotations

import json

import pytest

from cdktf_app.workspace import resolve
from cdktf_app.errors import UsageError


def out_dir_with(tmp_path, stacks: list[str], current: list[str]):
    out = tmp_path / "cdktf.out"
    for name in stacks:
        (out / "stacks" / name).mkdir(parents=True)
        (out / "stacks" / name / "cdk.tf.json").write_text('{"resource": {}}')
    (out / "nexus.json").write_text(json.dumps({"stacks": [{"name": name} for name in current],
                                                "spec": {"file": "<spec>"}}))
    return out


def test_an_out_dir_yields_only_the_stacks_of_its_last_synth(tmp_path):
    out = out_dir_with(tmp_path, ["shop-dev-aws", "old-dev-aws"], current=["shop-dev-aws"])
    target = resolve(out)
    assert [(item.stack, item.path.parent.name) for item in target.files] == [("shop-dev-aws", "shop-dev-aws")]
    assert target.framework == "terraform_json" and target.loaded is None


def test_a_plan_is_recognized_and_its_stack_found_through_provenance(tmp_path):
    out = out_dir_with(tmp_path, ["shop-dev-aws", "shop-prod-aws"], current=["shop-dev-aws", "shop-prod-aws"])
    (out / "provenance.json").write_text(json.dumps({"spec_file": "../nexus.yaml", "stacks": {
        "shop-dev-aws": {"aws_s3_bucket.assets": {"component": "assets", "spec_path": "components.assets",
                                                  "line": 7, "column": 3}},
        "shop-prod-aws": {"aws_s3_bucket.other": {"component": "other", "spec_path": "components.other",
                                                  "line": 9, "column": 3}}}}))
    plan = out / "stacks" / "shop-dev-aws" / "plan.json"
    plan.write_text(json.dumps({"format_version": "1.2", "resource_changes": [{"address": "aws_s3_bucket.assets"}]}))
    target = resolve(plan)
    assert target.kind == "plan" and target.framework == "terraform_plan"
    assert [item.stack for item in target.files] == ["shop-dev-aws"]


@pytest.mark.parametrize("name, content, message", [
    ("missing.yaml", None, "no such file"),
    ("broken.json", "{not json", "not valid JSON"),
    ("list.json", "[1, 2]", "expected a JSON object"),
    ("notes.txt", "hello", "expected a spec"),
])
def test_bad_targets_are_usage_errors(tmp_path, name, content, message):
    if content is not None:
        (tmp_path / name).write_text(content)
    with pytest.raises(UsageError, match=message):
        resolve(tmp_path / name)


def test_a_folder_that_is_not_a_synth_output_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="not a synth output"):
        resolve(tmp_path)
    out = out_dir_with(tmp_path, ["shop-dev-aws"], current=["shop-dev-aws"])
    with pytest.raises(UsageError, match="no stack 'nope'"):
        resolve(out, stack="nope")
