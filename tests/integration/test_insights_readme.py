"""The README's "Pipeline insights" examples, run exactly as written, in a fresh project folder; the API ones
against the loopback GitHub/GitLab server (GITHUB_API_URL and CI_API_V4_URL point at it)."""
from __future__ import annotations

import json
import shlex

from click.testing import CliRunner

from cdktf_app.cli.main import cli
from tests.integration.test_insights_api import TOKEN, Api, api, fresh_server_state  # noqa: F401 (fixtures)

EXAMPLES = """
nexus insights generate --seed 7 --out ci-export    # a seeded CI history with its labels (ci-export/labels.json)
nexus insights import github --from-dir ci-export   # exported responses: runs*.json, jobs-<run_id>.json
nexus insights import github acme/shop              # the API: $GITHUB_API_URL (else api.github.com), $GITHUB_TOKEN
nexus insights import gitlab acme/shop              # the API: $CI_API_V4_URL (else gitlab.com), $GITLAB_TOKEN
nexus insights import junit report.xml --run-id 20000001
nexus insights anomalies --output json              # every flagged run: run_id, kind, subject, explanation
nexus insights report                               # anomalies, flaky jobs, signatures, baselines, healing
nexus insights report --output html -o insights.html
nexus insights report --output prometheus -o insights.prom
nexus insights heal github acme/shop                # dry run: the actions it would take
nexus insights heal github acme/shop --apply        # re-run transient failures, open or update issues
"""
JUNIT = """<?xml version="1.0"?>
<testsuites><testsuite name="orders" tests="2">
  <testcase classname="tests.test_orders" name="test_refund" time="0.5">
    <failure message="assert 500 == 200"/></testcase>
  <testcase classname="tests.test_orders" name="test_pay" time="0.2"/>
</testsuite></testsuites>
"""


def test_the_readme_examples_run(api, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GITHUB_API_URL", api)
    monkeypatch.setenv("CI_API_V4_URL", f"{api}/api/v4")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    (tmp_path / "report.xml").write_text(JUNIT, encoding="utf-8")
    outputs, writes = [], []
    for line in filter(None, (line.split("#")[0].strip() for line in EXAMPLES.splitlines())):
        words = shlex.split(line)
        assert words[0] == "nexus"
        result = CliRunner().invoke(cli, words[1:])
        assert result.exit_code == 0, (line, result.output)
        outputs.append(result.output)
        writes.append(sum(method != "GET" for method, *_ in Api.requests))
    anomalies = json.loads(outputs[5])
    assert {"run_id", "kind", "subject", "explanation"} <= set(anomalies[0]) and len(anomalies) > 20
    assert "<svg" in (tmp_path / "insights.html").read_text()
    assert "tests.test_orders" in outputs[6] and "assert 500 == 200" in outputs[6]  # the JUnit results
    assert "nexus_insights_anomalies{" in (tmp_path / "insights.prom").read_text()
    assert writes[-2] == 0 < writes[-1]  # the dry run sent nothing; --apply re-ran jobs and opened issues
    assert {path.rsplit("/", 1)[-1] for method, path, *_ in Api.requests if method == "POST"} == {
        "rerun-failed-jobs", "issues"}
