"""`nexus check --fix --unsafe-fixes` on a weakened GCP spec (real synth, real checkov): a public bucket, an
unencrypted BigQuery dataset and a Firestore database with neither CMEK nor delete protection are found, and the fix
loop leaves no finding on any of them."""
from __future__ import annotations

import pytest

from cdktf_app.compliance import check, fix
from cdktf_app.spec.loader import load_spec

WEAK_GCP = """\
apiVersion: nexus/v1
name: weakgcp
providers:
  gcp: {project: acme-weak-123, region: europe-west1}
environments: [dev]
compliance:
  standards: [{hipaa: "2013"}, {cis-gcp: "3.0"}, {soc2: type2}]
components:
  assets: {type: bucket, public: true}
  wh: {type: warehouse, encrypted: false}
  docs: {type: document_store, encrypted: false, deletion_protection: false}
"""
WEAKENED = ("assets", "wh", "docs")


def findings_on(report, components=WEAKENED) -> set[tuple[str, str]]:
    return {(finding.component, finding.check_id) for finding in report.active if finding.component in components}


@pytest.fixture(scope="module")
def weak_spec(tmp_path_factory):
    path = tmp_path_factory.mktemp("weak-gcp") / "nexus.yaml"
    path.write_text(WEAK_GCP, encoding="utf-8")
    return path


def test_firestore_without_cmek_or_delete_protection_is_found(weak_spec, checkov_worker):
    found = findings_on(check(weak_spec, worker=checkov_worker), ("docs",))
    assert {("docs", "NEXUS_GCP_CMEK"), ("docs", "NEXUS_GCP_FIRESTORE_DELETE_PROTECTION")} <= found
    assert ("docs", "NEXUS_GCP_REQUIRED_LABELS") not in found, "Firestore has no labels to carry the tags"


def test_unsafe_fixes_leave_no_finding_on_the_weakened_gcp_components(weak_spec, tmp_path, checkov_worker):
    spec_path = tmp_path / "nexus.yaml"
    spec_path.write_text(WEAK_GCP, encoding="utf-8")
    result = fix(spec_path, unsafe=True, worker=checkov_worker)
    assert findings_on(result.report) == set()
    components = load_spec(spec_path).spec.components
    assert components["assets"].public is False
    assert components["wh"].encrypted is True
    assert (components["docs"].encrypted, components["docs"].deletion_protection) == (True, True)
    fixed_by = {edit.check_id for edit in result.edits}
    assert {"CKV_GCP_114", "NEXUS_GCP_FIRESTORE_DELETE_PROTECTION"} <= fixed_by, fixed_by


def test_safe_fixes_alone_encrypt_the_dataset_and_keep_the_bucket_public(tmp_path, checkov_worker):
    spec_path = tmp_path / "nexus.yaml"
    spec_path.write_text(WEAK_GCP.replace("{hipaa: \"2013\"}, ", ""), encoding="utf-8")
    result = fix(spec_path, unsafe=False, worker=checkov_worker)
    components = load_spec(spec_path).spec.components
    assert components["wh"].encrypted is True
    assert components["assets"].public is True and components["docs"].deletion_protection is False
    assert {edit.check_id for edit in result.skipped_unsafe} >= {"NEXUS_GCP_FIRESTORE_DELETE_PROTECTION"}
