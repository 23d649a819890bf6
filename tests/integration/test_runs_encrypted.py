"""The run history's sensitive columns (a failure's evidence, a gate override's reason) encrypted at rest when the
spec has `encryption` (cdktf_app/runs/sealed.py), in SQLite and in a real PostgreSQL server: the database holds
no plaintext, `nexus runs show` decrypts with the key and says so without one, a wrong key or a value moved or
tampered with is a clear error, and `nexus keys rotate --runs` re-encrypts all of it or nothing."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cdktf_app.cli.main import cli
from cdktf_app.crypto.keys import CLASSICAL, HYBRID, generate_identity, identity_file_text
from cdktf_app.errors import EncryptionError
from cdktf_app.runs import RunRecord, RunStore
from cdktf_app.runs.sealed import SEALED_PREFIX, opened, sealed_columns
from cdktf_app.runs.store import runs_table
from cdktf_app.spec.loader import load_spec_text
from tests.helpers import AWS_SPEC_HEAD
from tests.integration.test_runs_postgres import postgres  # noqa: F401  (the module's PostgreSQL server)

EVIDENCE = "Error: creating DB: password 'hunter2-not-marked-sensitive' is too short"
REASON = "ticket OPS-42: accepted by j.doe, db password rotates tonight"


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/runs.db"
    server = request.getfixturevalue("postgres")
    with RunStore(server) as store, store.engine.begin() as connection:  # each test starts from an empty table
        connection.execute(runs_table.delete())
    return server


@pytest.fixture(scope="module")
def identity():
    return generate_identity(HYBRID)


def failed_run(started_at: float = 1000.0, **fields) -> RunRecord:
    return RunRecord(command="deploy", spec_name="shop", spec_file="nexus.yaml", spec_sha256="a" * 64,
                     started_at=started_at, outcome="failed", error_class="validation", error_evidence=EVIDENCE,
                     gate_overridden=True, override_reason=REASON, **fields)


def stored_columns(url: str, run_id: str) -> dict:
    with RunStore(url) as store, store.engine.connect() as connection:
        row = connection.execute(select(runs_table).where(runs_table.c.id == run_id)).mappings().one()
    return dict(row)


def test_sensitive_columns_are_stored_encrypted_and_the_rest_clear(url, identity):
    run = failed_run()
    with RunStore(url, [identity.recipient]) as store:
        store.save(run)
        read = store.get(run.id)
    row = stored_columns(url, run.id)
    assert row["error_evidence"].startswith(SEALED_PREFIX) and row["override_reason"].startswith(SEALED_PREFIX)
    assert "hunter2" not in json.dumps(row, default=str) and "OPS-42" not in json.dumps(row, default=str)
    assert (row["outcome"], row["error_class"]) == ("failed", "validation")  # list and insights need no key
    assert sealed_columns(read) == ["error_evidence", "override_reason"]
    assert opened(read, identity).to_dict() == run.to_dict()


def test_without_recipients_the_columns_stay_clear(url):
    run = failed_run()
    with RunStore(url) as store:
        store.save(run)
    assert stored_columns(url, run.id)["error_evidence"] == EVIDENCE


def test_a_wrong_key_or_a_tampered_or_moved_value_is_a_clear_error(url, identity):
    first, second = failed_run(), failed_run()
    with RunStore(url, [identity.recipient]) as store:
        store.save(first)
        store.save(second)
        with pytest.raises(EncryptionError, match="wrong key"):
            opened(store.get(first.id), generate_identity(HYBRID))
        sealed = store.get(first.id).error_evidence
        with store.engine.begin() as connection:  # one flipped bit in the stored envelope's last chunk
            flipped = sealed[:-4] + ("A" if sealed[-4] != "A" else "B") + sealed[-3:]
            connection.execute(runs_table.update().where(runs_table.c.id == first.id)
                               .values(error_evidence=flipped))
            connection.execute(runs_table.update().where(runs_table.c.id == second.id)
                               .values(override_reason=store.get(first.id).override_reason))
        with pytest.raises(EncryptionError, match="error_evidence"):
            opened(store.get(first.id), identity)
        with pytest.raises(EncryptionError, match=f"belongs to run {first.id} override_reason, not here"):
            opened(store.get(second.id), identity)


def test_runs_show_decrypts_with_the_key_and_says_so_without_one(url, identity, tmp_path, monkeypatch):
    monkeypatch.setenv("NEXUS_RUNS_URL", url)
    monkeypatch.delenv("NEXUS_PRIVATE_KEY", raising=False)
    run = failed_run()
    with RunStore(url, [identity.recipient]) as store:
        store.save(run)
    key = tmp_path / "key.txt"
    key.write_text(identity_file_text(identity))
    runner = CliRunner()
    without = runner.invoke(cli, ["runs", "show", run.id, "--project", str(tmp_path)])
    assert without.exit_code == 0, without.output
    assert "encrypted; pass --key FILE or set NEXUS_PRIVATE_KEY" in without.stdout and "hunter2" not in without.stdout
    as_json = json.loads(runner.invoke(cli, ["runs", "show", run.id, "--project", str(tmp_path), "--output", "json"]).stdout)
    assert as_json["encrypted_columns"] == ["error_evidence", "override_reason"]
    shown = runner.invoke(cli, ["runs", "show", run.id, "--project", str(tmp_path), "--output", "json", "-k", str(key)])
    assert shown.exit_code == 0, shown.output
    assert (json.loads(shown.stdout)["error_evidence"], json.loads(shown.stdout)["encrypted_columns"]) == (EVIDENCE, [])
    wrong = runner.invoke(cli, ["runs", "show", run.id, "--project", str(tmp_path)],
                          env={"NEXUS_PRIVATE_KEY": str(generate_identity(HYBRID))})
    assert wrong.exit_code == 2 and "wrong key" in wrong.stderr and "Traceback" not in wrong.output


def test_keys_rotate_runs_re_encrypts_the_history_in_one_transaction(url, identity, tmp_path, monkeypatch):
    monkeypatch.setenv("NEXUS_RUNS_URL", url)
    old_key = tmp_path / "old.txt"
    old_key.write_text(identity_file_text(identity))
    stranger = generate_identity(HYBRID)
    mine, foreign = failed_run(started_at=1.0), failed_run(started_at=2.0)
    with RunStore(url, [identity.recipient]) as store:
        store.save(mine)
    with RunStore(url, [stranger.recipient]) as store:
        store.save(foreign)
    new = generate_identity(HYBRID)
    runner = CliRunner()
    refused = runner.invoke(cli, ["keys", "rotate", "--runs", str(tmp_path), "-k", str(old_key),
                                  "--to", str(new.recipient)])
    assert refused.exit_code == 2 and "wrong key" in refused.stderr
    with RunStore(url) as store:  # all or nothing: the row the old key could open is as it was
        assert opened(store.get(mine.id), identity).error_evidence == EVIDENCE
        with store.engine.begin() as connection:
            connection.execute(runs_table.delete().where(runs_table.c.id == foreign.id))
    rotated = runner.invoke(cli, ["keys", "rotate", "--runs", str(tmp_path), "-k", str(old_key),
                                  "--to", str(new.recipient)])
    assert rotated.exit_code == 0, rotated.output
    assert "rotated 2 encrypted value(s)" in rotated.stderr
    with RunStore(url) as store:
        assert opened(store.get(mine.id), new).to_dict() == mine.to_dict()
        with pytest.raises(EncryptionError, match="wrong key"):
            opened(store.get(mine.id), identity)


def test_the_project_store_encrypts_to_the_specs_recipients(tmp_path, monkeypatch):
    monkeypatch.delenv("NEXUS_RUNS_URL", raising=False)
    classical = generate_identity(CLASSICAL)
    spec = load_spec_text(AWS_SPEC_HEAD + f"encryption:\n  recipients: ['{classical.recipient}']\n").spec
    run = failed_run()
    with RunStore.of_project(tmp_path, spec) as store:
        store.save(run)
        assert opened(store.get(run.id), classical).override_reason == REASON
    with RunStore.of_project(tmp_path, load_spec_text(AWS_SPEC_HEAD).spec) as store:
        assert store.recipients == []


def test_nothing_to_rotate_is_a_usage_error():
    result = CliRunner().invoke(cli, ["keys", "rotate", "--to", str(generate_identity(CLASSICAL).recipient)])
    assert result.exit_code == 2 and "nothing to rotate" in result.stderr
