"""The one comment Nexus keeps on a pull or merge request: found by a hidden marker, updated in place on every
later run, skipped per --comment-when, never over GitHub's 65,536-character limit, secrets cut out."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Protocol

from ..rest import Refused
from ..sensitive import Secrets

MARKER = "<!-- nexus:plan-and-check -->"
MARKER_PREFIX = "<!-- nexus:plan-and-check"
BODY_LIMIT = 65_536
COMMENT_WHEN = ("always", "changed", "failed")
# A comment thread longer than this many pages (100 a page) is not searched further for Nexus's comment.
MAX_PAGES = 50


@dataclass(frozen=True)
class Posted:
    """What became of one thing to post: created, updated, skipped (and why), or refused by the host's token."""

    action: str
    reason: str = ""
    url: str | None = None


@dataclass(frozen=True)
class PostOutcome:
    target: str
    comment: Posted
    check_run: Posted | None = None      # GitHub only
    truncated: bool = False              # the comment was cut to the size limit

    def lines(self) -> list[str]:
        """One line per thing posted, for the person reading the job's log."""
        shown = [("comment", self.comment), *([("check run", self.check_run)] if self.check_run else [])]
        return [f"{self.target} {what}: {posted.action}" + (f" ({posted.reason})" if posted.reason else "")
                + (f" {posted.url}" if posted.url else "") for what, posted in shown]

    def as_dict(self) -> dict:
        return asdict(self)


class Thread(Protocol):
    """The comments of one pull or merge request on one host."""

    refusal_hint: str                                 # what to give the token when the host refuses it
    def marked(self) -> object | None: ...            # the id of Nexus's comment, if there is one
    def create(self, body: str) -> str | None: ...    # the new comment's URL
    def update(self, comment_id: object, body: str) -> str | None: ...


def comment_wanted(comment_when: str, summary: dict) -> tuple[bool, str]:
    outcome = summary.get("outcome")
    if comment_when == "changed" and not summary.get("changed"):
        return False, "--comment-when changed: no stack changes"
    if comment_when == "failed" and outcome == "passed":
        return False, "--comment-when failed: the run passed"
    return True, f"--comment-when {comment_when}"


def upsert(thread: Thread, body: str, comment_when: str, summary: dict) -> Posted:
    """Update Nexus's comment if there is one (also when this run would not comment: a stale report would
    stay on the pull request otherwise), else create it when --comment-when wants one."""
    wanted, reason = comment_wanted(comment_when, summary)
    try:
        existing = thread.marked()
        if existing is not None:
            return Posted("updated", reason if wanted else f"{reason}; the earlier comment is brought up to date",
                          thread.update(existing, body))
        if not wanted:
            return Posted("skipped", reason)
        return Posted("created", reason, thread.create(body))
    except Refused as refusal:
        return Posted("refused", refusal.with_hint(thread.refusal_hint))


def comment_body(report_markdown: str, secrets: Secrets, artifacts_url: str | None,
                 limit: int = BODY_LIMIT) -> tuple[str, bool]:
    """The marker and the report, secrets cut out; cut at a line to fit `limit` with a pointer to the full
    report in the run's artifacts (an open code fence or <details> closed so the pointer shows)."""
    body = f"{MARKER}\n{secrets.cut_from(report_markdown)}"
    if len(body) <= limit:
        return body, False
    where = f"the artifacts of this run: {artifacts_url}" if artifacts_url else "this job's artifacts"
    pointer = f"\n\n---\n**This report was cut at {limit:,} characters.** The full `report.md` is in {where}\n"
    room = limit - len(pointer)
    while True:
        kept = body[:room]
        kept = kept[:kept.rfind("\n")] if "\n" in kept else kept
        cut = kept + _closers(kept) + pointer
        if len(cut) <= limit:
            return cut, True
        room -= len(cut) - limit


def _closers(text: str) -> str:
    fence = "\n```" if text.count("```") % 2 else ""
    return fence + "\n</details>" * max(0, text.count("<details") - text.count("</details>"))
