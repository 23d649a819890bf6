"""Run history: every plan/deploy/destroy as a row (SQLite under the project, or PostgreSQL)."""
from ..sensitive import redact
from .record import DamagedRun, PhaseRecord, RunRecord
from .store import RunStore, runs_url

__all__ = ["DamagedRun", "PhaseRecord", "RunRecord", "RunStore", "redact", "runs_url"]
