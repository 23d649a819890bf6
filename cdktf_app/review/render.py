"""A review as markdown (for `nexus review --output markdown` and the PR report of plan-and-check --review).
Every text a model wrote is shown as inert text: HTML, links, code spans, table cells and line breaks escaped,
cut to a length a comment can hold."""
from __future__ import annotations

import html

MAX_TEXT = 300
ICON = {"approve": "✅ approve", "comment": "💬 comment", "block": "⛔ block"}


def inert(text: str | None, limit: int = MAX_TEXT) -> str:
    """Untrusted text as a markdown table cell or list item can hold it: no markup, one line, at most LIMIT."""
    flat = " ".join(str(text or "").split())
    flat = flat if len(flat) <= limit else flat[:limit - 1] + "…"
    escaped = html.escape(flat, quote=False)
    for char in "\\`*_[]|#!":
        escaped = escaped.replace(char, "\\" + char)
    return escaped.replace("@", "@\u200b")       # no mention of a user or team


def review_markdown(review: dict, level: int = 2) -> str:
    consensus, heading = review["consensus"], "#" * level
    lines = [f"{heading} Review: {ICON[consensus['verdict']]} (confidence {consensus['confidence']:.2f})", "",
             f"_{review['source']}; a review only comments: it changes nothing that is planned or applied._", "",
             "| Role | Verdict | Confidence | Concerns | Source |", "|---|---|--:|--:|---|"]
    lines += [f"| {role['role']} | {ICON[role['verdict']]} | {role['confidence']:.2f} | {len(role['concerns'])} | "
              f"{role['source']} |" for role in review["roles"]]
    lines += ["", f"Consensus rule: {consensus['rule']}."]
    if consensus["disagreements"]:
        lines += ["", "**Disagreements:** " + "; ".join(
            f"{item['verdict']}: {', '.join(item['roles'])}" for item in consensus["disagreements"])]
    if consensus["agreements"]:
        lines += ["", "**Named by several roles:** " + "; ".join(
            f"{_code(item['anchor'])} ({', '.join(item['roles'])})" for item in consensus["agreements"])]
    concerns = [(role["role"], concern) for role in review["roles"] for concern in role["concerns"]]
    if concerns:
        lines += ["", "| Role | Severity | Where | Concern | In plain words |", "|---|---|---|---|---|"]
        lines += [f"| {name} | {concern['severity']} | {_where(concern)} | {inert(concern['message'])} | "
                  f"{inert(concern['explanation'], 2 * MAX_TEXT)} |" for name, concern in concerns]
    notes = [(role["role"], role["note"]) for role in review["roles"] if role["note"]]
    if notes:
        lines += ["", *(f"- {name}: {inert(note)}" for name, note in notes)]
    return "\n".join(lines) + "\n"


def _where(concern: dict) -> str:
    anchors = [_code(anchor) for anchor in (concern["resource"], concern["spec_line"]) if anchor]
    return " ".join(anchors) or "the change"


def _code(anchor: str) -> str:
    """A resource or spec line (checked against the inputs) as a code span in a table cell."""
    return "`" + " ".join(anchor.split()).replace("`", "'").replace("|", "\\|") + "`"
