"""CI runs, jobs and test results in the run history (the database `nexus runs` uses: SQLite or PostgreSQL).

The tables join the run store's own schema (its MetaData, created the same way when the store opens). Every row
has a key made of where it came from, so importing the same data twice updates rows in place: nothing changes.
"""
from __future__ import annotations

import time
from collections.abc import Iterable

from sqlalchemy import JSON, Column, Float, Integer, String, Table, Text, cast, select
from sqlalchemy.dialects import postgresql, sqlite

from ..runs.store import RunStore, metadata
from .model import CIJob, CIRun, TestResult

LOG_TAIL = 20_000  # characters of a failed job's log kept: the error is at its end
BATCH = 500

ci_runs = Table(
    "ci_runs", metadata,
    Column("key", String(200), primary_key=True),
    Column("provider", String(16), nullable=False),
    Column("repo", String(140), nullable=False),
    Column("run_id", String(40), nullable=False),
    Column("workflow", String(200), nullable=False),
    Column("branch", String(255), nullable=False),
    Column("commit", String(64), nullable=False),
    Column("event", String(40), nullable=False),
    Column("conclusion", String(24), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("created_at", Float, nullable=False, index=True),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("url", Text),
)
ci_jobs = Table(
    "ci_jobs", metadata,
    Column("key", String(200), primary_key=True),
    Column("run_key", String(200), nullable=False, index=True),
    Column("job_id", String(40), nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("conclusion", String(24), nullable=False),
    Column("started_at", Float),
    Column("finished_at", Float),
    Column("failure_reason", String(64)),
    Column("steps", JSON, nullable=False),
    Column("log", Text),
)
ci_tests = Table(
    "ci_tests", metadata,
    Column("key", String(600), primary_key=True),
    Column("run_id", String(64), nullable=False, index=True),
    Column("suite", String(255), nullable=False),
    Column("name", String(255), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("message", Text),
)
ci_cursors = Table(
    "ci_cursors", metadata,
    Column("source", String(200), primary_key=True),
    Column("last_created", Float, nullable=False),
)
ci_healing = Table(
    "ci_healing", metadata,
    Column("key", String(300), primary_key=True),  # run key : action : attempt it was taken at
    Column("run_key", String(200), nullable=False, index=True),
    Column("failure_class", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("attempt", Integer, nullable=False),     # the run's attempt the action was taken on
    Column("outcome", String(24), nullable=False),  # requested | succeeded | failed | advised | opened | updated
    Column("at", Float, nullable=False),
    Column("detail", Text),
)
TABLES = [ci_runs, ci_jobs, ci_tests, ci_cursors, ci_healing]


def run_key(provider: str, repo: str, run_id: str) -> str:
    return f"{provider}:{repo}:{run_id}"


class CIHistory:
    """The CI side of a run store; opens (and creates) its tables on the store's database."""

    def __init__(self, store: RunStore):
        self.store = store
        self.engine = store.engine
        metadata.create_all(self.engine, tables=TABLES)

    def save_runs(self, runs: Iterable[CIRun]) -> tuple[int, int]:
        """Upserts runs with their jobs; (runs seen, runs new). The same runs twice: (n, 0) and no change."""
        seen = new = 0
        batch: list[CIRun] = []
        for run in runs:
            batch.append(run)
            if len(batch) == BATCH:
                new += self._save_batch(batch)
                seen += len(batch)
                batch = []
        if batch:
            new += self._save_batch(batch)
            seen += len(batch)
        return seen, new

    def _save_batch(self, runs: list[CIRun]) -> int:
        run_rows = [_run_row(run) for run in runs]
        job_rows = [_job_row(run, job) for run in runs for job in run.jobs]
        with self.engine.begin() as connection:
            keys = [row["key"] for row in run_rows]
            existing = set(connection.execute(select(ci_runs.c.key).where(ci_runs.c.key.in_(keys))).scalars())
            _upsert(connection, ci_runs, run_rows)
            for first in range(0, len(job_rows), BATCH):
                _upsert(connection, ci_jobs, job_rows[first:first + BATCH])
        return len(set(keys) - existing)

    def save_tests(self, results: list[TestResult]) -> tuple[int, int]:
        """Upserts test results; (results seen, results new)."""
        rows = [{"key": f"{r.run_id}:{r.suite}:{r.name}", "run_id": r.run_id, "suite": r.suite, "name": r.name,
                 "outcome": r.outcome, "seconds": r.seconds, "message": r.message} for r in results]
        unique = list({row["key"]: row for row in rows}.values())
        new = 0
        with self.engine.begin() as connection:
            for first in range(0, len(unique), BATCH):
                batch = unique[first:first + BATCH]
                keys = [row["key"] for row in batch]
                new += len(set(keys) - set(connection.execute(
                    select(ci_tests.c.key).where(ci_tests.c.key.in_(keys))).scalars()))
                _upsert(connection, ci_tests, batch)
        return len(unique), new

    def cursor(self, source: str) -> float | None:
        with self.engine.connect() as connection:
            return connection.execute(select(ci_cursors.c.last_created)
                                      .where(ci_cursors.c.source == source)).scalar()

    def set_cursor(self, source: str, last_created: float) -> None:
        with self.engine.begin() as connection:
            _upsert(connection, ci_cursors, [{"source": source, "last_created": last_created}])

    def runs(self, since: float | None = None) -> list[CIRun]:
        """Every stored run (with its jobs, every attempt) created at or after `since`, oldest first."""
        query = select(ci_runs).order_by(ci_runs.c.created_at, ci_runs.c.key)
        if since is not None:
            query = query.where(ci_runs.c.created_at >= since)
        with self.engine.connect() as connection:
            runs = {row.key: _run_from(row) for row in connection.execute(query)}
            # steps as their stored text: decoding every job's JSON would cost more than the analysis itself
            job_query = select(*[cast(column, Text).label("steps") if column.name == "steps" else column
                                 for column in ci_jobs.columns]) \
                .order_by(ci_jobs.c.run_key, ci_jobs.c.attempt, ci_jobs.c.key)
            for row in connection.execute(job_query):
                run = runs.get(row.run_key)
                if run is not None:
                    run.jobs.append(_job_from(row, run))
        return list(runs.values())

    def tests(self) -> list[TestResult]:
        with self.engine.connect() as connection:
            return [TestResult(row.suite, row.name, row.outcome, row.seconds, row.run_id, row.message)
                    for row in connection.execute(select(ci_tests).order_by(ci_tests.c.key))]

    def record_healing(self, run: str, failure_class: str, action: str, outcome: str, attempt: int,
                       detail: str = "") -> None:
        with self.engine.begin() as connection:
            _upsert(connection, ci_healing, [{"key": f"{run}:{action}:{attempt}", "run_key": run,
                                              "failure_class": failure_class, "action": action,
                                              "attempt": attempt, "outcome": outcome, "at": time.time(),
                                              "detail": detail}])

    def healed(self, run: str, action: str, attempt: int) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(ci_healing.c.key).where(
                ci_healing.c.key == f"{run}:{action}:{attempt}")).first() is not None

    def healing(self) -> list[dict]:
        with self.engine.connect() as connection:
            return [dict(row._mapping) for row in connection.execute(select(ci_healing).order_by(ci_healing.c.at))]


def _upsert(connection, table: Table, rows: list[dict]) -> None:
    if not rows:
        return
    dialect = sqlite if connection.dialect.name == "sqlite" else postgresql
    statement = dialect.insert(table)
    primary = [column.name for column in table.primary_key.columns]
    updates = {column.name: statement.excluded[column.name] for column in table.columns
               if column.name not in primary}
    connection.execute(statement.on_conflict_do_update(index_elements=primary, set_=updates), rows)


def _run_row(run: CIRun) -> dict:
    return {"key": run_key(run.provider, run.repo, run.run_id), "provider": run.provider, "repo": run.repo,
            "run_id": run.run_id, "workflow": run.workflow, "branch": run.branch, "commit": run.commit,
            "event": run.event, "conclusion": run.conclusion, "attempt": run.attempt,
            "created_at": run.created_at, "started_at": run.started_at, "finished_at": run.finished_at,
            "url": run.url}


def _job_row(run: CIRun, job: CIJob) -> dict:
    return {"key": f"{run.provider}:{run.repo}:job:{job.job_id}", "run_key": run_key(run.provider, run.repo,
                                                                                      run.run_id),
            "job_id": job.job_id, "attempt": job.attempt, "name": job.name, "conclusion": job.conclusion,
            "started_at": job.started_at, "finished_at": job.finished_at, "failure_reason": job.failure_reason,
            "steps": job.steps, "log": job.log[-LOG_TAIL:] if job.log else None}


def _run_from(row) -> CIRun:
    return CIRun(row.provider, row.repo, row.run_id, row.workflow, row.branch, row.commit, row.event,
                 row.conclusion, row.attempt, row.created_at, row.started_at, row.finished_at, row.url or "")


def _job_from(row, run: CIRun) -> CIJob:
    return CIJob(run.provider, run.repo, row.job_id, run.run_id, row.attempt, row.name, row.conclusion,
                 row.started_at, row.finished_at, row.failure_reason, [], row.log, row.steps)
