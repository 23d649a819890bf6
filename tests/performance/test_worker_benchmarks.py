"""The warm edit loop (pytest-benchmark; `make bench` or `pytest tests/performance --benchmark-enable`): a changed
spec synthesized by the synth worker, and one watch round (synth + check) after a save. No timed assertions:
scripts/bench prints the ratios against a cold synth."""
from __future__ import annotations

import itertools

import pytest

from cdktf_app.compliance import CheckovPool
from cdktf_app.stacks.synth import synth
from cdktf_app.synth_worker import WORKER_VARIABLE, stop_worker, worker_status
from cdktf_app.watch import observe
from tests.helpers import write_spec
from tests.performance.worker_bench import fintech


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv(WORKER_VARIABLE, str(tmp_path))
    yield tmp_path
    stop_worker(tmp_path)


def test_changed_spec_through_the_warm_worker(benchmark, project):
    spec = write_spec(project, fintech(7))
    synth(spec, project / "cdktf.out")  # starts the worker
    days = itertools.count(8)
    rounds = []

    def edit_and_synth():
        rounds.append(next(days))
        spec.write_text(fintech(rounds[-1]), encoding="utf-8")
        return synth(spec, project / "cdktf.out")

    result = benchmark.pedantic(edit_and_synth, rounds=3, iterations=1)
    assert not result.cached
    assert worker_status(project).synths == 1 + len(rounds)  # every round was the worker's, none fell back


def test_watch_round_after_a_save(benchmark, project):
    spec = write_spec(project, fintech(7))
    days = itertools.count(8)
    with CheckovPool() as checkov:  # what `nexus watch` checks with
        observe(spec, project / "cdktf.out", checkov)

        def save_and_observe():
            spec.write_text(fintech(next(days)), encoding="utf-8")
            return observe(spec, project / "cdktf.out", checkov)

        outcome = benchmark.pedantic(save_and_observe, rounds=3, iterations=1)
    assert outcome.problem is None and outcome.findings and sum(outcome.resources.values()) > 100
