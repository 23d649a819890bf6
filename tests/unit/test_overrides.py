"""Overrides set attributes only: meta-arguments, provisioners and module sources are refused where they are
written unless named one by one; keys are attribute paths, never Terraform expressions."""
from __future__ import annotations

import pytest

from cdktf_app.errors import SpecError, UsageError
from cdktf_app.spec.loader import load_spec_text
from cdktf_app.spec.overrides import META_ARGUMENTS, audit_overrides

SPEC = """\
apiVersion: nexus/v1
name: shop
providers:
  aws: {{region: us-east-1}}
components:
  assets: {{type: bucket}}
overrides:
  aws_s3_bucket.assets:
    force_destroy: true
{entries}
"""


def loaded_with(*entries: str, address: str = "aws_s3_bucket.assets"):
    text = SPEC.format(entries="\n".join(f"    {entry}" for entry in entries))
    return load_spec_text(text.replace("aws_s3_bucket.assets:", f"{address}:"), file="nexus.yaml")


def refusal(loaded, allow=()):
    with pytest.raises(SpecError) as raised:
        audit_overrides(loaded, allow)
    assert raised.value.exit_code == 2
    return raised.value.problems


@pytest.mark.parametrize("key", sorted(META_ARGUMENTS))
def test_every_meta_argument_is_refused_at_its_line_with_the_flag_that_would_allow_it(key):
    problems = refusal(loaded_with(f"{key}: 0"))
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.file, problem.line, problem.path) == ("nexus.yaml", 10, f"overrides.aws_s3_bucket.assets.{key}")
    assert META_ARGUMENTS[key] in problem.message
    assert f"--allow-unsafe-overrides aws_s3_bucket.assets.{key}" in problem.message


def test_the_attacks_of_the_issue_are_each_refused():
    loaded = loaded_with("provisioner: {local-exec: {command: 'touch /tmp/pwned'}}",
                         "connection: {type: ssh, host: example.com}",
                         "lifecycle: {ignore_changes: all}",
                         "'lifecycle.prevent_destroy': false",
                         "depends_on: [aws_kms_key.stack_key]",
                         "provider: aws.elsewhere",
                         "for_each: {a: 1}",
                         "dynamic: {provisioner: {for_each: [1], content: {command: id}}}")
    paths = [problem.path.removeprefix("overrides.aws_s3_bucket.assets.") for problem in refusal(loaded)]
    assert paths == ["provisioner", "connection", "lifecycle", "lifecycle.prevent_destroy", "depends_on", "provider",
                     "for_each", "dynamic"]


def test_module_source_and_version_are_refused_but_source_is_an_attribute_elsewhere():
    problems = refusal(loaded_with("source: /anywhere", "version: '1.0'", "providers: {aws: aws.other}",
                                   address="module.edge"))
    assert [problem.path for problem in problems] == ["overrides.module.edge.source", "overrides.module.edge.version",
                                                      "overrides.module.edge.providers"]
    assert "which code terraform loads and runs" in problems[0].message
    assert audit_overrides(loaded_with("source: ./index.html", "version: v2", address="aws_s3_object.page")) == []


def test_case_variants_are_not_meta_arguments_terraform_is_case_sensitive():
    # `Count` or `Provisioner` is an unknown attribute to terraform (validate: "No argument or block type is named
    # Provisioner"), not a meta-argument: it is left to the provider-schema validation.
    assert audit_overrides(loaded_with("Count: 0", "Provisioner: {local-exec: {command: id}}")) == []


@pytest.mark.parametrize("key", ['tags.${file("/etc/hostname")}', "tags.%{if true}x%{endif}", "'//'", "'@'",
                                 "tags.a:b", "tags..x", "'.count'", "'count.'"])
def test_a_key_that_is_no_attribute_path_is_refused(key):
    written = key if key.startswith("'") else "'" + key.replace("'", "''") + "'"
    problems = refusal(loaded_with(f"{written}: x"))
    assert len(problems) == 1 and problems[0].line == 10 and "is not an attribute path" in problems[0].message
    assert "nested mapping" in problems[0].message


def test_map_keys_inside_a_nested_mapping_are_text_and_accepted():
    loaded = loaded_with("tags: {'${file(\"/etc/hostname\")}': x, 'team:cost': y}", "'tags.owner-team': z")
    assert audit_overrides(loaded) == []


def test_an_allowed_unsafe_override_is_returned_with_its_line_and_reason():
    loaded = loaded_with("'lifecycle.prevent_destroy': false", "provisioner: {local-exec: {command: id}}")
    names = ["aws_s3_bucket.assets.provisioner", "aws_s3_bucket.assets.lifecycle.prevent_destroy"]
    allowed = audit_overrides(loaded, names)
    assert [(item.name, item.line) for item in allowed] == [("aws_s3_bucket.assets.lifecycle.prevent_destroy", 10),
                                                             ("aws_s3_bucket.assets.provisioner", 11)]
    assert allowed[1].as_dict() == {"override": "aws_s3_bucket.assets.provisioner", "line": 11,
                                    "reason": META_ARGUMENTS["provisioner"]}


def test_each_unsafe_override_needs_its_own_allowance():
    loaded = loaded_with("'lifecycle.prevent_destroy': false", "lifecycle: {ignore_changes: all}")
    problems = refusal(loaded, ["aws_s3_bucket.assets.lifecycle.prevent_destroy"])
    assert [problem.path for problem in problems] == ["overrides.aws_s3_bucket.assets.lifecycle"]


def test_an_allowance_that_names_no_unsafe_override_is_a_usage_error():
    with pytest.raises(UsageError, match=r"aws_s3_bucket.assets.force_destroy: no such unsafe override"):
        audit_overrides(loaded_with("count: 1"), ["aws_s3_bucket.assets.count", "aws_s3_bucket.assets.force_destroy"])


def test_a_spec_with_plain_attributes_needs_no_allowance():
    assert audit_overrides(loaded_with("acl: private", "'versioning.enabled': true")) == []


def test_a_run_history_from_before_the_column_records_allowed_unsafe_overrides(tmp_path):
    import sqlalchemy

    from cdktf_app.runs import RunRecord, RunStore
    from cdktf_app.runs.store import runs_table

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    older = sqlalchemy.MetaData()
    sqlalchemy.Table(runs_table.name, older, *(sqlalchemy.Column(column.name, column.type) for column in
                                               runs_table.columns if column.name != "unsafe_overrides"))
    engine = sqlalchemy.create_engine(url)
    older.create_all(engine)
    engine.dispose()
    with RunStore(url) as store:
        store.save(RunRecord(command="deploy", spec_name="shop", spec_file="nexus.yaml", spec_sha256="0" * 64,
                             started_at=1.0, unsafe_overrides=["aws_s3_bucket.assets.lifecycle"]))
        assert [run.unsafe_overrides for run in store.list()] == [["aws_s3_bucket.assets.lifecycle"]]
