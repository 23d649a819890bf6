"""A drift run in the run history: kind `drift`, how many resources drifted and at which severities."""
from __future__ import annotations

import sqlite3

from cdktf_app.runs import RunRecord, RunStore


def test_a_drift_run_keeps_its_drifted_count_and_severities(tmp_path):
    with RunStore(f"sqlite:///{tmp_path}/runs.db") as store:
        run = RunRecord(command="drift", spec_name="shop", spec_file="nexus.yaml", spec_sha256="a" * 64,
                        started_at=1000.0, drifted=3, drift_severities=["high", "high", "low"])
        store.save(run)
        loaded = store.get(run.id)
    assert (loaded.command, loaded.drifted, loaded.drift_severities) == ("drift", 3, ["high", "high", "low"])


def test_a_history_from_before_drift_runs_reads_with_none_drifted(tmp_path):
    database = tmp_path / "runs.db"
    with RunStore(f"sqlite:///{database}") as store:
        run = RunRecord(command="deploy", spec_name="shop", spec_file="nexus.yaml", spec_sha256="a" * 64,
                        started_at=1000.0)
        store.save(run)
    with sqlite3.connect(database) as connection:
        connection.execute("alter table nexus_runs drop column drifted")
        connection.execute("alter table nexus_runs drop column drift_severities")
    with RunStore(f"sqlite:///{database}") as store:
        loaded = store.get(run.id)
    assert (loaded.drifted, loaded.drift_severities) == (0, [])
