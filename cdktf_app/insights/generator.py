"""Seeded CI histories with known labels, written in the exact REST shapes of GitHub Actions and GitLab.

Durations are log-normal per job with a weekly rhythm (weekend runs are fewer and a little faster); on top of
that the generator injects what the insights must find, and records each as a label:

    duration      one run of a job several times slower than its level (a spike)
    level_shift   the run from which a job stays faster or slower (a new normal)
    flaky         a job that failed and then passed on a re-run of the same run (same commit)
    signature     the first run of a new kind of failure (a template no rule knows), repeated a few runs
    failure_rate  the same episode seen as a failure-rate rise (matched within a few runs of its start)
    storm         a run inside an infrastructure storm (most runs fail with a runner error): never an anomaly

Background failures with known causes (a failed test, a registry timeout, OOM, and in Deploy the real terraform
failure texts the healing rules were written for) are not labelled: they are normal
noise, and must not be flagged. Injections start after a warm-up of WARM_UP runs per job, so every label is
findable once the minimum sample size is reached.
"""
from __future__ import annotations

import json
import math
import random
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..healing.classifier import default_rules

WORKFLOWS = {"CI": {"build": 120.0, "test": 300.0, "lint": 45.0}, "Deploy": {"plan": 90.0, "apply": 240.0}}
SIGMA = 0.12
WARM_UP = 30
START = datetime(2026, 9, 7, tzinfo=timezone.utc).timestamp()  # a Monday
HOURS_BETWEEN_RUNS = 3.0

BACKGROUND_FAILURES = (
    "FAILED tests/test_orders.py::test_refund_{n} - AssertionError: assert 500 == 200",
    "npm ERR! network request to https://registry.npmjs.org/left-pad failed, reason: read ECONNRESET",
    "java.lang.OutOfMemoryError: Java heap space",
    "##[error]The job running on runner GitHub Actions {n} has exceeded the maximum execution time of 360 minutes.",
)
FLAKY_FAILURE = "Error: connect ETIMEDOUT 140.82.{n}.4:443"
STORM_FAILURE = ("##[error]The runner has received a shutdown signal. This can happen when the runner service is "
                 "stopped, or a manually started runner is canceled.")
NEW_FAILURES = (
    "panic: runtime error: index out of range [{n}] with length {m}\n\ngoroutine {g} [running]:\n"
    "main.(*Ledger).Apply(0xc000{n}, 0x{m})",
    "Segmentation fault (core dumped) in worker {n} while loading shard {m} of {g}",
    "thread 'main' panicked at 'called `Option::unwrap()` on a `None` value', src/sync/pool.rs:{n}:{m}",
)


@dataclass
class Label:
    run_id: str
    kind: str
    subject: str


@dataclass
class Job:
    id: int
    name: str
    attempt: int
    conclusion: str
    started_at: float
    seconds: float
    log: str | None = None


@dataclass
class Run:
    id: int
    workflow: str
    branch: str
    sha: str
    created_at: float
    attempt: int = 1
    jobs: list[Job] = field(default_factory=list)

    @property
    def conclusion(self) -> str:
        latest = {job.name: job for job in sorted(self.jobs, key=lambda job: job.attempt)}
        return "success" if all(job.conclusion == "success" for job in latest.values()) else "failure"

    @property
    def started_at(self) -> float:
        return min(job.started_at for job in self.jobs if job.attempt == self.attempt) - 5.0

    @property
    def finished_at(self) -> float:
        return max(job.started_at + job.seconds for job in self.jobs)


@dataclass
class History:
    runs: list[Run]
    labels: list[Label]


def generate(seed: int, runs_per_workflow: int = 400) -> History:
    """A history of every workflow in WORKFLOWS, the same for the same seed."""
    rng = random.Random(seed)
    schedule = sorted((when, workflow) for workflow in WORKFLOWS for when in _schedule(rng, runs_per_workflow))
    storm_first = int(len(schedule) * rng.uniform(0.55, 0.7))
    storm = range(storm_first, storm_first + 10)  # ten runs in a row, most of them failing on a runner error
    new_failures = list(NEW_FAILURES)
    rng.shuffle(new_failures)
    plans = {workflow: _plan(rng, workflow, sum(1 for _, w in schedule if w == workflow), new_failures)
             for workflow in WORKFLOWS}
    runs, labels = [], []
    main_index = {workflow: 0 for workflow in WORKFLOWS}
    job_ids = iter(range(50_000_000, 10**9))
    for number, (when, workflow) in enumerate(schedule):
        run = Run(id=20_000_000 + number, workflow=workflow, branch="main" if rng.random() < 0.85 else
                  f"feature/f{rng.randint(1, 40)}", sha=f"{rng.getrandbits(160):040x}", created_at=when)
        in_storm = number in storm and rng.random() < 0.9  # the runner outage takes the whole run down
        index = main_index[workflow] if run.branch == "main" else None
        if run.branch == "main":
            main_index[workflow] += 1
        plan = plans[workflow]
        flaky_job = plan.flaky.get(index) if index is not None and not in_storm else None
        for name, median in WORKFLOWS[workflow].items():
            subject = f"{workflow}/{name}"
            start = when + rng.uniform(5, 20)
            seconds = _duration(rng, median, when) * (plan.level(name, index) if index is not None else 1.0)
            conclusion, log = "success", None
            if in_storm:
                conclusion, log, seconds = "failure", STORM_FAILURE, rng.uniform(10, 30)
            elif index is not None and (name, index) in plan.broken:
                template, first = plan.broken[(name, index)]
                conclusion, log, seconds = "failure", _fill(rng, template), seconds * 0.6
                if first:
                    labels += [Label(str(run.id), "signature", subject), Label(str(run.id), "failure_rate", subject)]
            elif index is not None and (name, index) in plan.spikes:
                seconds *= plan.spikes[(name, index)]
                labels.append(Label(str(run.id), "duration", subject))
            elif rng.random() < 0.015:
                conclusion, log = "failure", _background_failure(rng, workflow)
            if index is not None and (name, index) in plan.shifts:
                labels.append(Label(str(run.id), "level_shift", subject))
            if flaky_job == name and conclusion == "success":
                run.attempt = 2
                run.jobs.append(Job(next(job_ids), name, 1, "failure", start, seconds * 0.4,
                                    _fill(rng, FLAKY_FAILURE)))
                start += seconds * 0.4 + rng.uniform(30, 120)
                labels.append(Label(str(run.id), "flaky", subject))
            run.jobs.append(Job(next(job_ids), name, 1, conclusion, start, seconds, log))
        if in_storm:
            labels.append(Label(str(run.id), "storm", workflow))
        if run.attempt == 2:
            run.jobs = [_as_attempt(job, 2) if job.name == flaky_job and job.conclusion == "success" else job
                        for job in run.jobs]
        runs.append(run)
    return History(runs, labels)


@dataclass
class _Plan:
    shifts: dict[tuple[str, int], float]
    spikes: dict[tuple[str, int], float]
    flaky: dict[int, str]
    broken: dict[tuple[str, int], tuple[str, bool]]

    def level(self, job: str, index: int) -> float:
        factor = 1.0
        for (name, onset), shift in self.shifts.items():
            if name == job and index >= onset:
                factor = shift
        return factor


def _plan(rng: random.Random, workflow: str, count: int, new_failures: list[str]) -> _Plan:
    """Where the injections go among a workflow's main-branch runs (an over-estimate of their count is fine);
    takes its new kinds of failure from `new_failures`, so no two workflows share one."""
    main_runs = int(count * 0.8)
    shifts, spikes, broken, flaky = {}, {}, {}, {}
    quiet: dict[str, set[int]] = {name: set() for name in WORKFLOWS[workflow]}
    for name in WORKFLOWS[workflow]:
        if rng.random() < 0.6 and main_runs > WARM_UP * 3 + 60:
            onset = rng.randint(WARM_UP * 3, max(WARM_UP * 3, main_runs - 60))
            shifts[(name, onset)] = rng.uniform(1.6, 2.2) if rng.random() < 0.7 else rng.uniform(0.45, 0.6)
            quiet[name] |= set(range(onset - 5, onset + WARM_UP + 10))
    episodes = 1 + (workflow == "CI") if main_runs > WARM_UP * 2 + 20 else 0
    for template in [new_failures.pop() for _ in range(episodes)]:
        name = rng.choice(list(WORKFLOWS[workflow]))
        first = rng.randint(WARM_UP * 2, main_runs - 20)
        length = rng.randint(5, 7)
        for offset in range(length):
            broken[(name, first + offset)] = (template, offset == 0)
        quiet[name] |= set(range(first - 3, first + length + 15))
    for name in WORKFLOWS[workflow]:
        for index in range(WARM_UP, main_runs):
            if index not in quiet[name] and rng.random() < 0.012:
                spikes[(name, index)] = rng.uniform(2.5, 5.0)
    for index in range(WARM_UP, main_runs):
        if rng.random() < 0.03:
            flaky[index] = rng.choice(list(WORKFLOWS[workflow]))
    return _Plan(shifts, spikes, flaky, broken)


def _schedule(rng: random.Random, count: int) -> list[float]:
    times, when = [], START
    while len(times) < count:
        when += rng.expovariate(1 / (HOURS_BETWEEN_RUNS * 3600))
        weekend = datetime.fromtimestamp(when, timezone.utc).weekday() >= 5
        if not weekend or rng.random() < 0.4:
            times.append(when)
    return times


def _duration(rng: random.Random, median: float, when: float) -> float:
    weekend = datetime.fromtimestamp(when, timezone.utc).weekday() >= 5
    return median * (0.92 if weekend else 1.0) * math.exp(rng.gauss(0, SIGMA))


def _background_failure(rng: random.Random, workflow: str) -> str:
    """A failure with a known cause: in Deploy, half the time a real terraform failure text (the samples of the
    healing rules, measured or from Terragrunt's list), else one of BACKGROUND_FAILURES."""
    if workflow == "Deploy" and rng.random() < 0.5:
        return rng.choice([sample for rule in default_rules() for sample in rule.samples])
    return _fill(rng, rng.choice(BACKGROUND_FAILURES))


def _fill(rng: random.Random, template: str) -> str:
    return template.format(n=rng.randint(1, 999), m=rng.randint(1000, 9999), g=rng.randint(1, 64))


def _as_attempt(job: Job, attempt: int) -> Job:
    return Job(job.id, job.name, attempt, job.conclusion, job.started_at, job.seconds, job.log)


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(round(epoch), timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def write_github(history: History, out: Path, repo: str = "acme/shop", page_size: int = 100) -> None:
    """The exported responses `nexus insights import github --from-dir` reads: runs-NNN.json (pages of
    GET /repos/{o}/{r}/actions/runs, newest first), jobs-<run_id>.json (GET .../runs/<run_id>/jobs?filter=all:
    every attempt), logs-<job_id>.txt (GET .../actions/jobs/<job_id>/logs, failed jobs), labels.json."""
    out.mkdir(parents=True, exist_ok=True)
    shapes = [github_run(run, repo) for run in reversed(history.runs)]
    for page, first in enumerate(range(0, len(shapes), page_size), start=1):
        _write_json(out / f"runs-{page:03d}.json", {"total_count": len(shapes),
                                                     "workflow_runs": shapes[first:first + page_size]})
    for run in history.runs:
        _write_json(out / f"jobs-{run.id}.json", github_jobs(run, repo))
        for job in run.jobs:
            if job.log is not None:
                (out / f"logs-{job.id}.txt").write_text(github_log(job), encoding="utf-8")
    _write_json(out / "labels.json", [asdict(label) for label in history.labels])


def github_run(run: Run, repo: str) -> dict:
    api = f"https://api.github.com/repos/{repo}/actions/runs/{run.id}"
    return {
        "id": run.id, "name": run.workflow, "node_id": f"WFR_{run.id}", "head_branch": run.branch,
        "head_sha": run.sha, "path": f".github/workflows/{run.workflow.lower()}.yml", "display_title": run.workflow,
        "run_number": run.id - 20_000_000 + 1, "event": "push", "status": "completed",
        "conclusion": run.conclusion, "workflow_id": 1000 + sorted(WORKFLOWS).index(run.workflow),
        "url": api, "html_url": f"https://github.com/{repo}/actions/runs/{run.id}",
        "created_at": iso(run.created_at), "updated_at": iso(run.finished_at), "run_attempt": run.attempt,
        "run_started_at": iso(run.started_at), "jobs_url": f"{api}/jobs", "logs_url": f"{api}/logs",
        "rerun_url": f"{api}/rerun", "head_commit": {"id": run.sha, "message": "change"},
        "repository": {"full_name": repo},
    }


def github_jobs(run: Run, repo: str) -> dict:
    jobs = [{
        "id": job.id, "run_id": run.id, "run_attempt": job.attempt, "node_id": f"CR_{job.id}",
        "head_sha": run.sha, "head_branch": run.branch, "workflow_name": run.workflow,
        "url": f"https://api.github.com/repos/{repo}/actions/jobs/{job.id}",
        "html_url": f"https://github.com/{repo}/actions/runs/{run.id}/job/{job.id}", "status": "completed",
        "conclusion": job.conclusion, "created_at": iso(job.started_at - 3), "started_at": iso(job.started_at),
        "completed_at": iso(job.started_at + job.seconds), "name": job.name,
        "steps": _github_steps(job), "labels": ["ubuntu-latest"], "runner_name": f"GitHub Actions {job.id % 97}",
    } for job in run.jobs]
    return {"total_count": len(jobs), "jobs": jobs}


def _github_steps(job: Job) -> list[dict]:
    setup, main = 0.1 * job.seconds, 0.85 * job.seconds
    edges = [("Set up job", 0.0, setup), (f"Run {job.name}", setup, setup + main),
             ("Complete job", setup + main, job.seconds)]
    return [{"name": name, "status": "completed",
             "conclusion": job.conclusion if number == 2 else "success", "number": number,
             "started_at": iso(job.started_at + begin), "completed_at": iso(job.started_at + end)}
            for number, (name, begin, end) in enumerate(edges, start=1)]


def github_log(job: Job) -> str:
    stamp = iso(job.started_at).replace("Z", ".0000000Z")
    lines = ["##[group]Run " + job.name, "##[endgroup]", *job.log.splitlines(),
             "##[error]Process completed with exit code 1."]
    return "".join(f"{stamp} {line}\n" for line in lines)


def write_gitlab(history: History, out: Path, project: str = "acme/shop", page_size: int = 100) -> None:
    """The exported responses `nexus insights import gitlab --from-dir` reads: pipelines-NNN.json (pages of
    GET /projects/:id/pipelines, newest first), jobs-<pipeline_id>.json (GET .../pipelines/:id/jobs?
    include_retried=true), trace-<job_id>.txt (GET .../jobs/:id/trace, failed jobs), labels.json."""
    out.mkdir(parents=True, exist_ok=True)
    shapes = [gitlab_pipeline(run, project) for run in reversed(history.runs)]
    for page, first in enumerate(range(0, len(shapes), page_size), start=1):
        _write_json(out / f"pipelines-{page:03d}.json", shapes[first:first + page_size])
    for run in history.runs:
        _write_json(out / f"jobs-{run.id}.json", gitlab_jobs(run, project))
        for job in run.jobs:
            if job.log is not None:
                (out / f"trace-{job.id}.txt").write_text(job.log + "\nERROR: Job failed: exit code 1\n",
                                                         encoding="utf-8")
    _write_json(out / "labels.json", [asdict(label) for label in history.labels])


def gitlab_pipeline(run: Run, project: str) -> dict:
    return {"id": run.id, "iid": run.id - 20_000_000 + 1, "project_id": 4242, "name": run.workflow,
            "sha": run.sha, "ref": run.branch, "status": "success" if run.conclusion == "success" else "failed",
            "source": "push", "created_at": iso(run.created_at), "updated_at": iso(run.finished_at),
            "web_url": f"https://gitlab.com/{project}/-/pipelines/{run.id}"}


def gitlab_jobs(run: Run, project: str) -> list[dict]:
    return [{"id": job.id, "status": "success" if job.conclusion == "success" else "failed",
             "stage": "test", "name": job.name, "ref": run.branch, "tag": False, "allow_failure": False,
             "created_at": iso(job.started_at - 3), "started_at": iso(job.started_at),
             "finished_at": iso(job.started_at + job.seconds), "duration": round(job.seconds, 3),
             "queued_duration": 2.5, "failure_reason": None if job.conclusion == "success" else
             ("runner_system_failure" if job.log == STORM_FAILURE else "script_failure"),
             "retried": job.attempt < max(j.attempt for j in run.jobs if j.name == job.name),
             "web_url": f"https://gitlab.com/{project}/-/jobs/{job.id}",
             "pipeline": {"id": run.id, "project_id": 4242, "ref": run.branch, "sha": run.sha,
                          "status": "success" if run.conclusion == "success" else "failed"}}
            for job in run.jobs]


def _write_json(path: Path, data) -> None:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
