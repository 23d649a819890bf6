"""Optimization rules are data: each file is checked (schema, file name, component settings) and a mistake is a
DataFileError naming file, line and field (exit 2); `--env` must be one of the spec's environments."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.errors import DataFileError
from cdktf_app.optimize import load_rules
from cdktf_app.spec.model import component_class
from tests.helpers import PAYMENTS_SPEC, write_spec

GOOD = ("id: dev-db\nsummary: Smaller database\ncomponent: database\nenvironments: [dev]\n"
        "when:\n  size: [medium]\nset:\n  size: small\nrisk: Fewer vCPUs for the database.\n")


def test_every_shipped_rule_reads_and_sets_only_settings_of_its_component():
    rules = load_rules()
    assert {rule.component for rule in rules} >= {"database", "cache", "service", "kubernetes"}
    for rule in rules:
        fields = component_class(rule.component).model_fields
        assert {key for key, _ in rule.when + rule.set} <= set(fields), rule.id


def test_every_shipped_rule_explains_itself_in_plain_words():
    for rule in load_rules():
        text = rule.explain("api", "dev", "$12.34")
        assert rule.explanation and "api" in text and "$12.34" in text and "{" not in text, rule.id


@pytest.mark.parametrize("name, text, where", [
    ("dev-db.yaml", GOOD.replace("size: small", "flavour: small"),
     "dev-db.yaml:8:3: set.flavour: expected a setting of database, got 'flavour'"),
    ("dev-db.yaml", GOOD.replace("component: database", "component: mainframe"),
     "dev-db.yaml:3:1: component: expected a component type"),
    ("other.yaml", GOOD, "other.yaml:1:1: id: expected 'other' (a rule file is named after its id)"),
    ("dev-db.yaml", GOOD.replace("risk: Fewer vCPUs for the database.\n", ""),
     "dev-db.yaml:1:1: risk: expected a value (required)"),
    ("dev-db.yaml", GOOD.replace("[medium]", "{below: 3}"),
     "dev-db.yaml:6:3: when.size: expected a list of values or {above: N}, got {'below': 3}"),
    ("dev-db.yaml", GOOD.replace("[medium]", "{above: true}"),
     "dev-db.yaml:6:3: when.size: expected a list of values or {above: N}, got {'above': True}"),
    ("dev-db.yaml", GOOD + "explanation: The {component} database costs {price} a month less.\n",
     "dev-db.yaml:10:1: explanation: expected a template of {component}, {environment}, {saving} only, got 'price'"),
])
def test_a_broken_rule_file_is_a_located_data_file_error(tmp_path, name, text, where):
    (tmp_path / name).write_text(text, encoding="utf-8")

    with pytest.raises(DataFileError) as raised:
        load_rules(tmp_path)

    assert where in str(raised.value)


def test_an_environment_the_spec_does_not_build_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, PAYMENTS_SPEC)

    result = CliRunner().invoke(cli, ["--log-format", "json", "optimize", "nexus.yaml", "--env", "prod"])

    assert result.exit_code == 2
    error = json.loads(result.stderr.splitlines()[0])
    assert "--env prod" in error["message"] and "builds dev" in error["message"]


def test_a_utilisation_rule_needs_the_observed_figures_below_its_bounds():
    [rule] = [rule for rule in load_rules() if rule.id == "service-cpu-underused"]
    api = component_class("service")(type="service", image="app:1", cpu=1024, memory=2048)

    assert not rule.matches(api)
    assert not rule.matches(api, {"cpu_p95": 12.0})
    assert not rule.matches(api, {"cpu_p95": 12.0, "memory_p95": 55.0})
    assert rule.matches(api, {"cpu_p95": 12.0, "memory_p95": 30.0})


@pytest.mark.parametrize("text, where", [
    ("components:\n  db: {cpu_p95: 140}\n",
     "utilisation.yaml:2:8: components.db.cpu_p95: expected a number <= 100, got 140"),
    ("components:\n  dbx: {cpu_p95: 10}\n",
     "utilisation.yaml:2:3: components.dbx: expected a component of the spec (db), got 'dbx'"),
    (None, "problem(s) in the utilisation file utilisation.yaml\n  utilisation.yaml: is a directory, expected a YAML "
           "file"),
])
def test_a_broken_utilisation_file_is_a_located_usage_error(tmp_path, monkeypatch, text, where):
    """None: a directory, which the reader opened and fdopen refused (an internal error, exit 70, before)."""
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, PAYMENTS_SPEC)
    if text is None:
        (tmp_path / "utilisation.yaml").mkdir()
    else:
        (tmp_path / "utilisation.yaml").write_text(text, encoding="utf-8")

    result = CliRunner().invoke(cli, ["optimize", "nexus.yaml", "--utilisation", "utilisation.yaml"])

    assert result.exit_code == 2 and "Traceback" not in result.output
    assert where in result.stderr
