"""Reading CI data: GitHub Actions and GitLab REST responses (from the API or exported files) and JUnit XML.

Each reader yields CIRun objects (jobs of every attempt, failed jobs with their log), so an export and the API
give the same rows. Timestamps are UTC epoch seconds.
"""
from __future__ import annotations

import json
import os
import urllib.parse
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

from ..errors import UsageError
from ..rest import RestClient, Retries
from ..sensitive import Secrets
from .model import CIJob, CIRun, TestResult

GITHUB_API = "https://api.github.com"
GITLAB_API = "https://gitlab.com/api/v4"
RETRIES = Retries(max_wait_seconds=120)     # an import may wait up to two minutes for a rate limit to reset
CONCLUSIONS = {"success": "success", "failed": "failure", "canceled": "cancelled", "skipped": "skipped",
               "manual": "skipped"}


def epoch(value: str | None) -> float | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(timezone.utc).timestamp()


def read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise UsageError(f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot be read ({error.strerror})") from None


def _field(data, key: str, path: Path, where: str):
    if not isinstance(data, dict) or key not in data:
        raise UsageError(f"{path}: {where}: expected a '{key}' field (the REST API's shape)")
    return data[key]


# --- GitHub Actions -------------------------------------------------------------------------------------------

def github_run(shape: dict, repo: str, jobs: list[dict], logs: dict[str, str]) -> CIRun:
    run = CIRun(provider="github", repo=repo, run_id=str(shape["id"]), workflow=shape.get("name") or "workflow",
                branch=shape.get("head_branch") or "", commit=shape.get("head_sha") or "",
                event=shape.get("event") or "", conclusion=shape.get("conclusion") or shape.get("status") or "",
                attempt=int(shape.get("run_attempt") or 1), created_at=epoch(shape["created_at"]),
                started_at=epoch(shape.get("run_started_at")), finished_at=epoch(shape.get("updated_at")),
                url=shape.get("html_url") or "")
    run.jobs = [github_job(job, run, logs.get(str(job["id"]))) for job in jobs]
    return run


def github_job(shape: dict, run: CIRun, log: str | None) -> CIJob:
    steps = [{"name": step.get("name"), "conclusion": step.get("conclusion"),
              "seconds": _span(step.get("started_at"), step.get("completed_at"))} for step in shape.get("steps") or []]
    return CIJob(provider="github", repo=run.repo, job_id=str(shape["id"]), run_id=run.run_id,
                 attempt=int(shape.get("run_attempt") or 1), name=shape.get("name") or "job",
                 conclusion=shape.get("conclusion") or shape.get("status") or "",
                 started_at=epoch(shape.get("started_at")), finished_at=epoch(shape.get("completed_at")),
                 steps=steps, log=log)


def _span(start: str | None, end: str | None) -> float | None:
    first, last = epoch(start), epoch(end)
    return None if first is None or last is None else last - first


def github_from_dir(directory: Path, repo: str = "") -> Iterator[CIRun]:
    """DIR/runs*.json: pages of GET .../actions/runs; DIR/jobs-<run_id>.json: GET .../runs/<run_id>/jobs;
    DIR/logs-<job_id>.txt (optional): a job's log."""
    pages = sorted(directory.glob("runs*.json"))
    if not pages:
        raise UsageError(f"{directory}: no runs*.json (pages of GET /repos/OWNER/REPO/actions/runs) in it")
    for page in pages:
        shapes = _field(read_json(page), "workflow_runs", page, "a page of workflow runs")
        for index, shape in enumerate(shapes):
            _field(shape, "id", page, f"workflow_runs[{index}]")
            _field(shape, "created_at", page, f"workflow_runs[{index}]")
            jobs_file = directory / f"jobs-{shape['id']}.json"
            jobs = _field(read_json(jobs_file), "jobs", jobs_file, "the jobs of a run") if jobs_file.exists() else []
            logs = {str(job["id"]): _read_text(directory / f"logs-{job['id']}.txt") for job in jobs
                    if (directory / f"logs-{job['id']}.txt").exists()}
            yield github_run(shape, repo or (shape.get("repository") or {}).get("full_name", ""), jobs, logs)


def github_client(api_url: str | None, token_env: str) -> RestClient:
    token = os.environ.get(token_env)
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
    return RestClient(api_url or os.environ.get("GITHUB_API_URL") or GITHUB_API, headers,
                      {"Authorization": f"Bearer {token}"} if token else {}, Secrets({token} if token else ()),
                      RETRIES, host="GitHub")


def github_from_api(client: RestClient, repo: str, since: float | None) -> Iterator[CIRun]:
    """Completed runs created at or after `since` (all when None), newest first, each with the jobs of every
    attempt and the logs of its failed jobs."""
    params = {"per_page": 100, "status": "completed"}
    if since is not None:
        params["created"] = ">=" + datetime.fromtimestamp(since, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for page in client.pages(f"/repos/{repo}/actions/runs", params):
        for shape in page.get("workflow_runs", []):
            jobs = [job for jobs_page in client.pages(f"/repos/{repo}/actions/runs/{shape['id']}/jobs",
                                                      {"filter": "all", "per_page": 100})
                    for job in jobs_page.get("jobs", [])]
            logs = {str(job["id"]): client.text(f"/repos/{repo}/actions/jobs/{job['id']}/logs") for job in jobs
                    if job.get("conclusion") == "failure"}
            yield github_run(shape, repo, jobs, logs)


# --- GitLab ---------------------------------------------------------------------------------------------------

def gitlab_run(shape: dict, project: str, jobs: list[dict], traces: dict[str, str]) -> CIRun:
    run = CIRun(provider="gitlab", repo=project, run_id=str(shape["id"]), workflow=shape.get("name") or "pipeline",
                branch=shape.get("ref") or "", commit=shape.get("sha") or "", event=shape.get("source") or "",
                conclusion=CONCLUSIONS.get(shape.get("status"), shape.get("status") or ""), attempt=1,
                created_at=epoch(shape["created_at"]), started_at=None, finished_at=None,
                url=shape.get("web_url") or "")
    tries: dict[str, int] = {}
    for job in sorted(jobs, key=lambda job: int(job["id"])):
        tries[job["name"]] = tries.get(job["name"], 0) + 1
        run.jobs.append(CIJob(provider="gitlab", repo=project, job_id=str(job["id"]), run_id=run.run_id,
                              attempt=tries[job["name"]], name=job["name"],
                              conclusion=CONCLUSIONS.get(job.get("status"), job.get("status") or ""),
                              started_at=epoch(job.get("started_at")), finished_at=epoch(job.get("finished_at")),
                              failure_reason=job.get("failure_reason"), log=traces.get(str(job["id"]))))
    run.attempt = max(tries.values(), default=1)
    starts = [job.started_at for job in run.jobs if job.started_at is not None]
    ends = [job.finished_at for job in run.jobs if job.finished_at is not None]
    run.started_at = epoch(shape.get("started_at")) or (min(starts) if starts else None)
    run.finished_at = epoch(shape.get("finished_at")) or (max(ends) if ends else None)
    return run


def gitlab_from_dir(directory: Path, project: str = "") -> Iterator[CIRun]:
    """DIR/pipelines*.json: pages of GET /projects/:id/pipelines; DIR/jobs-<pipeline_id>.json: GET
    .../pipelines/<id>/jobs?include_retried=true; DIR/trace-<job_id>.txt (optional): a job's trace."""
    pages = sorted(directory.glob("pipelines*.json"))
    if not pages:
        raise UsageError(f"{directory}: no pipelines*.json (pages of GET /projects/:id/pipelines) in it")
    for page in pages:
        shapes = read_json(page)
        if not isinstance(shapes, list):
            raise UsageError(f"{page}: expected a JSON list of pipelines (the REST API's shape)")
        for index, shape in enumerate(shapes):
            _field(shape, "id", page, f"[{index}]")
            _field(shape, "created_at", page, f"[{index}]")
            jobs_file = directory / f"jobs-{shape['id']}.json"
            jobs = read_json(jobs_file) if jobs_file.exists() else []
            traces = {str(job["id"]): _read_text(directory / f"trace-{job['id']}.txt") for job in jobs
                      if (directory / f"trace-{job['id']}.txt").exists()}
            yield gitlab_run(shape, project or str(shape.get("project_id", "")), jobs, traces)


def gitlab_client(api_url: str | None, token_env: str) -> RestClient:
    token = os.environ.get(token_env)
    return RestClient(api_url or os.environ.get("CI_API_V4_URL") or GITLAB_API, {},
                      {"PRIVATE-TOKEN": token} if token else {}, Secrets({token} if token else ()), RETRIES,
                      host="GitLab")


def gitlab_from_api(client: RestClient, project: str, since: float | None) -> Iterator[CIRun]:
    encoded = urllib.parse.quote(project, safe="")
    params = {"per_page": 100, "scope": "finished"}
    if since is not None:
        params["updated_after"] = datetime.fromtimestamp(since, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for shape in client.items(f"/projects/{encoded}/pipelines", params):
        jobs = list(client.items(f"/projects/{encoded}/pipelines/{shape['id']}/jobs",
                                 {"include_retried": "true", "per_page": 100}))
        traces = {str(job["id"]): client.text(f"/projects/{encoded}/jobs/{job['id']}/trace") for job in jobs
                  if job.get("status") == "failed"}
        yield gitlab_run(shape, project, jobs, traces)


# --- JUnit XML ------------------------------------------------------------------------------------------------

def junit_results(path: Path, run_id: str) -> list[TestResult]:
    """Every testcase of a JUnit XML file (testsuites or a single testsuite)."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError as error:
        line, column = error.position
        raise UsageError(f"{path}:{line}:{column}: not valid JUnit XML ({error})") from None
    except OSError as error:
        raise UsageError(f"{path}: cannot be read ({error.strerror})") from None
    if root.tag not in ("testsuites", "testsuite"):
        raise UsageError(f"{path}:1: expected <testsuites> or <testsuite> as the root element, got <{root.tag}>")
    results = []
    for suite in root.iter("testsuite"):
        for case in suite.findall("testcase"):
            outcome, message = "passed", None
            for child, name in (("failure", "failed"), ("error", "error"), ("skipped", "skipped")):
                found = case.find(child)
                if found is not None:
                    outcome, message = name, (found.get("message") or (found.text or "").strip())[:2000] or None
                    break
            results.append(TestResult(suite=case.get("classname") or suite.get("name") or "",
                                      name=case.get("name") or "", outcome=outcome,
                                      seconds=float(case.get("time") or 0), run_id=run_id, message=message))
    return results


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")
