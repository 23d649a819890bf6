"""Compliance scan speed: a warm worker's rescan inside a fix loop vs the checkov CLI on the same files."""
from __future__ import annotations

import subprocess

import pytest

from cdktf_app.blueprints.catalog import render_blueprint
from cdktf_app.compliance.checkov import checkov_cli_command, checkov_environment
from cdktf_app.compliance.fixes import load_fixes
from cdktf_app.compliance.scan import check_resolved
from cdktf_app.workspace import resolve


@pytest.fixture(scope="module")
def fintech_target(tmp_path_factory):
    work = tmp_path_factory.mktemp("check-bench")
    spec = work / "nexus.yaml"
    spec.write_text(render_blueprint("fintech", {}), encoding="utf-8")
    return resolve(spec)


@pytest.mark.benchmark(group="rescan-fintech")
def test_warm_worker_rescan_in_a_fix_loop(benchmark, fintech_target, checkov_worker):
    fixable = tuple(sorted(load_fixes()))
    check_resolved(fintech_target, None, checkov_worker)  # the first scan of a process warms checkov's caches
    report = benchmark(check_resolved, fintech_target, None, checkov_worker, fixable)
    assert {finding.check_id for finding in report.findings} <= set(fixable)


@pytest.mark.benchmark(group="rescan-fintech")
def test_warm_worker_full_rescan(benchmark, fintech_target, checkov_worker):
    report = benchmark(check_resolved, fintech_target, None, checkov_worker)
    assert report.passed_count > 100


@pytest.mark.benchmark(group="rescan-fintech")
def test_checkov_cli_on_the_same_files(benchmark, fintech_target):
    files = [argument for item in fintech_target.files for argument in ("-f", str(item.path))]
    command = checkov_cli_command("--framework", "terraform_json", "--quiet", "--compact", "-o", "json", *files)
    completed = benchmark.pedantic(subprocess.run, args=(command,), kwargs={
        "capture_output": True, "text": True, "env": checkov_environment()}, rounds=1, iterations=1)
    assert completed.returncode in (0, 1), completed.stderr[-500:]
    assert '"check_type": "terraform_json"' in completed.stdout
