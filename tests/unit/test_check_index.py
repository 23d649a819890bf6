"""The check index (id -> check file, fix, packs, cloud) and the consistency of checks/, fixes/ and packs/."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.compliance.check_index import check_index, checkov_check_ids, index_problems
from cdktf_app.compliance.fixes import load_fixes
from cdktf_app.compliance.packs import load_packs, nexus_check_ids
from cdktf_app.paths import repo_root

COMPLIANCE = repo_root() / "compliance"


def test_the_shipped_catalogues_agree():
    index = check_index()
    assert index_problems(index) == []
    assert set(load_fixes()) <= set(index) and set(nexus_check_ids()) <= set(index)
    cited = {check for pack in load_packs().values() for check in pack.check_ids}
    assert all(index[check].source != "missing" for check in cited)
    assert index["NEXUS_AWS_RDS_CMK"].check_file.name == "nexus_aws_rds_cmk.py"
    assert index["CKV_AWS_16"].source == "checkov" and index["CKV_AWS_16"].fix_file.name == "CKV_AWS_16.yaml"


def test_checkov_ids_come_from_the_installed_checkov():
    ids = checkov_check_ids()
    assert {"CKV_AWS_16", "CKV2_AWS_6", "CKV_AWS_24", "CKV_AZURE_9"} <= ids   # Python, JSON graph, check_id=
    assert not any(check.startswith("NEXUS_") for check in ids)


@pytest.fixture()
def broken_compliance(tmp_path, monkeypatch):
    """A copy of compliance/ with a fix for a check that does not exist, a pack citing a Nexus check without a
    file, and a Nexus check (Firestore PITR) that no pack cites any more."""
    copy = tmp_path / "compliance"
    for part in ("checks", "fixes", "packs"):
        shutil.copytree(COMPLIANCE / part, copy / part)
    (copy / "fixes" / "CKV_AWS_99999.yaml").write_text(
        "check: CKV_AWS_99999\nsummary: Encrypt something\nsafety: safe\nwhy: a check that does not exist\n"
        "components: [database]\nset:\n  encrypted: true\n")
    for pack in copy.glob("packs/*.yaml"):
        pack.write_text(pack.read_text().replace("NEXUS_GCP_FIRESTORE_PITR", "NEXUS_GCP_NOPE"))
    monkeypatch.setenv("NEXUS_COMPLIANCE_DIR", str(copy))
    return copy


def test_an_inconsistent_catalogue_is_reported_with_its_files(broken_compliance):
    problems = {(problem.file, problem.message.split(",")[0]) for problem in index_problems(check_index())}
    assert problems == {
        (str(broken_compliance / "fixes" / "CKV_AWS_99999.yaml"), "fixes CKV_AWS_99999"),
        (str(broken_compliance / "packs" / "gdpr.yaml"), "NEXUS_GCP_NOPE is cited by gdpr"),
        (str(broken_compliance / "checks" / "nexus_gcp_firestore_pitr.py"),
         "NEXUS_GCP_FIRESTORE_PITR is cited by no pack: its findings would have no severity"),
    }
    result = CliRunner().invoke(cli, ["packs", "checks"])
    assert result.exit_code == 2 and "CKV_AWS_99999.yaml" in result.output and "Traceback" not in result.output


def test_the_cli_prints_the_index():
    result = CliRunner().invoke(cli, ["packs", "checks", "--check", "NEXUS_AWS_RDS_CMK", "--output", "json"])
    assert result.exit_code == 0, result.output
    entry, = json.loads(result.output)["checks"]
    assert entry["check_file"] == "checks/nexus_aws_rds_cmk.py" and entry["source"] == "nexus"
    assert entry["cloud"] == "aws" and "pci-dss" in entry["packs"]
    table = CliRunner().invoke(cli, ["packs", "checks"], env={"COLUMNS": "200"})
    assert table.exit_code == 0 and f"({len(check_index())} checks)" in table.output
