"""Piped output (stdout not a terminal, as under CliRunner, `| less` or `> file`) is never cut to 80 columns:
parameter names, run ids, spec names and error classes appear whole, with no ellipsis; and `check` and `cost`
print their results as JSON under --log-format json."""
from __future__ import annotations

import json
import time

from click.testing import CliRunner

from cdktf_app.blueprints.catalog import get_blueprint
from cdktf_app.cli.main import cli
from cdktf_app.runs import RunStore, runs_url
from cdktf_app.runs.record import RunRecord
from tests.helpers import TINY_SPEC, write_spec



def test_blueprints_show_lists_every_parameter_whole():
    result = CliRunner().invoke(cli, ["blueprints", "show", "healthcare"])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    lines = result.output.splitlines()
    for parameter in get_blueprint("healthcare").parameters:
        assert any(f" {parameter.name} " in line for line in lines), parameter.name
        assert " ".join(parameter.description.split()) in result.output       # one row, not wrapped


def test_runs_list_shows_every_column_whole(tmp_path):
    long_name = "patient-portal-with-a-rather-long-name"
    error = "ProviderCredentialsMissingError"
    record = RunRecord(command="deploy", spec_name=long_name, spec_file="nexus.yaml", spec_sha256="a" * 64,
                       started_at=time.time() - 60, finished_at=time.time(), outcome="failed", error_class=error,
                       sandbox=True, added=12, changed=3, destroyed=1)
    (tmp_path / ".nexus").mkdir()
    with RunStore(runs_url(tmp_path)) as store:
        store.save(record)
    result = CliRunner().invoke(cli, ["runs", "list", "--project", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "…" not in result.output
    row = next(line for line in result.output.splitlines() if record.id in line)
    for cell in (long_name, error, "deploy (sandbox)", "failed", "60.0"):
        assert cell in row


def test_check_and_cost_results_are_json_under_log_format_json(tmp_path):
    spec = write_spec(tmp_path, TINY_SPEC)
    runner = CliRunner()
    cost = runner.invoke(cli, ["--log-format", "json", "cost", str(spec)])
    assert cost.exit_code == 0, cost.output
    assert json.loads(cost.stdout)["total_monthly"] > 0
    compared = runner.invoke(cli, ["--log-format", "json", "cost", str(spec), "--compare", str(spec)])
    assert compared.exit_code == 0 and json.loads(compared.stdout)["delta_monthly"] == 0
    check = runner.invoke(cli, ["--log-format", "json", "check", str(spec)])
    assert check.exit_code in (0, 1), check.output
    report = json.loads(check.stdout)
    assert set(report["by_severity"]) == {"critical", "high", "medium", "low"}
    assert all(finding["address"].startswith("aws_") for finding in report["findings"])
