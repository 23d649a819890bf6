"""Pipeline insights at scale: importing 10,000 CI runs with their jobs (exported GitHub responses) into a fresh
SQLite run history, and the report over them. The issue's bounds: import under a minute, report under 5 s."""
from __future__ import annotations

import time

import pytest

from cdktf_app.insights.generator import generate, write_github
from cdktf_app.insights.report import report
from cdktf_app.insights.service import import_github, load_insights

RUNS_PER_WORKFLOW = 5_000  # two workflows: 10,000 runs, 25,000 jobs and more (re-run attempts)


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    folder = tmp_path_factory.mktemp("insights-export")
    write_github(generate(5, RUNS_PER_WORKFLOW), folder)
    return folder


@pytest.fixture(scope="module")
def imported(export, tmp_path_factory):
    project = tmp_path_factory.mktemp("insights-project")
    import_github(project, "acme/shop", export)
    return project


@pytest.mark.benchmark(group="insights")
def test_import_of_10000_runs_with_jobs(benchmark, export, tmp_path_factory):
    projects = iter(tmp_path_factory.mktemp(f"import-{n}") for n in range(100))
    seconds = []

    def fresh_import():
        started = time.perf_counter()
        result = import_github(next(projects), "acme/shop", export)
        seconds.append(time.perf_counter() - started)
        return result

    result = benchmark.pedantic(fresh_import, rounds=1, iterations=1)
    assert (result.runs, result.new) == (2 * RUNS_PER_WORKFLOW, 2 * RUNS_PER_WORKFLOW)
    assert max(seconds) < 60


@pytest.mark.benchmark(group="insights")
def test_report_over_10000_runs(benchmark, imported):
    seconds = []

    def full_report():
        started = time.perf_counter()
        document = report(load_insights(imported), [])
        seconds.append(time.perf_counter() - started)
        return document

    document = benchmark.pedantic(full_report, rounds=1, iterations=1)
    assert document["counts"]["duration"] > 0 and max(seconds) < 5
