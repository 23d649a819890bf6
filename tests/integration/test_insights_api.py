"""The insights' REST clients against a loopback server speaking the GitHub and GitLab APIs (127.0.0.1, a free
port, stopped after the module): paginated by Link header (GitLab: X-Next-Page), a rate limit waited out, jobs of
every attempt, logs through a redirect, incremental imports; healing re-runs failed jobs and opens one issue,
then updates it (request bodies asserted), dry run by default."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cdktf_app.cli.main import cli
from cdktf_app.insights.generator import (FLAKY_FAILURE, NEW_FAILURES, History, Job, generate, github_jobs,
                                          github_log, github_run, gitlab_jobs, gitlab_pipeline, write_github)
from cdktf_app.insights.healing import ISSUE_LABEL, marker
from cdktf_app.insights.history import TABLES, CIHistory
from cdktf_app.insights.service import OVERLAP
from cdktf_app.runs import RunStore, runs_url

REPO = "acme/shop"
TOKEN = "loopback-token-1234"
PAGE = 25
SERVER_LIFETIME = 120  # seconds: the server stops itself even if a test never gets to


def healing_history() -> History:
    """A small history whose newest CI run failed on a network error (transient: re-run) and whose Deploy apply
    failed three times with a crash no rule knows (persistent: an issue)."""
    history = generate(21, runs_per_workflow=30)
    for run in history.runs:  # one branch: the newest run of each workflow is the one healing looks at
        run.branch = "main"
    ci = [run for run in history.runs if run.workflow == "CI"]
    deploy = [run for run in history.runs if run.workflow == "Deploy"]
    for job in ci[-1].jobs:
        if job.name == "test":
            job.conclusion, job.log = "failure", FLAKY_FAILURE.format(n=7, m=0, g=0)
    for run in deploy[-3:]:
        for job in run.jobs:
            if job.name == "apply":
                job.conclusion, job.log = "failure", NEW_FAILURES[0].format(n=run.id % 97, m=4096, g=3)
    return history


class Api(BaseHTTPRequestHandler):
    history: History
    requests: list[tuple[str, str, dict, object]] = []
    issues: list[dict] = []
    rate_limited_once: set[str] = set()

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, body=None, headers: dict | None = None, text: str | None = None) -> None:
        data = (text if text is not None else json.dumps(body)).encode()
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", "text/plain" if text is not None else "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> tuple[str, dict, object]:
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.requests.append((self.command, url.path, query, body))
        return url.path, query, body

    def _page(self, items: list, query: dict, path: str, github: bool):
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * PAGE:page * PAGE]
        headers = {}
        if page * PAGE < len(items):
            following = urllib.parse.urlencode({**query, "page": page + 1})
            if github:
                headers["Link"] = f'<http://{self.headers["Host"]}{path}?{following}>; rel="next"'
            else:
                headers["X-Next-Page"] = str(page + 1)
        return chunk, headers

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        path, query, _ = self._record()
        runs = {str(run.id): run for run in self.history.runs}
        if path.startswith("/repos/"):
            assert self.headers["Authorization"] == f"Bearer {TOKEN}"
        if path == f"/repos/{REPO}/actions/runs":
            since = query.get("created", ">=1970-01-01T00:00:00Z")[2:]
            shapes = [github_run(run, REPO) for run in reversed(self.history.runs)
                      if github_run(run, REPO)["created_at"] >= since]
            chunk, headers = self._page(shapes, query, path, github=True)
            if "runs" not in self.rate_limited_once:  # the first page spends the last call of the hour
                self.rate_limited_once.add("runs")
                headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(time.time()) + 2)})  # >= 1 s away
            return self._send(200, {"total_count": len(shapes), "workflow_runs": chunk}, headers)
        parts = path.strip("/").split("/")
        if path.startswith(f"/repos/{REPO}/actions/runs/") and parts[-1] == "jobs":
            run_id = parts[-2]
            if run_id not in self.rate_limited_once:
                self.rate_limited_once.add(run_id)
                return self._send(429, {"message": "secondary rate limit"}, {"Retry-After": "0"})
            return self._send(200, github_jobs(runs[run_id], REPO) if query.get("filter") == "all" else {})
        if path.startswith(f"/repos/{REPO}/actions/jobs/") and parts[-1] == "logs":
            return self._send(302, {}, {"Location": f"/blobs/log-{parts[-2]}"})
        if path.startswith("/blobs/log-"):
            assert "Authorization" not in self.headers, "the token followed the redirect to the log storage"
            job = next(job for run in self.history.runs for job in run.jobs if str(job.id) == path.split("-")[-1])
            return self._send(200, text=github_log(job))
        if path == f"/repos/{REPO}/issues":
            assert query == {"state": "open", "labels": ISSUE_LABEL, "per_page": "100"}
            return self._send(200, [issue for issue in self.issues if issue["state"] == "open"])
        project = f"/api/v4/projects/{urllib.parse.quote(REPO, safe='')}"
        if self.path.split("?")[0] == f"{project}/pipelines":
            assert self.headers["PRIVATE-TOKEN"] == TOKEN
            chunk, headers = self._page([gitlab_pipeline(run, REPO) for run in reversed(self.history.runs)],
                                        query, path, github=False)
            return self._send(200, chunk, headers)
        if path.startswith(f"{project}/pipelines/") and parts[-1] == "jobs":
            assert query.get("include_retried") == "true"
            return self._send(200, gitlab_jobs(runs[parts[-2]], REPO))
        if path.startswith(f"{project}/jobs/") and parts[-1] == "trace":
            job = next(job for run in self.history.runs for job in run.jobs if str(job.id) == parts[-2])
            return self._send(200, text=job.log + "\nERROR: Job failed: exit code 1\n")
        self._send(404, {"message": "Not Found"})

    def do_POST(self) -> None:  # noqa: N802
        path, _, body = self._record()
        if path.endswith("/rerun-failed-jobs"):
            return self._send(201, {})
        if path == f"/repos/{REPO}/issues":
            issue = {"number": 100 + len(self.issues), "state": "open", **body}
            self.issues.append(issue)
            return self._send(201, issue)
        self._send(404, {"message": "Not Found"})

    def do_PATCH(self) -> None:  # noqa: N802
        path, _, body = self._record()
        number = int(path.rsplit("/", 1)[-1])
        issue = next(issue for issue in self.issues if issue["number"] == number)
        issue.update(body)
        self._send(200, issue)


@pytest.fixture(scope="module")
def api():
    Api.history = healing_history()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stopper = threading.Timer(SERVER_LIFETIME, server.shutdown)
    stopper.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    stopper.cancel()
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def fresh_server_state(monkeypatch):
    monkeypatch.setenv("LOOPBACK_TOKEN", TOKEN)
    Api.requests.clear()
    Api.issues.clear()
    Api.rate_limited_once.clear()


def nexus(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def rows(project: Path) -> dict[str, list]:
    with RunStore(runs_url(project)) as store:
        CIHistory(store)
        with store.engine.connect() as connection:
            return {table.name: sorted(tuple(value for key, value in row._mapping.items())
                                       for row in connection.execute(select(table)))
                    for table in TABLES if table.name in ("ci_runs", "ci_jobs")}


def test_github_import_from_the_api_equals_the_export_and_is_incremental(api, tmp_path):
    write_github(Api.history, tmp_path / "export")
    nexus("insights", "import", "github", REPO, "--from-dir", str(tmp_path / "export"), "--project",
          str(tmp_path / "from-dir"))
    started = time.monotonic()
    first = json.loads(nexus("insights", "import", "github", REPO, "--api-url", api, "--token-env", "LOOPBACK_TOKEN",
                             "--project", str(tmp_path / "from-api"), "--output", "json"))
    assert time.monotonic() - started >= 0.5  # waited for the rate limit's reset
    assert (first["runs"], first["new"]) == (60, 60)
    assert rows(tmp_path / "from-api") == rows(tmp_path / "from-dir")
    pages = [query.get("page", "1") for method, path, query, _ in Api.requests if path.endswith("/actions/runs")]
    assert pages == ["1", "2", "3"]
    job_calls = [path for method, path, query, _ in Api.requests if path.endswith("/jobs")]
    assert len(job_calls) == 2 * 60  # each run's jobs: refused once (429, Retry-After), then read
    assert any(path.startswith("/blobs/log-") for _, path, _, _ in Api.requests)  # logs behind a redirect

    Api.requests.clear()
    again = json.loads(nexus("insights", "import", "github", REPO, "--api-url", api, "--token-env",
                             "LOOPBACK_TOKEN", "--project", str(tmp_path / "from-api"), "--output", "json"))
    resume = round(max(run.created_at for run in Api.history.runs)) - OVERLAP  # the newest run, less a day
    assert again["since"] == pytest.approx(resume, abs=1) and again["new"] == 0
    assert again["runs"] == sum(run.created_at >= resume - 1 for run in Api.history.runs) < 60
    created = [query["created"] for _, path, query, _ in Api.requests if path.endswith("/actions/runs")]
    assert created == [f">={time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(resume))}"]
    assert rows(tmp_path / "from-api") == rows(tmp_path / "from-dir")


def test_gitlab_import_from_the_api_pages_by_x_next_page(api, tmp_path):
    result = json.loads(nexus("insights", "import", "gitlab", REPO, "--api-url", f"{api}/api/v4", "--token-env",
                              "LOOPBACK_TOKEN", "--project", str(tmp_path), "--output", "json"))
    assert (result["runs"], result["new"]) == (60, 60)
    pages = [query.get("page", "1") for _, path, query, _ in Api.requests if path.endswith("/pipelines")]
    assert pages == ["1", "2", "3"]
    failed_jobs = sum(job.log is not None for run in Api.history.runs for job in run.jobs)
    assert len([1 for _, path, _, _ in Api.requests if path.endswith("/trace")]) == failed_jobs > 0


def test_healing_reruns_transient_failures_and_keeps_one_issue_per_signature(api, tmp_path):
    nexus("insights", "import", "github", REPO, "--api-url", api, "--token-env", "LOOPBACK_TOKEN", "--project",
          str(tmp_path))
    ci_run = str([run for run in Api.history.runs if run.workflow == "CI"][-1].id)
    Api.requests.clear()
    planned = json.loads(nexus("insights", "heal", "github", REPO, "--api-url", api, "--token-env",
                               "LOOPBACK_TOKEN", "--project", str(tmp_path), "--output", "json"))
    assert [(a["action"], a["outcome"]) for a in planned] == [("rerun-failed-jobs", "planned"),
                                                              ("clear-cache", "advised"), ("open-issue", "planned")]
    assert Api.requests == []  # a dry run sends nothing

    nexus("insights", "heal", "github", REPO, "--apply", "--api-url", api, "--token-env", "LOOPBACK_TOKEN",
          "--project", str(tmp_path))
    writes = [(method, path, body) for method, path, _, body in Api.requests if method != "GET"]
    assert writes[0] == ("POST", f"/repos/{REPO}/actions/runs/{ci_run}/rerun-failed-jobs", {})
    method, path, body = writes[1]
    assert (method, path, len(writes)) == ("POST", f"/repos/{REPO}/issues", 2)
    assert body["labels"] == [ISSUE_LABEL] and body["title"].startswith("CI failure: unknown (template:")
    signature = body["title"].split("(")[1].rstrip(")")
    assert marker(signature) in body["body"] and "panic: runtime error: index out of range" in body["body"]
    assert "in 3 runs" in body["body"]

    Api.requests.clear()
    second = json.loads(nexus("insights", "heal", "github", REPO, "--apply", "--api-url", api, "--token-env",
                              "LOOPBACK_TOKEN", "--project", str(tmp_path), "--output", "json"))
    writes = [(method, path, body) for method, path, _, body in Api.requests if method != "GET"]
    assert writes == [("PATCH", f"/repos/{REPO}/issues/100", {"body": Api.issues[0]["body"]})]
    assert len(Api.issues) == 1  # updated, not duplicated
    assert [(a["action"], a["outcome"]) for a in second] == [("clear-cache", "advised"),
                                                             ("update-issue", "updated #100")]


def test_the_outcome_of_a_rerun_is_learned_from_the_next_import(api, tmp_path):
    history = Api.history
    nexus("insights", "import", "github", REPO, "--api-url", api, "--token-env", "LOOPBACK_TOKEN", "--project",
          str(tmp_path))
    nexus("insights", "heal", "github", REPO, "--apply", "--api-url", api, "--token-env", "LOOPBACK_TOKEN",
          "--project", str(tmp_path))
    ci_run = [run for run in history.runs if run.workflow == "CI"][-1]
    failed = next(job for job in ci_run.jobs if job.conclusion == "failure")
    ci_run.attempt = 2  # GitHub ran the failed job again, and it passed
    ci_run.jobs.append(Job(failed.id + 10**6, failed.name, 2, "success", failed.started_at + 600, 280.0))
    try:
        nexus("insights", "import", "github", REPO, "--api-url", api, "--token-env", "LOOPBACK_TOKEN", "--project",
              str(tmp_path))
        again = json.loads(nexus("insights", "heal", "github", REPO, "--api-url", api, "--token-env",
                                 "LOOPBACK_TOKEN", "--project", str(tmp_path), "--output", "json"))
        report = json.loads(nexus("insights", "report", "--project", str(tmp_path), "--output", "json"))
    finally:
        ci_run.attempt = 1
        ci_run.jobs.pop()
    assert "rerun-failed-jobs" not in [action["action"] for action in again]  # the run passed: nothing to heal
    assert {"failure_class": "dependency-network", "action": "rerun-failed-jobs", "succeeded": 1, "failed": 0,
            "pending": 0, "success_rate": 1.0} in report["healing"]


def test_a_repository_the_api_does_not_know_is_bad_input(api, tmp_path):
    result = CliRunner().invoke(cli, ["insights", "import", "github", "acme/nothing", "--api-url", api,
                                      "--token-env", "LOOPBACK_TOKEN", "--project", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert (f"GET {api}/repos/acme/nothing/actions/runs?per_page=100&status=completed: GitHub answered 404 "
            "(Not Found) (check the repository name and the token's access)") in result.output
    assert TOKEN not in result.output
