"""Posting to GitLab from a merge request pipeline: the merge request's one marked note, updated in place.

Read from the job's environment: CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID (set in merge request
pipelines only), the token: GITLAB_TOKEN (a project or personal access token, api scope; PRIVATE-TOKEN header)
else CI_JOB_TOKEN (JOB-TOKEN header; GitLab lets a job token write notes only where its allowlist does),
CI_MERGE_REQUEST_PROJECT_URL (the note's link) and CI_JOB_URL (the link to the job's artifacts).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from ..errors import UsageError
from ..rest import RestClient, Retries, environment_secrets
from .marked_comment import MARKER_PREFIX, MAX_PAGES, PostOutcome, comment_body, upsert


@dataclass(frozen=True)
class Context:
    api_url: str
    project: str
    merge_request: str
    token_header: str
    token: str
    merge_request_url: str | None
    artifacts_url: str | None


def context(environ: Mapping[str, str]) -> Context:
    """What to post where, from the job's environment; UsageError (exit 2) naming whatever is missing."""
    missing = [name for name in ("CI_API_V4_URL", "CI_PROJECT_ID", "CI_MERGE_REQUEST_IID") if not environ.get(name)]
    token_header, token = ("PRIVATE-TOKEN", environ["GITLAB_TOKEN"]) if environ.get("GITLAB_TOKEN") else \
        ("JOB-TOKEN", environ.get("CI_JOB_TOKEN", ""))
    if not token:
        missing.append("GITLAB_TOKEN (or CI_JOB_TOKEN)")
    if missing:
        raise UsageError(f"--post gitlab needs {', '.join(missing)} in the environment (GitLab sets the CI_ "
                         "variables in merge request pipelines: `rules: - if: $CI_PIPELINE_SOURCE == "
                         "\"merge_request_event\"`)")
    project_url, job_url = environ.get("CI_MERGE_REQUEST_PROJECT_URL"), environ.get("CI_JOB_URL")
    iid = environ["CI_MERGE_REQUEST_IID"]
    return Context(api_url=environ["CI_API_V4_URL"], project=quote(environ["CI_PROJECT_ID"], safe=""),
                   merge_request=quote(iid, safe=""), token_header=token_header, token=token,
                   merge_request_url=f"{project_url}/-/merge_requests/{iid}" if project_url else None,
                   artifacts_url=f"{job_url}/artifacts/browse" if job_url else None)


def post(report_markdown: str, summary: dict, comment_when: str, environ: Mapping[str, str],
         retries: Retries) -> PostOutcome:
    where = context(environ)
    client = RestClient(where.api_url, {}, {where.token_header: where.token}, environment_secrets(environ), retries,
                        host="GitLab")
    body, truncated = comment_body(report_markdown, client.secrets, where.artifacts_url)
    return PostOutcome("gitlab", upsert(_MergeRequestNotes(client, where), body, comment_when, summary),
                       truncated=truncated)


class _MergeRequestNotes:
    def __init__(self, client: RestClient, where: Context) -> None:
        self.client, self.where = client, where
        self.refusal_hint = ("a CI_JOB_TOKEN may not write notes here: set GITLAB_TOKEN to a project access "
                             "token with the api scope" if where.token_header == "JOB-TOKEN" else
                             "GITLAB_TOKEN needs the api scope and at least the Reporter role")
        self.path = f"/projects/{where.project}/merge_requests/{where.merge_request}/notes"

    def marked(self) -> int | None:
        for note in self.client.items(self.path, {"per_page": 100, "sort": "asc", "order_by": "created_at"},
                                      MAX_PAGES):
            if isinstance(note, dict) and not note.get("system") \
                    and str(note.get("body") or "").startswith(MARKER_PREFIX):
                return note["id"]
        return None

    def create(self, body: str) -> str | None:
        return self._send("POST", self.path, body)

    def update(self, comment_id: object, body: str) -> str | None:
        return self._send("PUT", f"{self.path}/{comment_id}", body)

    def _send(self, method: str, path: str, body: str) -> str | None:
        answer = self.client.request(method, path, {"body": body})
        note_id = answer.get("id") if isinstance(answer, dict) else None
        return f"{self.where.merge_request_url}#note_{note_id}" if self.where.merge_request_url and note_id else None
