"""Self-healing of CI failures on GitHub: re-run the failed jobs of a run whose failure is transient (bounded
attempts), advice for what a re-run does not fix, and one issue per persistent failure signature (opened once,
then updated: never a duplicate). Dry-run unless asked to apply; every action and its outcome is recorded, and
outcomes of re-runs are learned from the runs imported afterwards.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..rest import RestClient
from .analyze import Insights, final_jobs
from .history import CIHistory, run_key
from .model import CIRun
from .signatures import classify_log

MAX_ATTEMPTS = 3          # a run is re-run while its attempt number is below this
PERSISTENT_RUNS = 3       # a permanent signature seen in this many runs gets an issue
ISSUE_LABEL = "nexus-insights"
ADVICE = {
    "dependency-network": ("clear-cache", "if re-runs keep failing, clear the dependency cache (the actions/cache "
                                          "key) so a half-written download is not restored again"),
    "dependency": ("pin-dependency", "pin the dependency that failed to resolve to the last version that built"),
}


@dataclass
class Action:
    action: str           # rerun-failed-jobs | clear-cache | pin-dependency | open-issue | update-issue | none
    run_id: str
    failure_class: str
    attempt: int
    detail: str
    outcome: str = "planned"
    signature: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def marker(signature_id: str) -> str:
    return f"<!-- nexus-signature: {signature_id} -->"


def plan_healing(insights: Insights, runs: list[CIRun], repo: str, history: CIHistory,
                 max_attempts: int = MAX_ATTEMPTS) -> list[Action]:
    """Actions for the latest run of each workflow and branch that failed, and issues for persistent
    signatures. A run is never re-run twice at the same attempt, nor beyond max_attempts."""
    latest: dict[tuple[str, str], CIRun] = {}
    for run in runs:
        if run.provider == "github" and run.repo == repo:
            latest[(run.workflow, run.branch)] = run
    actions = []
    for run in sorted(latest.values(), key=lambda run: run.created_at):
        if run.conclusion != "failure":
            continue
        failed = [job for job in final_jobs(run).values() if job.conclusion == "failure"]
        classes = [classify_log(job.log or "") for job in failed]
        if classes and all(found.transient for found in classes):
            key = run_key(run.provider, run.repo, run.run_id)
            if run.attempt >= max_attempts:
                actions.append(Action("none", run.run_id, classes[0].failure_class, run.attempt,
                                      f"transient, but already at attempt {run.attempt} of {max_attempts}"))
            elif not history.healed(key, "rerun-failed-jobs", run.attempt):
                actions.append(Action("rerun-failed-jobs", run.run_id, classes[0].failure_class, run.attempt,
                                      f"{len(failed)} failed job(s), transient: {classes[0].evidence}"))
        for found in classes:
            if found.failure_class in ADVICE:
                name, text = ADVICE[found.failure_class]
                actions.append(Action(name, run.run_id, found.failure_class, run.attempt, text, "advised"))
    for signature in insights.signatures:
        if signature.source == f"github:{repo}" and signature.kind != "transient" \
                and signature.count >= PERSISTENT_RUNS:
            actions.append(Action("open-issue", signature.runs[-1], signature.failure_class, 0,
                                  f"{signature.id} in {signature.count} runs", signature=signature.id))
    return actions


def issue_body(signature, repo: str) -> str:
    runs = ", ".join(signature.runs[-10:])
    return (f"{marker(signature.id)}\nNexus found the failure signature `{signature.id}` "
            f"({signature.failure_class}, {signature.kind}) in {signature.count} runs of {repo}.\n\n"
            f"Evidence:\n```\n{signature.evidence}\n```\n"
            + (f"Template: `{signature.template}`\n" if signature.template else "")
            + f"\nFirst seen in run {signature.first_seen}; latest runs: {runs}.\n"
            + f"Jobs: {', '.join(signature.subjects)}\n")


def apply_healing(actions: list[Action], insights: Insights, client: RestClient, repo: str,
                  history: CIHistory) -> list[Action]:
    """Carries the actions out through the GitHub REST API and records each with its outcome."""
    signatures = {signature.id: signature for signature in insights.signatures}
    open_issues = None
    for action in actions:
        key = run_key("github", repo, action.run_id)
        if action.action == "rerun-failed-jobs":
            client.request("POST", f"/repos/{repo}/actions/runs/{action.run_id}/rerun-failed-jobs", {})
            action.outcome = "requested"
        elif action.action == "open-issue":
            signature = signatures[action.signature]
            if open_issues is None:
                open_issues = list(client.items(f"/repos/{repo}/issues", {
                    "state": "open", "labels": ISSUE_LABEL, "per_page": 100}))
            body = issue_body(signature, repo)
            existing = next((issue for issue in open_issues if marker(signature.id) in (issue.get("body") or "")),
                            None)
            if existing:
                client.request("PATCH", f"/repos/{repo}/issues/{existing['number']}", {"body": body})
                action.action, action.outcome = "update-issue", f"updated #{existing['number']}"
            else:
                created = client.request("POST", f"/repos/{repo}/issues", {
                    "title": f"CI failure: {signature.failure_class} ({signature.id})", "body": body,
                    "labels": [ISSUE_LABEL]})
                open_issues.append(created)
                action.outcome = f"opened #{created['number']}"
        history.record_healing(key, action.failure_class, action.action, action.outcome.split(" ")[0],
                               action.attempt, action.detail)
    return actions


def learn_outcomes(history: CIHistory, runs: list[CIRun]) -> None:
    """A requested re-run succeeded or failed by what its run shows now (a later attempt's conclusion)."""
    by_key = {run_key(run.provider, run.repo, run.run_id): run for run in runs}
    for record in history.healing():
        run = by_key.get(record["run_key"])
        if record["outcome"] == "requested" and run is not None and run.attempt > record["attempt"]:
            history.record_healing(record["run_key"], record["failure_class"], record["action"],
                                   "succeeded" if run.conclusion == "success" else "failed", record["attempt"],
                                   record["detail"] or "")
