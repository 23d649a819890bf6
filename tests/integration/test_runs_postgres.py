"""Run history in a real PostgreSQL server (started here on 127.0.0.1, a free port, a temporary data dir):
a deploy and a destroy of a small spec against the sandbox are recorded with the right counts and phases."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.deploy import run
from cdktf_app.runs import RunStore
from cdktf_app.sandbox import start_sandbox, stop_sandbox
from cdktf_app.sandbox.server import free_port
from tests.integration.test_deploy_sandbox import FAST_SPEC, STACK, options

pytestmark = pytest.mark.terraform

INSTALLED = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda path: int(path.parent.name))
PG_BIN = Path(os.environ.get("NEXUS_PG_BIN") or (INSTALLED[-1] if INSTALLED else "/usr/lib/postgresql/15/bin"))


def server_user() -> str | None:
    """PostgreSQL refuses to run as root: then it runs as `postgres` (Debian's package creates it) or `nobody`."""
    if os.geteuid() != 0:
        return None
    return "postgres" if subprocess.run(["id", "postgres"], capture_output=True).returncode == 0 else "nobody"


def as_server_user(command: list[str]) -> list[str]:
    user = server_user()
    return command if user is None else ["setpriv", f"--reuid={user}", f"--regid={user}", "--init-groups", "--",
                                         *command]


@pytest.fixture(scope="module")
def postgres():
    if not (PG_BIN / "initdb").is_file():
        pytest.fail(f"PostgreSQL binaries not found in {PG_BIN}: run `make setup` (scripts/setup.d/20-deploy.sh)")
    # Its own folder under the system temp dir: pytest's base temp dir is private to root.
    root = Path(tempfile.mkdtemp(prefix="nexus-pg-"))
    data = root / "data"
    data.mkdir()
    user = server_user()
    if user:
        root.chmod(0o755)
        shutil.chown(root, user)
        shutil.chown(data, user)
    subprocess.run(as_server_user([str(PG_BIN / "initdb"), "-D", str(data), "-U", "nexus", "--auth=trust",
                                   "-E", "UTF8", "--no-sync"]), check=True, capture_output=True)
    port = free_port()
    server = subprocess.Popen(as_server_user([str(PG_BIN / "postgres"), "-D", str(data), "-h", "127.0.0.1",
                                              "-p", str(port), "-k", str(root), "-c", "fsync=off"]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"postgresql://nexus@127.0.0.1:{port}/postgres"
    deadline = time.monotonic() + 30
    while subprocess.run([str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                         capture_output=True).returncode != 0:
        assert server.poll() is None and time.monotonic() < deadline, server.stderr.read() if server.stderr else ""
        time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(root, ignore_errors=True)


def test_deploy_and_destroy_are_recorded_in_postgresql(postgres, tmp_path, monkeypatch):
    monkeypatch.setenv("NEXUS_RUNS_URL", postgres)
    sandbox = start_sandbox(tmp_path / "sandbox", record=False)
    (tmp_path / "nexus.yaml").write_text(FAST_SPEC.format(owner="team-pg"), encoding="utf-8")
    try:
        deployed = run(tmp_path / "nexus.yaml", options(sandbox.url))
        destroyed = run(tmp_path / "nexus.yaml", options(sandbox.url, command="destroy", allow_destroy=True))
    finally:
        stop_sandbox(tmp_path / "sandbox", sandbox)
    assert not (tmp_path / ".nexus" / "runs.db").exists()  # nothing went to SQLite
    with RunStore(postgres) as store:   # closed even when an assertion fails (the server's stop waits for it)
        stored_deploy, stored_destroy = store.get(deployed.id), store.get(destroyed.id)
        assert stored_deploy.added == deployed.added > 5 and stored_deploy.destroyed == 0
        assert stored_destroy.destroyed == deployed.added and stored_destroy.added == 0
        assert [p.phase for p in stored_deploy.phases] == ["init", "plan", "show", "gate", "apply"]
        # destroy reads the state first (deletion protection is refused before anything is deleted)
        assert [p.phase for p in stored_destroy.phases] == ["init", "show", "plan", "show", "apply"]
        assert all(p.seconds > 0 and p.stack == STACK for p in stored_destroy.phases)
        assert stored_destroy.duration_seconds == pytest.approx(destroyed.duration_seconds)
        assert [r.id for r in store.list(limit=2)] == [destroyed.id, deployed.id]
    listed = CliRunner().invoke(cli, ["runs", "list", "--project", str(tmp_path), "--output", "json"])
    assert listed.exit_code == 0, listed.output
    assert [(r["id"], r["command"]) for r in json.loads(listed.output)][:2] == [(destroyed.id, "destroy"),
                                                                                (deployed.id, "deploy")]


def test_a_damaged_postgresql_row_is_listed_with_its_reason(postgres):
    """PostgreSQL checks JSON and NOT NULL itself; what it lets through is NaN, Infinity and JSON of the wrong
    shape."""
    from sqlalchemy import create_engine, text

    from cdktf_app.runs import DamagedRun, RunRecord

    admin = create_engine(postgres.replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text("CREATE DATABASE damaged_runs"))
    admin.dispose()
    url = postgres.rsplit("/", 1)[0] + "/damaged_runs"
    with RunStore(url) as store:
        for index, run_id in enumerate(("good", "nan-time", "dict-stacks")):
            store.save(RunRecord(command="plan", spec_name="shop", spec_file="nexus.yaml", spec_sha256="a" * 64,
                                 started_at=100.0 + index, id=run_id))
        with store.engine.begin() as connection:
            connection.execute(text("update nexus_runs set started_at = 'NaN' where id = 'nan-time'"))
            connection.execute(text("""update nexus_runs set stacks = '{"a": 1}' where id = 'dict-stacks'"""))
        listed = {run.id: run for run in store.list()}
        assert isinstance(listed["good"], RunRecord) and listed["good"].spec_name == "shop"
        assert listed["nan-time"] == DamagedRun("nan-time", "started_at is not a finite number: nan")
        assert listed["dict-stacks"] == DamagedRun("dict-stacks", "stacks is not a list[str]")
