"""Where runs are kept: SQLite under the project (`.nexus/runs.db`), or PostgreSQL via NEXUS_RUNS_URL.

One table through SQLAlchemy Core, so both databases share every query. A run is inserted when it starts
(`running`) and updated when it ends, so a run that is killed still shows up.
"""
from __future__ import annotations

import json
import os
from dataclasses import fields
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, String, Table, Text, cast, \
    create_engine, inspect, select, text
from sqlalchemy.exc import SQLAlchemyError

from ..crypto.keys import Identity, Recipient, parse_recipient
from ..errors import ToolError, UsageError
from ..layout import RUNS_DB, state_dir
from ..spec.model import Spec
from .record import DamagedRun, RunRecord, problem
from .sealed import SENSITIVE_COLUMNS, is_sealed, open_text, seal_text, sealed_row

URL_VARIABLE = "NEXUS_RUNS_URL"

metadata = MetaData()
runs_table = Table(
    "nexus_runs", metadata,
    Column("id", String(32), primary_key=True),
    Column("command", String(16), nullable=False),
    Column("spec_name", String(64), nullable=False),
    Column("spec_file", Text, nullable=False),
    Column("spec_sha256", String(64), nullable=False),
    Column("started_at", Float, nullable=False, index=True),
    Column("finished_at", Float),
    Column("outcome", String(16), nullable=False),
    Column("stacks", JSON, nullable=False),
    Column("phases", JSON, nullable=False),
    Column("added", Integer, nullable=False),
    Column("changed", Integer, nullable=False),
    Column("destroyed", Integer, nullable=False),
    Column("error_class", String(64)),
    Column("error_kind", String(16)),
    Column("error_confidence", Float),
    Column("error_evidence", Text),
    Column("error_rule", String(64)),
    Column("retries", Integer, nullable=False),
    Column("gate_findings", Integer, nullable=False),
    Column("gate_overridden", Boolean, nullable=False),
    Column("override_reason", Text),
    Column("unsafe_overrides", JSON),
    Column("cost_delta", Float),
    Column("protection_lifted", JSON),
    Column("already_gone", Integer),
    Column("drifted", Integer),
    Column("drift_severities", JSON),
    Column("sandbox", Boolean, nullable=False),
    Column("log_file", Text),
    Column("nexus_version", String(32), nullable=False),
)
COLUMNS = [f.name for f in fields(RunRecord)]


def runs_url(project_dir: Path) -> str:
    configured = os.environ.get(URL_VARIABLE)
    if configured:
        return configured
    return f"sqlite:///{state_dir(project_dir) / RUNS_DB}"


def _driver_url(url: str) -> str:
    """`postgresql://...` means psycopg 3 here (SQLAlchemy's default would be psycopg2, not installed)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class RunStore:
    """RECIPIENTS (cdktf_app.crypto Recipients): the sensitive columns of every run saved are encrypted to them
    (runs/sealed.py); none: stored clear."""

    def __init__(self, url: str, recipients: Sequence[Recipient] = ()):
        if url.startswith("sqlite:///"):
            Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine = create_engine(_driver_url(url))
            metadata.create_all(self.engine)
            _add_missing_columns(self.engine)
        except SQLAlchemyError as error:
            raise ToolError(f"run history at {_safe(url)} is not usable: {error.__class__.__name__}: "
                            f"{str(error).splitlines()[0]}") from None
        self.url = url
        self.recipients = list(recipients)

    @classmethod
    def of_project(cls, base_dir: Path, spec: Spec) -> RunStore:
        """The project's history (runs_url), its sensitive columns encrypted when the spec has `encryption`."""
        return cls(runs_url(base_dir), [parse_recipient(text) for text in spec.encryption.recipients]
                   if spec.encryption else [])

    def save(self, run: RunRecord) -> None:
        row = {name: getattr(run, name) for name in COLUMNS}
        row["phases"] = [vars(phase) for phase in run.phases]
        row = sealed_row(row, self.recipients)
        with self.engine.begin() as connection:
            exists = connection.execute(select(runs_table.c.id).where(runs_table.c.id == run.id)).first()
            if exists:
                connection.execute(runs_table.update().where(runs_table.c.id == run.id).values(**row))
            else:
                connection.execute(runs_table.insert().values(**row))

    def list(self, limit: int = 20) -> list[RunRecord | DamagedRun]:
        """The newest runs first; a row that does not read back is a DamagedRun in its place."""
        query = _select_rows().order_by(runs_table.c.started_at.desc()).limit(limit)
        with self.engine.connect() as connection:
            return [run_from_row(dict(row._mapping)) for row in connection.execute(query)]

    def get(self, run_id: str) -> RunRecord:
        """A run by id or by a unique prefix of it; a damaged one is an error saying what is wrong with it."""
        query = _select_rows().where(runs_table.c.id.startswith(run_id, autoescape=True)).limit(2)
        with self.engine.connect() as connection:
            rows = list(connection.execute(query))
        if len(rows) != 1:
            raise UsageError(f"no run with id '{run_id}'" if not rows else f"run id '{run_id}' is ambiguous")
        found = run_from_row(dict(rows[0]._mapping))
        if isinstance(found, DamagedRun):
            raise ToolError(f"run {found.id} in {_safe(self.url)} is unreadable: {found.reason}")
        return found

    def rotate_sealed(self, identity: Identity, recipients: Sequence[Recipient]) -> int:
        """Re-encrypt every encrypted column to RECIPIENTS in one transaction: a value IDENTITY cannot open (or a
        tampered one) raises and leaves the whole history as it was. Returns how many values were re-encrypted."""
        columns = [runs_table.c.id, *(runs_table.c[name] for name in SENSITIVE_COLUMNS)]
        rotated = 0
        with self.engine.begin() as connection:
            for row in connection.execute(select(*columns)).mappings().all():
                changed = {name: seal_text(open_text(row[name], identity, row["id"], name), recipients, row["id"],
                                           name)
                           for name in SENSITIVE_COLUMNS if is_sealed(row[name])}
                if changed:
                    connection.execute(runs_table.update().where(runs_table.c.id == row["id"]).values(**changed))
                    rotated += len(changed)
        return rotated

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _select_rows():
    """Every column, JSON ones as their stored text: one row of bad JSON must not stop the others being read."""
    return select(*[cast(column, Text).label(column.name) if isinstance(column.type, JSON) else column
                    for column in runs_table.columns])


def run_from_row(row: dict) -> RunRecord | DamagedRun:
    """A run from a stored row (JSON columns as text); one that does not fit its types is a DamagedRun."""
    try:
        data = {**row, **{column.name: _json(row, column) for column in runs_table.columns
                          if isinstance(column.type, JSON)}}
        if not isinstance(data["phases"], list) or not all(isinstance(item, dict) for item in data["phases"]):
            raise ValueError("phases is not a list of phases")
        record = RunRecord.from_dict(data)
    except (ValueError, TypeError) as error:
        return DamagedRun(str(row.get("id")), str(error))
    wrong = problem(record) or next(filter(None, map(problem, record.phases)), None)
    return DamagedRun(str(row.get("id")), wrong) if wrong else record


def _json(row: dict, column: Column):
    stored = row.get(column.name)
    if stored is None:
        if column.nullable:
            return None
        raise ValueError(f"{column.name} is empty")
    try:
        return json.loads(stored)
    except ValueError as error:
        raise ValueError(f"{column.name} is not valid JSON ({error})") from None


def _add_missing_columns(engine) -> None:
    """A history written by an older Nexus gains the nullable columns added since (create_all adds none)."""
    present = {column["name"] for column in inspect(engine).get_columns(runs_table.name)}
    missing = [column for column in runs_table.columns if column.name not in present]
    with engine.begin() as connection:
        for column in missing:
            kind = column.type.compile(dialect=engine.dialect)
            connection.execute(text(f"ALTER TABLE {runs_table.name} ADD COLUMN {column.name} {kind}"))


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        rest = f"{credentials.split(':')[0]}:***@{host}"
    return f"{scheme}{sep}{rest}"
