"""Run history in SQLite: saved at start and end, listed newest first, found by id prefix; nothing secret."""
from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.deploy import summarize_plan
from cdktf_app.errors import ToolError, UsageError
from cdktf_app.runs import DamagedRun, PhaseRecord, RunRecord, RunStore, redact, runs_url


def make_run(started: float, **fields) -> RunRecord:
    return RunRecord(command="deploy", spec_name="shop", spec_file="nexus.yaml", spec_sha256="a" * 64,
                     started_at=started, **fields)


def test_default_url_is_sqlite_under_the_project_and_the_variable_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("NEXUS_RUNS_URL", raising=False)
    assert runs_url(tmp_path) == f"sqlite:///{tmp_path.resolve()}/.nexus/runs.db"
    monkeypatch.setenv("NEXUS_RUNS_URL", "postgresql://nexus@127.0.0.1:5/runs")
    assert runs_url(tmp_path) == "postgresql://nexus@127.0.0.1:5/runs"


def test_a_run_is_saved_when_it_starts_and_updated_when_it_ends(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.db")
    run = make_run(1000.0, stacks=["shop-dev-aws"])
    store.save(run)
    assert store.get(run.id).outcome == "running"
    run.phases = [PhaseRecord("shop-dev-aws", "init", 0.5, True), PhaseRecord("shop-dev-aws", "apply", 12.25,
                                                                             False, attempt=2)]
    run.outcome, run.finished_at, run.added, run.destroyed, run.retries = "failed", 1014.5, 3, 1, 1
    run.error_class, run.error_evidence = "throttling", "api error Throttling: Rate exceeded"
    store.save(run)
    loaded = store.get(run.id[:5])
    assert loaded.to_dict() == run.to_dict()
    assert loaded.duration_seconds == 14.5 and loaded.phases[1].attempt == 2
    rows = sqlite3.connect(tmp_path / "runs.db").execute("select count(*) from nexus_runs").fetchone()
    assert rows == (1,)
    store.close()


def test_runs_are_listed_newest_first_with_a_limit(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.db")
    for started in (10.0, 30.0, 20.0):
        store.save(make_run(started))
    assert [r.started_at for r in store.list()] == [30.0, 20.0, 10.0]
    assert [r.started_at for r in store.list(limit=2)] == [30.0, 20.0]
    store.close()


def test_unknown_and_ambiguous_ids_are_usage_errors(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.db")
    store.save(make_run(1.0, id="abc111"))
    store.save(make_run(2.0, id="abc222"))
    with pytest.raises(UsageError, match="no run with id 'zzz'"):
        store.get("zzz")
    with pytest.raises(UsageError, match="ambiguous"):
        store.get("abc")
    with pytest.raises(UsageError, match="no run"):
        store.get("%")  # LIKE wildcards are taken literally
    store.close()


def test_an_unusable_database_is_a_clear_tool_error_without_the_password():
    with pytest.raises(ToolError) as raised:
        RunStore("postgresql://nexus:hunter2@127.0.0.1:1/runs")
    assert "hunter2" not in str(raised.value) and "nexus:***@127.0.0.1:1" in str(raised.value)


PLAN = {
    "configuration": {"root_module": {"variables": {"db_password": {"sensitive": True}, "region": {}}}},
    "variables": {"db_password": {"value": "s3cret-Pa55"}, "region": {"value": "eu-west-1"}},
    "resource_changes": [
        {"address": "aws_s3_bucket.files", "change": {"actions": ["create"], "after": {"bucket": "files"},
                                                      "after_sensitive": {}}},
        {"address": "aws_db_instance.db", "change": {
            "actions": ["delete", "create"], "before": {"password": "old-Pa55word"},
            "before_sensitive": {"password": True},
            "after": {"password": "new-Pa55word", "tags": {"a": "b"}},
            "after_sensitive": {"password": True, "tags": {}}}},
        {"address": "aws_sqs_queue.jobs", "change": {"actions": ["update"], "after": {"name": "jobs"}}},
        {"address": "aws_sns_topic.old", "change": {"actions": ["delete"], "before": {"name": "old"}}},
        {"address": "data.aws_partition.p", "change": {"actions": ["read"]}},
        {"address": "aws_kms_key.k", "change": {"actions": ["no-op"]}},
    ],
}


def test_plan_counts_follow_terraform_and_destructive_changes_are_named():
    summary = summarize_plan(PLAN)
    assert (summary.add, summary.change, summary.destroy) == (2, 1, 2)
    assert summary.replace == ("aws_db_instance.db",) and summary.delete == ("aws_sns_topic.old",)
    assert set(summary.destructive) == {"aws_db_instance.db", "aws_sns_topic.old"}


def test_sensitive_plan_values_are_collected_and_redacted_from_stored_text():
    secrets = summarize_plan(PLAN).sensitive_values
    assert secrets == {"s3cret-Pa55", "old-Pa55word", "new-Pa55word"}
    evidence = "Error: creating RDS DB Instance: password new-Pa55word rejected (was old-Pa55word)"
    cleaned = redact(evidence, set(secrets))
    assert not any(secret in cleaned for secret in secrets)
    assert cleaned == "Error: creating RDS DB Instance: password (sensitive) rejected (was (sensitive))"
    assert "eu-west-1" not in secrets and redact(None, set(secrets)) is None


def test_a_stored_run_holds_no_plan_value(tmp_path):
    store = RunStore(f"sqlite:///{tmp_path}/runs.db")
    secrets = set(summarize_plan(PLAN).sensitive_values)
    run = make_run(5.0, error_evidence=redact("rejected new-Pa55word", secrets))
    store.save(run)
    dump = json.dumps(sqlite3.connect(tmp_path / "runs.db").execute("select * from nexus_runs").fetchall())
    assert not any(secret in dump for secret in secrets)
    store.close()


DAMAGE = {   # run id -> SQL that damages its row, and the reason it is then listed with
    "bad-json": ("stacks = '[not json'", "stacks is not valid JSON"),
    "null-name": ("spec_name = NULL", "spec_name is empty"),
    "text-time": ("started_at = 'yesterday'", "started_at is not a float: 'yesterday'"),
    "far-time": ("started_at = 1e20", "started_at is not a timestamp: 1e+20"),
    "odd-phase": ("phases = '[{\"stage\": 1}]'", "unexpected keyword argument 'stage'"),
    "text-count": ("added = 'many'", "added is not an int: 'many'"),
    "null-json": ("phases = 'null'", "phases is not a list of phases"),
    "text-overrides": ("unsafe_overrides = '\"count\"'", "unsafe_overrides is not a list[str]"),
}


@pytest.fixture
def damaged_history(tmp_path) -> Path:
    """A runs.db edited by hand: its table lost the NOT NULL constraints, and one row per kind of damage."""
    with RunStore(f"sqlite:///{tmp_path}/model.db"):
        pass
    schema = sqlite3.connect(tmp_path / "model.db").execute(
        "select sql from sqlite_master where name = 'nexus_runs'").fetchone()[0]
    database = tmp_path / ".nexus" / "runs.db"
    database.parent.mkdir()
    connection = sqlite3.connect(database)
    connection.execute(schema.replace(" NOT NULL", ""))
    connection.commit()
    with RunStore(f"sqlite:///{database}") as store:
        for index, run_id in enumerate(["good-old", *DAMAGE, "good-new"]):
            store.save(make_run(1000.0 + index, id=run_id, phases=[PhaseRecord("s", "plan", 1.5, True)]))
    for run_id, (damage, _) in DAMAGE.items():
        connection.execute(f"update nexus_runs set {damage} where id = ?", (run_id,))
    connection.commit()
    return tmp_path


def test_a_damaged_row_is_listed_with_its_reason_and_the_others_are_read(damaged_history):
    with RunStore(runs_url(damaged_history)) as store:
        listed = {run.id: run for run in store.list(limit=50)}
    assert isinstance(listed["good-old"], RunRecord) and isinstance(listed["good-new"], RunRecord)
    assert listed["good-new"].phases == [PhaseRecord("s", "plan", 1.5, True)]
    for run_id, (_, reason) in DAMAGE.items():
        assert isinstance(listed[run_id], DamagedRun) and reason in listed[run_id].reason, listed[run_id]


def test_runs_list_and_show_say_which_row_is_unreadable_and_why(damaged_history, monkeypatch):
    monkeypatch.delenv("NEXUS_RUNS_URL", raising=False)
    runner = CliRunner()
    result = runner.invoke(cli, ["runs", "list", "--project", str(damaged_history), "--output", "json"])
    assert result.exit_code == 0, result.output
    rows = {row["id"]: row for row in json.loads(result.output)}
    assert rows["good-new"]["spec_name"] == "shop" and rows["good-old"]["command"] == "deploy"
    assert rows["text-time"] == {"id": "text-time", "damaged": True,
                                 "reason": "unreadable: started_at is not a float: 'yesterday'"}
    wide = {"COLUMNS": "250"}
    result = runner.invoke(cli, ["runs", "list", "--project", str(damaged_history)], env=wide)
    assert result.exit_code == 0, result.output
    assert "good-new" in result.output and "unreadable: stacks is not valid JSON" in result.output
    result = runner.invoke(cli, ["runs", "show", "bad-json", "--project", str(damaged_history)], env=wide)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "run bad-json in sqlite:///" in result.output and "is unreadable: stacks is not valid JSON" in result.output
    result = runner.invoke(cli, ["runs", "show", "good-new", "--project", str(damaged_history)], env=wide)
    assert result.exit_code == 0 and "run good-new" in result.output
