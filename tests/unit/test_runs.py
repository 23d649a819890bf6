"""Run history in SQLite: saved at start and end, listed newest first, found by id prefix; nothing secret."""
from __future__ import annotations

import json
import sqlite3

import pytest

from cdktf_app.deploy import summarize_plan
from cdktf_app.errors import ToolError, UsageError
from cdktf_app.runs import PhaseRecord, RunRecord, RunStore, redact, runs_url


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
