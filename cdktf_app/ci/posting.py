"""`nexus ci plan-and-check --post github|gitlab|none`: the report where the pull or merge request is.

GitHub: one pull request comment, found by its hidden marker and updated in place on every later run, and a
check run with the report and the findings as annotations. GitLab: one merge request note, the same way.
Everything the host is told is cut free of secrets (the values of the environment's secret-named variables,
tokens included); the token travels in a header only.
"""
from __future__ import annotations

import os
from collections.abc import Mapping

from ..errors import UsageError
from ..rest import Retries
from . import github, gitlab
from .marked_comment import COMMENT_WHEN, Posted, PostOutcome

TARGETS = ("github", "gitlab", "none")


def post_results(target: str, *, report_markdown: str, summary: dict, comment_when: str,
                 environ: Mapping[str, str] | None = None, retries: Retries = Retries()) -> PostOutcome:
    """Post the report to `target` per `comment_when`; the outcome says what was done and why.

    UsageError (exit 2) for a bad target or a missing CI variable; ApiError (exit 4) when the host cannot
    be reached or fails after the retries. A token the host refuses (401/403) is said in the outcome."""
    if target not in TARGETS:
        raise UsageError(f"--post: expected one of {', '.join(TARGETS)}, got {target!r}")
    if comment_when not in COMMENT_WHEN:
        raise UsageError(f"--comment-when: expected one of {', '.join(COMMENT_WHEN)}, got {comment_when!r}")
    if target == "none":
        return PostOutcome("none", Posted("skipped", "--post none"))
    host = github if target == "github" else gitlab
    return host.post(report_markdown, summary, comment_when, os.environ if environ is None else environ, retries)
