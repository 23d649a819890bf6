"""Fixes as data: every file is valid, names a check we or checkov have, and turns a finding into a spec edit."""
from __future__ import annotations

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
