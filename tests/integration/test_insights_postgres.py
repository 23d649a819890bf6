"""CI runs in a real PostgreSQL run history (NEXUS_RUNS_URL; the server of test_runs_postgres, on 127.0.0.1):
the same rows and the same findings as SQLite, and importing twice changes nothing there either."""
from __future__ import annotations

from cdktf_app.insights.generator import generate, write_github
from cdktf_app.insights.service import import_github, load_insights
from tests.integration.test_runs_postgres import postgres  # noqa: F401 (the module-scoped server fixture)
from tests.unit.test_insights import rows


def test_postgresql_holds_the_same_history_and_gives_the_same_findings(postgres, tmp_path, monkeypatch):  # noqa: F811
    write_github(generate(12, runs_per_workflow=120), tmp_path / "export")
    import_github(tmp_path / "sqlite", "acme/shop", tmp_path / "export")
    monkeypatch.setenv("NEXUS_RUNS_URL", postgres)
    first = import_github(tmp_path / "pg", "acme/shop", tmp_path / "export")
    before = rows(tmp_path / "pg")
    second = import_github(tmp_path / "pg", "acme/shop", tmp_path / "export")
    assert (first.new, second.new) == (240, 0) and rows(tmp_path / "pg") == before
    in_postgres = load_insights(tmp_path / "pg").findings
    monkeypatch.delenv("NEXUS_RUNS_URL")
    assert before == rows(tmp_path / "sqlite")
    assert in_postgres == load_insights(tmp_path / "sqlite").findings and in_postgres
