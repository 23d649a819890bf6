"""One DataFileError for every data file Nexus loads: `path:line: field: expected ..., got ...`, exit 2, and the
same JSON shape under --log-format json."""
from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.compliance.fixes import load_fixes
from cdktf_app.compliance.packs import load_packs
from cdktf_app.compliance.suppressions import built_in_exemptions
from cdktf_app.errors import DataFileError
from cdktf_app.healing import load_rules
from cdktf_app.paths import repo_root


@pytest.fixture()
def compliance_copy(tmp_path, monkeypatch):
    copy = tmp_path / "compliance"
    shutil.copytree(repo_root() / "compliance", copy)
    monkeypatch.setenv("NEXUS_COMPLIANCE_DIR", str(copy))
    return copy


def break_line(path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[:text.index(old)].count("\n") + 1


def test_a_broken_fix_names_file_line_and_field(compliance_copy):
    fix = compliance_copy / "fixes" / "CKV2_AWS_6.yaml"
    line = break_line(fix, "safety: ", "safety: sometimes # ")
    with pytest.raises(DataFileError) as raised:
        load_fixes()
    assert f"{fix}:{line}:" in str(raised.value)
    assert "safety: expected 'safe' or 'unsafe', got 'sometimes'" in str(raised.value)


def test_a_broken_exemption_names_file_line_and_field(compliance_copy):
    exemptions = compliance_copy / "exemptions.yaml"
    line = break_line(exemptions, "  reason: ", "  reasons: ")
    with pytest.raises(DataFileError) as raised:
        built_in_exemptions()
    problems = {problem.path: problem for problem in raised.value.problems}
    assert (problems["[0].reasons"].file, problems["[0].reasons"].line) == (str(exemptions), line)
    assert "expected no such field" in problems["[0].reasons"].message
    assert problems["[0].reason"].message == "expected a value (required), got nothing"


def test_a_broken_pack_is_the_same_error(compliance_copy):
    pack = compliance_copy / "packs" / "hipaa.yaml"
    line = break_line(pack, "severity: ", "severity: dire # ")
    with pytest.raises(DataFileError) as raised:
        load_packs()
    assert raised.value.problems[0].file == str(pack) and raised.value.problems[0].line == line


def test_unreadable_yaml_in_a_data_file_is_located(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("- id: x\n  class: [unclosed\n", encoding="utf-8")
    with pytest.raises(DataFileError) as raised:
        load_rules(rules)
    assert raised.value.problems[0].file == str(rules) and raised.value.problems[0].line


def test_the_cli_exits_2_with_one_json_object(compliance_copy):
    break_line(compliance_copy / "fixes" / "CKV2_AWS_6.yaml", "safety: ", "safety: sometimes # ")
    result = CliRunner().invoke(cli, ["--log-format", "json", "packs", "checks"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stderr)
    assert error["error"] == "DataFileError" and error["code"] == 2
    assert error["problems"][0]["path"] == "safety" and error["problems"][0]["line"]


@pytest.fixture()
def blueprints_copy(tmp_path, monkeypatch):
    copy = tmp_path / "blueprints"
    shutil.copytree(repo_root() / "blueprints", copy)
    monkeypatch.setenv("NEXUS_BLUEPRINTS_DIR", str(copy))
    return copy


def test_a_broken_blueprint_definition_exits_2_naming_line_column_and_field(blueprints_copy):
    definition = blueprints_copy / "fintech" / "blueprint.yaml"
    line = break_line(definition, "    max: 6\n", "    max: six\n")
    result = CliRunner().invoke(cli, ["blueprints", "render", "fintech", "--set", "zones=3"])
    assert result.exit_code == 2, result.output
    assert f"{definition}:{line}:5: parameters.zones.max: expected an integer, got 'six'" in result.stderr
    assert "Traceback" not in result.output + result.stderr

    result = CliRunner().invoke(cli, ["--log-format", "json", "blueprints", "list"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stderr)
    assert error["error"] == "DataFileError" and error["code"] == 2
    assert error["problems"] == [{"message": "expected an integer, got 'six'", "file": str(definition),
                                  "line": line, "column": 5, "path": "parameters.zones.max"}]


def test_a_wrong_value_from_the_user_stays_a_blueprint_error(blueprints_copy):
    result = CliRunner().invoke(cli, ["--log-format", "json", "blueprints", "render", "fintech", "--set", "zones=9"])
    assert result.exit_code == 2, result.output
    assert json.loads(result.stderr)["error"] == "BlueprintError"
