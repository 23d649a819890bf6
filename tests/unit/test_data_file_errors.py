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
from cdktf_app.cost import load_catalogue
from cdktf_app.cost.catalogue import CATALOGUE_DIR
from cdktf_app.errors import DataFileError
from cdktf_app.healing import load_rules
from cdktf_app.paths import repo_root


def data_copy(tmp_path, monkeypatch, folder: str, variable: str):
    """A copy of Nexus' data FOLDER that the environment VARIABLE points Nexus at."""
    copy = tmp_path / folder
    shutil.copytree(repo_root() / folder, copy)
    monkeypatch.setenv(variable, str(copy))
    return copy


@pytest.fixture()
def compliance_copy(tmp_path, monkeypatch):
    return data_copy(tmp_path, monkeypatch, "compliance", "NEXUS_COMPLIANCE_DIR")


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
    return data_copy(tmp_path, monkeypatch, "blueprints", "NEXUS_BLUEPRINTS_DIR")


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


@pytest.fixture()
def catalogue_copy(tmp_path, monkeypatch):
    copy = tmp_path / "catalogue"
    shutil.copytree(CATALOGUE_DIR, copy)
    monkeypatch.setenv("NEXUS_PRICE_CATALOGUE_DIR", str(copy))
    return copy


EC2_ENTRY = ("  ec2_instance:\n    description: EC2 instance, Linux on-demand\n    unit: hour\n"
             "    source: https://aws.amazon.com/ec2/pricing/on-demand/\n    verified: \"2025-06-01\"\n")


@pytest.mark.parametrize("cloud, old, new, column, message", [
    ("aws", "    unit: hour\n", "    unit: hours\n", 5, "prices.ec2_instance.unit: expected one of 'hour', "),
    ("aws", '    verified: "2025-06-01"\n', '    verified: "2025-06-31"\n', 5,
     "prices.ec2_instance.verified: expected a valid date, got '2025-06-31'"),
    ("aws", '    verified: "2025-06-01"\n', "    verified: 2025-06-01\n", 5,
     "prices.ec2_instance.verified: expected a string, got datetime.date(2025, 6, 1)"),
    ("aws", EC2_ENTRY, EC2_ENTRY + "    derived_from: a regional uplift\n", 3,
     "prices.ec2_instance: expected either verified (the day it was read from the source) or derived_from (the "
     "rule that produced it), got verified and derived_from"),
    ("aws", EC2_ENTRY, EC2_ENTRY.replace('    verified: "2025-06-01"\n', ""), 3,
     "prices.ec2_instance: expected either verified (the day it was read from the source) or derived_from (the "
     "rule that produced it), got neither"),
    ("aws", "us-east-1: {amount: 0.0256, derived_from: &valkey", "us-east-1: {amount: 0.0256, derived: &valkey", 37,
     "prices.elasticache_node.skus.valkey/cache.t4g.small.us-east-1.derived: expected one of amount, source, "
     "verified, derived_from, got 'derived'"),
    ("aws", "us-east-1: {amount: 0.0256,", "us-east-1: {amount: .inf,", 21,
     "prices.elasticache_node.skus.valkey/cache.t4g.small.us-east-1.amount: expected a number <= 1000000, got inf"),
    ("aws", "    source: https://aws.amazon.com/ec2/pricing/on-demand/\n",
     "    source: http://aws.amazon.com/ec2/pricing/on-demand/\n", 5,
     "prices.ec2_instance.source: expected text matching "),
    ("aws", "t3.small:    {us-east-1: 0.0208,", "t3.small:    {us-east-1: .nan,", 21,
     "prices.ec2_instance.skus.t3.small.us-east-1: expected a finite number, got nan"),
    ("gcp", "    regions: {", "    regions: {us-east1: -0.5, ", 15,
     "regions.us-east1: expected a number >= 0, got -0.5"),
    ("azure", "    azurerm_resource_group: configuration\n", "    aws_vpc: configuration\n", 5,
     "free.types.aws_vpc: expected a azure resource type, got 'aws_vpc'"),
    ("azure", "  source: https://azure.microsoft.com/pricing/details/virtual-network/ ",
     "  sources: https://azure.microsoft.com/pricing/details/virtual-network/ ", 3, "free.sources: expected one of source, verified, types, "
                                                         "got 'sources'"),
])
def test_a_broken_price_catalogue_names_file_line_and_field(catalogue_copy, cloud, old, new, column, message):
    prices = catalogue_copy / f"{cloud}.yaml"
    line = break_line(prices, old, new)
    with pytest.raises(DataFileError) as raised:
        load_catalogue()
    found = [str(problem) for problem in raised.value.problems]
    assert any(problem.startswith(f"{prices}:{line}:{column}: ") and message in problem for problem in found), found


def test_the_shipped_catalogue_loads_and_a_broken_one_stops_nexus_cost(catalogue_copy, tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text("apiVersion: nexus/v1\nname: shop\nproviders:\n  aws: {region: eu-west-1}\n"
                    "components:\n  files: {type: bucket}\n", encoding="utf-8")
    assert CliRunner().invoke(cli, ["cost", str(spec), "--output", "json"]).exit_code == 0
    prices = catalogue_copy / "aws.yaml"
    line = break_line(prices, "    regions: {", "    regions: {sa-east-1: .inf, ")
    result = CliRunner().invoke(cli, ["--log-format", "json", "cost", str(spec), "--output", "json"])
    assert result.exit_code == 2, result.output
    error = json.loads(result.stderr)
    assert error["error"] == "DataFileError" and error["code"] == 2
    assert error["problems"] == [{"message": "expected a number <= 1000000, got inf", "file": str(prices), "line": line,
                                  "column": 15, "path": "prices.ebs_gp3.regions.sa-east-1"}]
