"""Run history: every plan/deploy/destroy as a row (SQLite under the project, or PostgreSQL)."""
from .record import PhaseRecord, RunRecord, redact
from .store import RunStore, runs_url

__all__ = ["PhaseRecord", "RunRecord", "RunStore", "redact", "runs_url"]
