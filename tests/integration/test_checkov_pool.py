"""The checkov pool of `nexus watch` answers exactly as one worker scanning every file at once: checkov judges each
stack file on its own, an unchanged stack is not scanned again, and a worker that dies mid-scan fails the whole
scan (exit 4), never leaving a partial answer. Real checkov, on fintech's synthesized stacks."""
from __future__ import annotations

import json
import shutil
import time
from dataclasses import replace

import pytest

from cdktf_app.compliance.checkov import ScanRequest, checkov_python
from cdktf_app.compliance.checkov_pool import CheckovPool
from cdktf_app.compliance.context import write_context
from cdktf_app.compliance.packs import checks_dir
from cdktf_app.errors import ScanError
from cdktf_app.layout import stack_json


@pytest.fixture(scope="module")
def fintech(blueprint_outputs, tmp_path_factory):
    """fintech's stacks copied into a folder of the module's own (a test edits one), and a request for them."""
    result = blueprint_outputs["fintech"]
    folder = tmp_path_factory.mktemp("pool-fintech")
    files = []
    for stack in result.stacks:
        copy = folder / stack.name / "cdk.tf.json"
        copy.parent.mkdir()
        shutil.copyfile(stack_json(result.out_dir, stack.name), copy)
        files.append(str(copy.resolve()))
    context = write_context(result.loaded, folder)
    return ScanRequest(files=tuple(files), external_checks_dirs=(str(checks_dir()),), context=str(context))


@pytest.fixture(scope="module")
def pool():
    with CheckovPool() as started:
        yield started


def sorted_results(answer) -> list[str]:
    return sorted(json.dumps(result, sort_keys=True) for result in answer.results)


def requests_answered(pool: CheckovPool) -> int:
    return sum(len(worker.scan_seconds) for worker in pool.workers)


def test_checkov_judges_each_stack_file_on_its_own(fintech, checkov_worker):
    # fintech's stacks share resource names (aws_s3_bucket.* in dev and prod): scanned together, checkov
    # would be free to connect them in its graph checks. It does not: one file at a time gives the same results.
    assert len(fintech.files) >= 2
    together = checkov_worker.scan(fintech)
    one_by_one = [checkov_worker.scan(replace(fintech, files=(file,)))
                  for file in fintech.files]
    assert sorted_results(together) == sorted(
        result for answer in one_by_one for result in sorted_results(answer))
    assert {result["file"] for result in together.results} == set(fintech.files)
    assert any(result["result"] == "failed" for result in together.results)


def test_the_pool_answers_as_one_worker_and_does_not_rescan_an_unchanged_stack(fintech, pool, checkov_worker):
    single = checkov_worker.scan(fintech)
    first = pool.scan(fintech)
    assert sorted_results(first) == sorted_results(single) and first.unparsed == single.unparsed == ()
    answered = requests_answered(pool)
    again = pool.scan(fintech)
    assert requests_answered(pool) == answered  # no worker was asked anything
    assert again.results == first.results

    edited = fintech.files[0]
    stack = json.loads(open(edited, encoding="utf-8").read())
    stack["resource"].setdefault("aws_s3_bucket", {})["added_by_test"] = {"bucket": "added-by-test"}
    open(edited, "w", encoding="utf-8").write(json.dumps(stack, indent=2))
    changed = pool.scan(fintech)
    assert requests_answered(pool) == answered + 1  # the edited stack only
    assert sorted_results(changed) == sorted_results(checkov_worker.scan(fintech))
    assert any(result["address"] == "aws_s3_bucket.added_by_test" for result in changed.results)


def test_changed_checks_or_context_rescan_every_stack(fintech, pool, tmp_path):
    pool.scan(fintech)
    answered = requests_answered(pool)
    context = tmp_path / "context.json"
    context.write_text(json.dumps({**json.loads(open(fintech.context).read()), "required_tags": {"team": "x"}}))
    pool.scan(replace(fintech, context=str(context)))
    assert requests_answered(pool) == answered + len(fintech.files)
    pool.scan(replace(fintech, context=str(context), checks=("CKV_AWS_20",)))
    assert requests_answered(pool) == answered + 2 * len(fintech.files)


def test_a_worker_that_dies_mid_scan_fails_the_whole_scan(fintech, tmp_path, monkeypatch):
    # Two workers: the first to start is real checkov, the other answers `ready` and exits on its first request.
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nif mkdir "{tmp_path}/real" 2>/dev/null; then exec "{checkov_python()}" "$@"; fi\n'
                      'echo \'{"ok": true, "ready": true}\'\nread request\nexit 1\n')
    python.chmod(0o755)
    monkeypatch.setenv("NEXUS_CHECKOV", str(python))
    with CheckovPool(size=2) as dying, pytest.raises(ScanError, match="exited during scan") as raised:
        dying.scan(fintech)
    assert raised.value.exit_code == 4


def test_a_worker_that_died_while_idle_fails_the_next_scan(fintech, tmp_path, monkeypatch):
    python = tmp_path / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\necho $$ > "{tmp_path}/pid"\necho \'{{"ok": true, "ready": true}}\'\nexit 0\n')
    python.chmod(0o755)
    monkeypatch.setenv("NEXUS_CHECKOV", str(python))
    with CheckovPool(size=1) as idle:
        exited(int((tmp_path / "pid").read_text()))
        with pytest.raises(ScanError, match="checkov exited") as raised:
            idle.scan(fintech)
    assert raised.value.exit_code == 4


def exited(pid: int) -> None:
    """Wait (bounded) until process PID has exited: a zombie, since its parent has not reaped it yet."""
    for _ in range(600):
        if open(f"/proc/{pid}/stat").read().rpartition(")")[2].split()[0] == "Z":
            return
        time.sleep(0.05)
    raise AssertionError(f"process {pid} did not exit")
