"""`nexus optimize --env dev` on every blueprint rendered as a dev-only spec: savings found, each priced, the
applied spec still passes `nexus check` at its gate, and the total is `nexus cost --compare` of before and after
to the cent. Real synth, real checkov (the session worker for the library calls), the real price catalogue."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.blueprints.catalog import list_blueprints, render_blueprint
from cdktf_app.cli.main import cli
from cdktf_app.compliance import check
from cdktf_app.optimize import load_rules, optimize
from tests.helpers import aws_spec, write_spec

BLUEPRINTS = [blueprint.name for blueprint in list_blueprints()]


def dev_spec(folder: Path, blueprint: str, environments: list[str]) -> Path:
    return write_spec(folder, render_blueprint(blueprint, {"environments": environments}))


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_optimize_dev_finds_priced_savings_that_pass_the_gate_and_match_cost_compare(blueprint, tmp_path,
                                                                                     monkeypatch, checkov_worker):
    monkeypatch.chdir(tmp_path)
    spec = dev_spec(tmp_path, blueprint, ["dev"])
    (tmp_path / "before.yaml").write_bytes(spec.read_bytes())
    runner = CliRunner()

    optimized = runner.invoke(cli, ["optimize", "nexus.yaml", "--env", "dev", "--apply", "--output", "json"])

    assert optimized.exit_code == 0, optimized.output
    report = json.loads(optimized.stdout)
    assert report["applied"] and report["recommendations"], report["skipped"]
    assert all(item["monthly_saving"] > 0 and item["risk"] for item in report["recommendations"])
    assert round(sum(item["monthly_saving"] for item in report["recommendations"]), 2) == report["monthly_saving"]
    text = spec.read_text(encoding="utf-8")
    assert all(f"# nexus optimize: {item['rule']}" in text for item in report["recommendations"])
    gate = check(spec, worker=checkov_worker)
    assert gate.blocking(report["gate"]) == []
    compared = runner.invoke(cli, ["cost", "before.yaml", "--compare", "nexus.yaml", "--output", "json"])
    assert compared.exit_code == 0, compared.output
    delta = json.loads(compared.stdout)
    assert (delta["before"], delta["after"]) == (report["before"], report["after"])
    assert delta["delta_monthly"] == -report["monthly_saving"] < 0


def test_the_readme_example_lists_the_savings_then_applies_them(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)     # the explanations from the rules' templates
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    runner = CliRunner()
    rendered = runner.invoke(cli, ["blueprints", "render", "fintech", "--set", "environments=dev", "-o", "nexus.yaml"])
    assert rendered.exit_code == 0, rendered.output
    spec = tmp_path / "nexus.yaml"
    before = spec.read_bytes()

    listed = runner.invoke(cli, ["optimize", "nexus.yaml", "--env", "dev", "--output", "markdown"])

    assert listed.exit_code == 0, listed.output
    assert listed.stdout.startswith("## 6 saving(s) for nexus.yaml (dev): ")
    assert "| dev-database-single-az | `components.db` | `high_availability: false` | $" in listed.stdout
    assert "+    high_availability: false  # nexus optimize: dev-database-single-az" in listed.stdout
    assert "**In plain words** (by the rules' templates):\n\n- dev-cache-replicas on `cache`: The cache called " \
        "cache in dev keeps a spare copy in another zone" in listed.stdout
    assert spec.read_bytes() == before

    applied = runner.invoke(cli, ["optimize", "nexus.yaml", "--env", "dev", "--apply"])

    assert applied.exit_code == 0, applied.output
    assert "saving(s) applied to nexus.yaml" in applied.output
    assert "high_availability: false  # nexus optimize: dev-database-single-az" in spec.read_text(encoding="utf-8")


def test_a_dev_rule_is_not_applied_when_the_spec_also_builds_prod(tmp_path, checkov_worker):
    spec = dev_spec(tmp_path, "fintech", ["dev", "prod"])
    before = spec.read_bytes()

    result = optimize(spec, "dev", apply=True, worker=checkov_worker)

    assert result.recommendations == [] and not result.applied and result.monthly_saving == 0
    assert {item.rule for item in result.skipped} >= {"dev-database-single-az", "dev-service-min-tasks"}
    assert all("also builds prod" in item.reason for item in result.skipped)
    assert spec.read_bytes() == before


def test_an_edit_that_would_fail_the_gate_is_never_proposed(tmp_path, checkov_worker):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "dev-no-flow-logs.yaml").write_text(
        "id: dev-no-flow-logs\nsummary: No flow logs outside production\ncomponent: network\nenvironments: [dev]\n"
        "when: {flow_logs: [true]}\nset: {flow_logs: false}\nrisk: No record of the network's traffic.\n",
        encoding="utf-8")
    spec = dev_spec(tmp_path, "fintech", ["dev"])

    result = optimize(spec, "dev", worker=checkov_worker, rules=load_rules(rules))

    assert result.recommendations == []
    [skipped] = result.skipped
    assert skipped.rule == "dev-no-flow-logs" and "would fail the compliance gate (high): CKV2_AWS_11" in skipped.reason


def test_observed_utilisation_right_sizes_a_service_in_every_environment(tmp_path, monkeypatch):
    """The README's --utilisation example: the rule applies to prod (and so to dev, the same spec) from the file."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli, ["blueprints", "render", "fintech", "-o", "nexus.yaml"]).exit_code == 0
    (tmp_path / "utilisation.yaml").write_text(UTILISATION, encoding="utf-8")

    result = runner.invoke(cli, ["optimize", "nexus.yaml", "--env", "prod", "--utilisation", "utilisation.yaml"])

    assert result.exit_code == 0, result.output
    [row] = [line for line in result.output.splitlines() if "service-cpu-underused" in line and "components." in line]
    assert "components.api" in row and "cpu: 512, memory: 1024" in row
    assert "1 saving(s) for nexus.yaml (prod): " in result.output
    assert "  service-cpu-underused on api: Measured use of the service called api stays well under half" \
        in result.output
    assert "skipped dev-service-min-tasks on web: the spec also builds dev" not in result.output


UTILISATION = """\
# p95 over November, in per cent of what each component has (from CloudWatch or Cloud Monitoring)
period: prod, 2026-11
components:
  api: {cpu_p95: 12.5, memory_p95: 31}
  web: {cpu_p95: 70, memory_p95: 20}
"""


FUNCTIONS = aws_spec("hooks", """\
compliance:
  suppressions:
    - check: CKV_AWS_117
      resource: "*"
      reason: the hooks call only public HTTPS APIs; nothing they reach lives in a VPC
components:
  hook: {type: function}
  build: {type: function, runtime: go1.x}
""")


def test_graviton_a_dev_function_moves_to_arm64_priced_from_the_catalogue_and_passing_the_gate(tmp_path,
                                                                                              checkov_worker):
    spec = write_spec(tmp_path, FUNCTIONS)
    (tmp_path / "before.yaml").write_bytes(spec.read_bytes())

    result = optimize(spec, "dev", apply=True, worker=checkov_worker)

    [graviton] = [item for item in result.recommendations if item.rule.id == "dev-function-arm64"]
    assert graviton.component == "hook" and dict(graviton.edit.values) == {"architecture": "arm64"}
    assert graviton.saving > 0           # the catalogue's lambda_compute_arm against lambda_compute
    assert "Graviton" in graviton.explanation and f"${graviton.saving:,.2f}" in graviton.explanation
    # a Go handler is a binary built for one processor: never moved
    assert all(item.component != "build" for item in result.recommendations if item.rule.id == "dev-function-arm64")
    assert check(spec, worker=checkov_worker).blocking(result.gate) == []
    compared = CliRunner().invoke(cli, ["cost", str(tmp_path / "before.yaml"), "--compare", str(spec),
                                        "--output", "json"])
    assert json.loads(compared.stdout)["delta_monthly"] == -result.monthly_saving < 0
    synthesized = CliRunner().invoke(cli, ["synth", str(spec), "--out", str(tmp_path / "out")])
    assert synthesized.exit_code == 0, synthesized.output
    functions = json.loads(next((tmp_path / "out").rglob("cdk.tf.json")).read_text())["resource"][
        "aws_lambda_function"]
    assert {name: body.get("architectures") for name, body in functions.items()} == {"hook": ["arm64"],
                                                                                    "build": None}
