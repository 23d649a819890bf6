"""Standards packs as data: schema validity, the loader's errors, the severity/control lookups and `nexus packs`."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.compliance.packs import (SEVERITIES, controls_for, get_pack, load_packs, nexus_check_ids, schema_path,
                                        severity_for, severity_rank)
from cdktf_app.errors import DataFileError, UsageError
from cdktf_app.paths import repo_root
from cdktf_app.spec.model import STANDARDS

COMPLIANCE = repo_root() / "compliance"


@pytest.fixture()
def pack_dir(tmp_path, monkeypatch):
    """A private copy of compliance/ that a test may break; NEXUS_COMPLIANCE_DIR points the loader at it."""
    copy = tmp_path / "compliance"
    shutil.copytree(COMPLIANCE / "packs", copy / "packs")
    monkeypatch.setenv("NEXUS_COMPLIANCE_DIR", str(copy))
    return copy / "packs"


def rewrite(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_schema_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(json.loads(schema_path().read_text(encoding="utf-8")))


def test_every_pack_file_validates_against_the_schema():
    validator = jsonschema.Draft202012Validator(json.loads(schema_path().read_text(encoding="utf-8")))
    files = sorted((COMPLIANCE / "packs").glob("*.yaml"))
    assert len(files) == len(STANDARDS)
    for path in files:
        errors = list(validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8"))))
        assert not errors, f"{path.name}: {errors[0].message}"


def test_there_is_one_pack_per_spec_standard_and_it_covers_the_default_version():
    packs = load_packs()
    assert set(packs) == set(STANDARDS)
    for standard, versions in STANDARDS.items():
        assert packs[standard].covers(versions[0]), standard
    assert not packs["pci-dss"].covers("3.2.1"), "PCI 4.0 control ids do not fit a 3.2.1 spec"


def test_packs_are_substantial_and_every_control_is_complete():
    packs = load_packs()
    minimum_controls = {"cis-aws": 60, "cis-gcp": 80, "cis-azure": 90, "pci-dss": 60, "hipaa": 40, "soc2": 35,
                        "gdpr": 10, "iso27001": 30}
    for pack in packs.values():
        assert len(pack.controls) >= minimum_controls[pack.id], pack.id
        assert len(pack.automated_controls) > len(pack.controls) / 3, pack.id
        for control in pack.controls:
            assert control.severity in SEVERITIES
            assert len(control.rationale) >= 40, (pack.id, control.id)
            assert control.manual == (not control.checks), (pack.id, control.id)
    # the regulated standards evidence controls on all three clouds
    for pack_id in ("pci-dss", "hipaa", "soc2"):
        prefixes = {re.sub(r"^(CKV2?|NEXUS)_([A-Z]+)_.*$", r"\2", check) for check in packs[pack_id].check_ids}
        assert prefixes == {"AWS", "GCP", "AZURE"}, pack_id


def test_control_ids_follow_each_standards_public_numbering():
    patterns = {"cis-aws": r"^\d+(\.\d+){1,2}$", "cis-gcp": r"^\d+(\.\d+){1,2}$", "cis-azure": r"^\d+(\.\d+){1,3}$",
                "pci-dss": r"^(\d+\.\d+\.\d+(\.\d+)?|A\d\.\d\.\d)$",
                "hipaa": r"^164\.3(08|10|12|14|16)\(\w\)(\(\w+\))*$",
                "soc2": r"^(CC\d|A1|C1|PI1)\.\d$", "gdpr": r"^Art\. \d+(\(\d\)(\([a-f]\))?)?$",
                "iso27001": r"^A\.[5-8]\.\d{1,2}$"}
    for pack in load_packs().values():
        for control in pack.controls:
            assert re.match(patterns[pack.id], control.id), (pack.id, control.id)


def test_every_nexus_check_cited_by_a_pack_exists_and_every_nexus_check_is_cited():
    ours = set(nexus_check_ids())
    cited = {check for pack in load_packs().values() for check in pack.check_ids if check.startswith("NEXUS_")}
    assert cited <= ours, sorted(cited - ours)
    assert ours <= cited, f"checks no pack uses: {sorted(ours - cited)}"
    assert "NEXUS_AWS_IAM_PRIVILEGE_ESCALATION" in ours and "NEXUS_AZURE_BLOB_READ_LOGGING" in ours


def test_each_check_file_is_named_after_the_one_check_it_registers():
    files = [path.name for path in nexus_check_ids().values()]
    assert sorted(files) == sorted(f"{check.lower()}{path.suffix}" for check, path in nexus_check_ids().items())
    assert len(files) == len(set(files))


def test_no_pack_cites_the_iam_checks_checkov_runs_only_for_hcl():
    hcl_only = {"CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355"}
    for pack in load_packs().values():
        assert not pack.check_ids & hcl_only, pack.id


def test_severity_for_takes_the_highest_severity_among_the_selected_packs():
    # CKV_AWS_17 (public RDS) is critical under CIS AWS 2.2.3 and PCI 1.4.4
    assert severity_for("CKV_AWS_17") == "critical"
    assert severity_for("CKV_AWS_17", ["soc2"]) == "high"
    # NEXUS_AWS_S3_CMK: medium for PCI key management (3.6.1), high under HIPAA encryption (164.312(a)(2)(iv))
    assert severity_for("NEXUS_AWS_S3_CMK", ["pci-dss"]) == "medium"
    assert severity_for("NEXUS_AWS_S3_CMK", ["pci-dss", "hipaa"]) == "high"
    assert severity_for("CKV_AWS_17", ["gdpr", "cis-gcp"]) == "high"
    assert severity_for("CKV_GCP_60", ["cis-aws"]) is None
    assert severity_for("CKV_NOT_A_CHECK") is None


def test_controls_for_lists_pack_and_control_sorted():
    controls = controls_for("CKV_AWS_17", ["pci-dss", "hipaa", "cis-aws"])
    assert controls == sorted(controls)
    assert {"cis-aws 2.2.3", "hipaa 164.312(a)(1)", "pci-dss 1.4.4"} <= set(controls)
    assert all(item.split(" ", 1)[0] in {"pci-dss", "hipaa", "cis-aws"} for item in controls)
    assert controls_for("CKV_NOT_A_CHECK", None) == []


def test_an_unknown_standard_is_a_usage_error():
    with pytest.raises(UsageError, match="no pack for standard nist"):
        severity_for("CKV_AWS_17", ["nist"])
    with pytest.raises(UsageError, match="unknown pack 'nope'"):
        get_pack("nope")


def test_severity_rank_orders_severities():
    assert [severity_rank(s) for s in SEVERITIES] == [0, 1, 2, 3]
    with pytest.raises(ValueError):
        severity_rank("urgent")


def test_a_bad_severity_is_reported_with_file_line_and_field(pack_dir):
    rewrite(pack_dir / "gdpr.yaml", "severity: low", "severity: urgent")
    with pytest.raises(DataFileError) as raised:
        load_packs()
    message = str(raised.value)
    assert "gdpr.yaml:" in message and "controls[0].severity" in message and "'urgent'" in message
    line = int(re.search(r"gdpr\.yaml:(\d+)", message).group(1))
    assert "urgent" in (pack_dir / "gdpr.yaml").read_text().splitlines()[line - 1]
    assert raised.value.exit_code == 2


def test_consistency_problems_are_reported_together(pack_dir):
    rewrite(pack_dir / "soc2.yaml", 'id: "CC1.3"', 'id: "CC1.1"')                     # duplicate control id
    rewrite(pack_dir / "cis-gcp.yaml", "checks: [CKV2_GCP_3]", "checks: [CKV_AWS_17]")   # another cloud's check
    rewrite(pack_dir / "gdpr.yaml", "id: gdpr", "id: gdpr2")                            # id != file name
    with pytest.raises(DataFileError) as raised:
        load_packs()
    message = str(raised.value)
    assert "duplicate control id 'CC1.1'" in message
    assert "CKV_AWS_17 is for aws, which is not among the pack's clouds (gcp)" in message
    assert "id 'gdpr2' must equal the file name 'gdpr'" in message
    assert "'gdpr2' is not a spec standard" in message
    assert "4 problems in Nexus data files" in message


def test_a_control_without_checks_must_say_it_is_manual(pack_dir):
    rewrite(pack_dir / "gdpr.yaml", "    manual: true\n", "", )
    with pytest.raises(DataFileError, match=r"gdpr\.yaml:\d+:\d+: controls\[2\]\.checks: expected a value \(required\), "
                                             "got nothing"):
        load_packs()


def test_broken_yaml_and_a_missing_folder_are_clear_errors(pack_dir, monkeypatch, tmp_path):
    (pack_dir / "hipaa.yaml").write_text("id: hipaa\ncontrols: [\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=r"hipaa\.yaml:\d+:\d+: invalid YAML"):
        load_packs()
    monkeypatch.setenv("NEXUS_COMPLIANCE_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(DataFileError, match="is not a directory"):
        load_packs()


def test_packs_are_cached_until_a_file_changes(pack_dir):
    first = load_packs()
    assert load_packs() is first
    rewrite(pack_dir / "gdpr.yaml", "title: Storage limitation", "title: Storage limitation (edited)")
    reloaded = load_packs()
    assert reloaded is not first
    assert reloaded["gdpr"].controls[0].title == "Storage limitation (edited)"


def test_packs_list_prints_automated_and_manual_counts_per_pack():
    result = CliRunner().invoke(cli, ["packs", "list", "--output", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.output)["packs"]}
    for pack in load_packs().values():
        row = rows[pack.id]
        assert (row["automated"], row["manual"]) == (len(pack.automated_controls), len(pack.manual_controls))
        assert row["controls"] == row["automated"] + row["manual"]
    table = CliRunner().invoke(cli, ["packs", "list"], env={"COLUMNS": "160"})
    assert table.exit_code == 0
    hipaa = next(line for line in table.output.splitlines() if "│ hipaa" in line)
    counts = [int(cell) for cell in re.findall(r"│\s+(\d+)\s+(?=│)", hipaa)]
    assert counts[:3] == [rows["hipaa"]["controls"], rows["hipaa"]["automated"], rows["hipaa"]["manual"]]


def test_packs_show_lists_controls_and_filters_them():
    result = CliRunner().invoke(cli, ["packs", "show", "hipaa"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "164.312(a)(2)(iv)" in result.output and "manual" in result.output
    filtered = CliRunner().invoke(cli, ["packs", "show", "pci-dss", "--check", "CKV_AWS_17", "--output", "json"])
    ids = [control["id"] for control in json.loads(filtered.output)["controls"]]
    assert ids == [c.split(" ", 1)[1] for c in controls_for("CKV_AWS_17", ["pci-dss"])]
    manual = json.loads(CliRunner().invoke(cli, ["packs", "show", "cis-aws", "--manual", "--output", "json"]).output)
    assert manual["controls"] and all(control["manual"] for control in manual["controls"])


def test_packs_show_of_an_unknown_pack_exits_2_without_a_traceback():
    result = CliRunner().invoke(cli, ["packs", "show", "nist-800-53"])
    assert result.exit_code == 2
    assert "unknown pack 'nist-800-53'" in result.output and "Traceback" not in result.output
