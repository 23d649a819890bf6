"""Posting to GitHub from a GitHub Actions job: the pull request's one marked comment (issue comments API) and a
check run carrying the report and the findings as annotations on the spec's lines.

Read from the job's environment: GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_EVENT_PATH (the pull request's number
and head commit), GITHUB_API_URL (GitHub Enterprise), GITHUB_SERVER_URL and GITHUB_RUN_ID (the link to the
run's artifacts), GITHUB_WORKSPACE (annotation paths are relative to it).
"""
from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..rest import Refused, RestClient, Retries, environment_secrets
from .marked_comment import MARKER_PREFIX, MAX_PAGES, Posted, PostOutcome, comment_body, upsert

API_VERSION = "2022-11-28"
CHECK_NAME = "nexus plan-and-check"
ANNOTATIONS_PER_REQUEST = 50          # GitHub's limit per create/update of a check run
MAX_ANNOTATIONS = 500                 # the rest are in the report
OUTPUT_LIMIT = 65_535                 # characters of a check run's output.summary
LEVELS = {"critical": "failure", "high": "failure", "medium": "warning", "low": "notice"}
SEVERITY_ORDER = ("critical", "high", "medium", "low")
CONCLUSIONS = {"passed": "success", "failed": "failure", "error": "failure"}


@dataclass(frozen=True)
class Context:
    api_url: str
    repository: str
    token: str
    pull_request: int | None
    head_sha: str | None
    artifacts_url: str | None
    workspace: str | None


def context(environ: Mapping[str, str]) -> Context:
    """What to post where, from the job's environment; UsageError (exit 2) naming whatever is missing."""
    missing = [name for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY") if not environ.get(name)]
    if missing:
        raise UsageError(f"--post github needs {' and '.join(missing)} in the environment (in a workflow: "
                         "`env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`; GitHub Actions sets GITHUB_REPOSITORY)")
    repository = environ["GITHUB_REPOSITORY"]
    if repository.count("/") != 1 or not all(repository.split("/")):
        raise UsageError(f"GITHUB_REPOSITORY: expected owner/name, got {repository!r}")
    pull_request = _event(environ).get("pull_request") or {}
    head_sha = (pull_request.get("head") or {}).get("sha") or environ.get("GITHUB_SHA")
    if not pull_request.get("number") and not head_sha:
        raise UsageError("--post github found no pull request in GITHUB_EVENT_PATH and no GITHUB_SHA: "
                         "nothing to comment on or check")
    server, run_id = environ.get("GITHUB_SERVER_URL", "https://github.com"), environ.get("GITHUB_RUN_ID")
    return Context(api_url=environ.get("GITHUB_API_URL") or "https://api.github.com", repository=repository,
                   token=environ["GITHUB_TOKEN"], pull_request=pull_request.get("number"), head_sha=head_sha,
                   artifacts_url=f"{server}/{repository}/actions/runs/{run_id}" if run_id else None,
                   workspace=environ.get("GITHUB_WORKSPACE"))


def post(report_markdown: str, summary: dict, comment_when: str, environ: Mapping[str, str],
         retries: Retries) -> PostOutcome:
    where = context(environ)
    client = RestClient(where.api_url, {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION},
                        {"Authorization": f"Bearer {where.token}"}, environment_secrets(environ), retries,
                        host="GitHub")
    body, truncated = comment_body(report_markdown, client.secrets, where.artifacts_url)
    if where.pull_request:
        comment = upsert(_IssueComments(client, where.repository, where.pull_request), body, comment_when, summary)
    else:
        comment = Posted("skipped", "not a pull request event: no pull_request in GITHUB_EVENT_PATH")
    if where.head_sha:
        check_summary, _ = comment_body(report_markdown, client.secrets, where.artifacts_url, limit=OUTPUT_LIMIT)
        check_run = _check_run(client, where, check_summary, summary)
    else:
        check_run = Posted("skipped", "no head commit in the event and no GITHUB_SHA")
    return PostOutcome("github", comment, check_run, truncated)


def _event(environ: Mapping[str, str]) -> dict:
    path = environ.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"GITHUB_EVENT_PATH={path}: cannot read the event ({error})") from None
    return event if isinstance(event, dict) else {}


class _IssueComments:
    """A pull request's conversation: GitHub serves its comments through the issues API."""

    refusal_hint = ("give the job `permissions: pull-requests: write` (a pull request from a fork gets a "
                    "read-only token)")

    def __init__(self, client: RestClient, repository: str, number: int) -> None:
        self.client, self.repository, self.number = client, repository, number

    def marked(self) -> int | None:
        for comment in self.client.items(f"/repos/{self.repository}/issues/{self.number}/comments",
                                         {"per_page": 100}, MAX_PAGES):
            if isinstance(comment, dict) and str(comment.get("body") or "").startswith(MARKER_PREFIX):
                return comment["id"]
        return None

    def create(self, body: str) -> str | None:
        return self._send("POST", f"/repos/{self.repository}/issues/{self.number}/comments", body)

    def update(self, comment_id: object, body: str) -> str | None:
        return self._send("PATCH", f"/repos/{self.repository}/issues/comments/{comment_id}", body)

    def _send(self, method: str, path: str, body: str) -> str | None:
        answer = self.client.request(method, path, {"body": body})
        return answer.get("html_url") if isinstance(answer, dict) else None


def _check_run(client: RestClient, where: Context, check_summary: str, summary: dict) -> Posted:
    """One completed check run on the head commit: the report as its summary, the findings as annotations (50
    with the creation, the rest in updates of 50). A token without `checks: write` is said, not fatal."""
    annotations = annotations_of(summary.get("findings") or [], where.workspace)
    output = {"title": check_title(summary), "summary": check_summary}
    try:
        created = client.request("POST", f"/repos/{where.repository}/check-runs", {
            "name": CHECK_NAME, "head_sha": where.head_sha, "status": "completed",
            "conclusion": CONCLUSIONS.get(summary.get("outcome"), "failure"),
            "output": {**output, "annotations": annotations[:ANNOTATIONS_PER_REQUEST]}})
    except Refused as refusal:
        return Posted("refused", refusal.with_hint("give the job `permissions: checks: write`"))
    run_id, url = created.get("id"), created.get("html_url")
    for start in range(ANNOTATIONS_PER_REQUEST, len(annotations), ANNOTATIONS_PER_REQUEST):
        try:
            client.request("PATCH", f"/repos/{where.repository}/check-runs/{run_id}",
                           {"output": {**output, "annotations": annotations[start:start + ANNOTATIONS_PER_REQUEST]}})
        except Refused as refusal:
            return Posted("created", f"{start} of {len(annotations)} annotations; the rest refused: {refusal}", url)
    return Posted("created", f"{len(annotations)} annotations", url)


def annotations_of(findings: list[dict], workspace: str | None) -> list[dict]:
    """Check-run annotations for the findings that point at a file in the repository: new ones first, then by
    severity, at most MAX_ANNOTATIONS."""
    ranked = sorted(findings, key=lambda finding: (not finding.get("new"), _severity_rank(finding),
                                                   str(finding.get("file")), finding.get("line") or 0))
    annotations = []
    for finding in ranked:
        path = _repository_path(finding.get("file"), workspace)
        if path is None:
            continue
        line = finding.get("line") or 1
        severity = str(finding.get("severity") or "").lower()
        annotations.append({
            "path": path, "start_line": line, "end_line": line,
            "annotation_level": LEVELS.get(severity, "warning"),
            "title": f"{finding.get('check_id')} ({severity or 'unrated'}{', new' if finding.get('new') else ''})",
            "message": f"{finding.get('resource')}: {finding.get('message')}"[:4000]})
        if len(annotations) == MAX_ANNOTATIONS:
            break
    return annotations


def check_title(summary: dict) -> str:
    stacks = summary.get("stacks") or []
    counts = {key: sum(stack.get(key) or 0 for stack in stacks) for key in ("add", "change", "destroy")}
    new = sum(1 for finding in summary.get("findings") or [] if finding.get("new"))
    return (f"{summary.get('outcome', 'error')}: {new} new finding{'s' if new != 1 else ''}; "
            f"{counts['add']} to add, {counts['change']} to change, {counts['destroy']} to destroy")


def _severity_rank(finding: dict) -> int:
    severity = str(finding.get("severity") or "").lower()
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _repository_path(file: object, workspace: str | None) -> str | None:
    if not file:
        return None
    path = str(file)
    if os.path.isabs(path):
        if not workspace or os.path.commonpath([path, workspace]) != os.path.normpath(workspace):
            return None
        path = os.path.relpath(path, workspace)
    return Path(path).as_posix().removeprefix("./")
