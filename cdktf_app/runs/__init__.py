"""Run history: every plan/deploy/destroy as a row (SQLite under the project, or PostgreSQL)."""
from ..sensitive import redact
from .record import PhaseRecord, RunRecord
from .store import RunStore, runs_url

__all__ = ["PhaseRecord", "RunRecord", "RunStore", "redact", "runs_url"]
