"""Fixes as data: every file is valid, names a check we or checkov have, and turns a finding into a spec edit."""
from __future__ import annotations

from dataclasses import replace

import pytest

from cdktf_app.compliance.fixes import Fix, _load, load_fixes
from cdktf_app.compliance.packs import nexus_check_ids
from cdktf_app.errors import DataFileError
from cdktf_app.paths import compliance_dir
from cdktf_app.spec.loader import load_spec_text
from tests.helpers import AWS_SPEC_HEAD, make_finding

SPEC = AWS_SPEC_HEAD + """\
components:
  db: {type: database, public: true, backup_retention_days: 0}
  assets: {type: bucket}
overrides:
  aws_lb.web_lb: {idle_timeout: 120}
"""



def test_every_fix_file_loads_and_is_named_after_its_check():
    fixes = load_fixes()
    assert len(fixes) >= 40
    for check_id, fix in fixes.items():
        assert (compliance_dir() / "fixes" / f"{check_id}.yaml").exists()
        assert fix.safety in ("safe", "unsafe") and fix.why


def test_our_own_fixes_name_existing_nexus_checks():
    ours = nexus_check_ids()
    for check_id in load_fixes():
        if check_id.startswith("NEXUS_"):
            assert check_id in ours


def test_component_fix_edits_only_what_differs():
    loaded = load_spec_text(SPEC)
    fixes = load_fixes()
    edit = fixes["CKV_AWS_17"].edit_for(make_finding("CKV_AWS_17", "aws_db_instance.db", "db"), loaded)
    assert (edit.path, edit.values, edit.safety) == (("components", "db"), (("public", False),), "unsafe")
    backups = fixes["CKV_AWS_133"].edit_for(make_finding("CKV_AWS_133", "aws_db_instance.db", "db"), loaded)
    assert backups.values == (("backup_retention_days", 7),) and backups.safety == "safe"
    # the bucket is already encrypted: a fix that changes nothing is not offered
    assert fixes["CKV_AWS_145"].edit_for(make_finding("CKV_AWS_145", "aws_s3_bucket.assets", "assets"), loaded) is None
    # a fix for another component type does not apply
    assert fixes["CKV_AWS_17"].edit_for(make_finding("CKV_AWS_17", "aws_s3_bucket.assets", "assets"), loaded) is None
    # resources without a component (provider plumbing) cannot be fixed in the spec
    assert fixes["CKV_AWS_17"].edit_for(make_finding("CKV_AWS_17", "aws_db_instance.db", None), loaded) is None


def test_override_fix_merges_with_existing_overrides():
    fix = Fix(check="CKV_AWS_150", summary="Protect the load balancer", safety="unsafe",
              why="deletes fail until it is turned off", override={"enable_deletion_protection": True})
    loaded = load_spec_text(SPEC)
    edit = fix.edit_for(make_finding("CKV_AWS_150", "aws_lb.web_lb", "web"), loaded)
    assert edit.path == ("overrides", "aws_lb.web_lb")
    assert edit.values == (("enable_deletion_protection", True),)


def test_malformed_fix_files_are_rejected(tmp_path):
    (tmp_path / "CKV_X_1.yaml").write_text("check: CKV_X_1\nsummary: both kinds\nsafety: safe\nwhy: not allowed here\n"
                                           "components: [bucket]\nset: {public: false}\noverride: {a: 1}\n")
    with pytest.raises(DataFileError, match="exactly one of"):
        _load(tmp_path)
    (tmp_path / "CKV_X_1.yaml").write_text("check: CKV_X_1\nsummary: no such key\nsafety: safe\nwhy: a typo in a key\n"
                                           "components: [bucket]\nset: {publik: false}\n")
    _load.cache_clear()
    with pytest.raises(DataFileError, match="no setting publik"):
        _load(tmp_path)
    (tmp_path / "CKV_X_1.yaml").write_text("check: CKV_X_2\nsummary: wrong file\nsafety: safe\nwhy: named for another\n"
                                           "components: [bucket]\nset: {public: false}\n")
    _load.cache_clear()
    with pytest.raises(DataFileError, match="named after its check"):
        _load(tmp_path)


SECRETS_SPEC = AWS_SPEC_HEAD + """\
secrets:
  api_key: {kind: generated, from: aws-secrets-manager}
  slow_key: {kind: generated, from: aws-secrets-manager, rotation: {days: 365}}
  partner: {from: aws-secrets-manager, name: partner/api}
"""


@pytest.mark.parametrize("check", ["NEXUS_AWS_SECRET_ROTATION", "CKV_AWS_304", "NEXUS_GCP_SECRET_ROTATION",
                                   "CKV_AZURE_41"])
def test_rotation_fixes_add_rotation_to_the_spec_secret_a_resource_came_from(check):
    loaded = load_spec_text(SECRETS_SPEC)
    fix = load_fixes()[check]

    def edit_of(name, address="aws_secretsmanager_secret.x"):
        return fix.edit_for(make_finding(check, address, name, spec_path=f"secrets.{name}"), loaded)

    edit = edit_of("api_key")
    assert (edit.path, edit.values, edit.safety) == (("secrets", "api_key"), (("rotation", {"days": 90}),), "safe")
    assert edit_of("slow_key").values == (("rotation", {"days": 90}),)
    # an external secret is rotated by its owner: the model refuses rotation there, so no fix is offered
    assert edit_of("partner") is None
    # a component of the same name is not a secret
    assert fix.edit_for(make_finding(check, "aws_s3_bucket.api_key", "api_key", spec_path="components.api_key"),
                        loaded) is None


def test_the_rotation_fix_edits_the_spec_text_and_the_result_loads():
    from cdktf_app.compliance.spec_edit import apply_edits

    loaded = load_spec_text(SECRETS_SPEC)
    edit = load_fixes()["NEXUS_AWS_SECRET_ROTATION"].edit_for(
        make_finding("NEXUS_AWS_SECRET_ROTATION", "aws_secretsmanager_secret.api_key", "api_key",
                     spec_path="secrets.api_key"), loaded)
    fixed = load_spec_text(apply_edits(SECRETS_SPEC, [edit]))
    assert fixed.spec.secrets["api_key"].rotation.days == 90
    assert fixed.spec.secrets["slow_key"].rotation.days == 365


def test_a_secret_fix_names_only_settings_a_secret_has(tmp_path):
    (tmp_path / "CKV_X_1.yaml").write_text("check: CKV_X_1\nsummary: a typo\nsafety: safe\nwhy: a typo in a key\n"
                                           "secret: {rotatoin: {days: 90}}\n")
    _load.cache_clear()
    with pytest.raises(DataFileError, match="a secret has no setting rotatoin"):
        _load(tmp_path)


def test_fixes_that_set_a_mapping_are_planned_once_and_described_as_yaml():
    """A secret fix sets `rotation: {days: 90}`, a mapping: planning used the values as a dict key (TypeError)."""
    from cdktf_app.compliance.findings import CheckReport
    from cdktf_app.compliance.remediate import planned_edits

    loaded = load_spec_text(SECRETS_SPEC)
    fix = load_fixes()["NEXUS_AWS_SECRET_ROTATION"]
    findings = [make_finding("NEXUS_AWS_SECRET_ROTATION", "aws_secretsmanager_secret.api_key", "api_key",
                             spec_path="secrets.api_key", stack=stack) for stack in ("shop-dev-aws", "shop-prod-aws")]
    findings = [replace(finding, fix=fix.edit_for(finding, loaded)) for finding in findings]
    edits, held_back = planned_edits(CheckReport(findings=findings, passed_count=0, standards=(), stacks=()),
                                     unsafe=False)
    assert len(edits) == 1 and held_back == []
    assert edits[0].describe().startswith("secrets.api_key: rotation: {days: 90}  (NEXUS_AWS_SECRET_ROTATION, safe")


def test_a_component_fix_leaves_a_secret_of_the_same_name_alone():
    loaded = load_spec_text(AWS_SPEC_HEAD + "components:\n  api_key: {type: database, public: true}\n"
                            "secrets:\n  api_key: {kind: generated, from: aws-secrets-manager}\n")
    fix = load_fixes()["CKV_AWS_17"]
    from_secret = make_finding("CKV_AWS_17", "aws_secretsmanager_secret.secret_api_key", "api_key",
                               spec_path="secrets.api_key")
    assert fix.edit_for(from_secret, loaded) is None
    from_component = make_finding("CKV_AWS_17", "aws_db_instance.api_key", "api_key", spec_path="components.api_key")
    assert fix.edit_for(from_component, loaded).path == ("components", "api_key")
