"""From the run history to findings: infrastructure storms, flaky jobs, duration spikes and level shifts,
failure-rate rises and new failure signatures, for CI jobs and for Nexus's own stacks and phases.

Order matters: storms are found first and kept out of everything else (a runner outage says nothing about a
job's duration or failure rate), and every statistical verdict waits for MIN_SAMPLES runs of its subject.
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from ..runs.record import RunRecord
from .baselines import CLEAR_AFTER, MIN_SAMPLES, WINDOW, Band, Point, duration_verdicts, failure_rate_verdicts
from .model import CIJob, CIRun
from .signatures import TemplateMiner, classify_log, error_line

STORM_JOB_SHARE = 0.8   # a run whose jobs failed this much (or more) is a mass failure
STORM_WINDOW = 5        # ... and STORM_MIN of them within STORM_WINDOW consecutive runs of a repo is a storm
STORM_MIN = 3
BASELINE_RUNS = 200     # the baselines a report shows: a subject's recent runs of its current level
NORMALISED_PHASES = ("apply", "destroy")  # their time grows with the resources they change: seconds per resource


@dataclass
class Finding:
    run_id: str
    kind: str               # duration | level_shift | failure_rate | flaky | signature | storm
    subject: str            # workflow/job, or spec/stack/phase for Nexus runs
    explanation: str
    source: str             # github:OWNER/REPO, gitlab:PROJECT or nexus
    at: float
    branch: str | None = None
    value: float | None = None
    median: float | None = None
    mad: float | None = None
    n: int | None = None
    threshold: float | None = None
    score: float | None = None
    evidence: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Flaky:
    subject: str
    source: str
    flakes: int
    last_run: str
    clean_since: int        # clean first-attempt passes since the last flake
    flagged: bool           # cleared after CLEAR_AFTER clean runs


@dataclass
class Signature:
    id: str
    failure_class: str
    kind: str               # transient | permanent | stalled
    rule: str | None
    template: str | None
    evidence: str
    confidence: float
    first_seen: str
    source: str
    runs: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.runs)


@dataclass
class Baseline:
    subject: str
    source: str
    branch: str | None
    n: int
    median: float
    p95: float
    mad: float
    unit: str


@dataclass
class Insights:
    findings: list[Finding]
    flaky: list[Flaky]
    signatures: list[Signature]
    baselines: list[Baseline]
    bands: dict[str, list[Band]]
    storm_runs: set[str]
    failure_rates: dict[str, list[tuple[float, float]]] = field(default_factory=dict)  # for plots


def analyze(ci_runs: list[CIRun], nexus_runs: list[RunRecord] = ()) -> Insights:
    findings: list[Finding] = []
    flaky: list[Flaky] = []
    baselines: list[Baseline] = []
    bands: dict[str, list[Band]] = {}
    storm_runs: set[str] = set()
    failure_rates: dict[str, list[tuple[float, float]]] = {}
    by_source: dict[str, list[CIRun]] = defaultdict(list)
    for run in ci_runs:
        by_source[f"{run.provider}:{run.repo}"].append(run)
    signatures: list[Signature] = []
    for source, runs in sorted(by_source.items()):
        runs.sort(key=lambda run: (run.created_at, run.run_id))
        storms = find_storms(runs)
        storm_runs |= {run.run_id for episode in storms for run in episode}
        findings += [_storm_finding(source, episode) for episode in storms]
        calm = [run for run in runs if run.run_id not in storm_runs]
        failure_rates.update(rolling_failure_rates(source, calm))
        flakes, flaky_state = find_flaky(source, calm)
        findings += flakes
        flaky += flaky_state
        for (workflow, job, branch), series in sorted(_job_series(calm).items()):
            subject = f"{workflow}/{job}"
            passed = [final for _, final in series if final.conclusion == "success" and final.seconds is not None]
            points = [Point(job.run_id, job.started_at, job.seconds) for job in passed]
            added, level_start = _judge_durations(findings, baselines, bands, points, subject, source, branch, "s")
            for finding in added:
                finding.evidence = step_evidence(passed, finding.run_id)
            baselines += step_baselines(passed[level_start:][-BASELINE_RUNS:], subject, source, branch)
            outcomes = [(Point(run.run_id, run.created_at, 0.0), final.conclusion == "failure")
                        for run, final in series]
            findings += [_finding(v, subject, source, branch) for v in failure_rate_verdicts(outcomes)]
        found, summaries = find_signatures(source, runs, storm_runs)
        findings += found
        signatures += summaries
    nexus_findings, nexus_baselines, nexus_bands = analyze_nexus(list(nexus_runs))
    findings += nexus_findings
    baselines += nexus_baselines
    bands.update(nexus_bands)
    findings.sort(key=lambda f: (f.at, f.source, f.subject, f.kind))
    return Insights(findings, flaky, signatures, baselines, bands, storm_runs, failure_rates)


def rolling_failure_rates(source: str, runs: list[CIRun], window: int = 20) -> dict[str, list[tuple[float, float]]]:
    """Per workflow: the share of failed runs among the last `window`, at each run (storms left out)."""
    outcomes: dict[str, list[tuple[float, bool]]] = defaultdict(list)
    for run in runs:
        outcomes[f"{source} {run.workflow}"].append((run.created_at, run.conclusion == "failure"))
    return {name: [(at, sum(failed for _, failed in series[max(0, i - window + 1):i + 1]) /
                    len(series[max(0, i - window + 1):i + 1])) for i, (at, _) in enumerate(series)]
            for name, series in outcomes.items()}


def final_jobs(run: CIRun) -> dict[str, CIJob]:
    """Each job name's latest attempt."""
    latest: dict[str, CIJob] = {}
    for job in sorted(run.jobs, key=lambda job: (job.attempt, job.started_at or 0)):
        latest[job.name] = job
    return latest


def _failed_share(run: CIRun) -> float:
    jobs = final_jobs(run).values()
    return sum(job.conclusion == "failure" for job in jobs) / len(jobs) if jobs else 0.0


def find_storms(runs: list[CIRun]) -> list[list[CIRun]]:
    """Episodes where most runs of a repository failed in most of their jobs (an outage, not the code)."""
    mass = [_failed_share(run) >= STORM_JOB_SHARE for run in runs]
    in_storm = [False] * len(runs)
    for start in range(0, max(0, len(runs) - STORM_WINDOW + 1)):
        if sum(mass[start:start + STORM_WINDOW]) >= STORM_MIN:
            for index in range(start, start + STORM_WINDOW):
                in_storm[index] = in_storm[index] or mass[index]
    episodes: list[list[CIRun]] = []
    last = None
    for index, run in enumerate(runs):
        if in_storm[index]:
            if last is not None and index - last <= STORM_WINDOW:
                episodes[-1].append(run)
            else:
                episodes.append([run])
            last = index
    return episodes


def _storm_finding(source: str, episode: list[CIRun]) -> Finding:
    first, last = episode[0], episode[-1]
    return Finding(first.run_id, "storm", source.split(":", 1)[1], source=source, at=first.created_at,
                   n=len(episode), threshold=STORM_JOB_SHARE,
                   explanation=f"{len(episode)} runs from {first.run_id} to {last.run_id} failed in "
                               f"{STORM_JOB_SHARE:.0%} or more of their jobs ({STORM_MIN}+ in {STORM_WINDOW} "
                               f"consecutive runs): an infrastructure storm, kept out of baselines, failure rates "
                               f"and flakiness")


def find_flaky(source: str, runs: list[CIRun]) -> tuple[list[Finding], list[Flaky]]:
    """A job that failed and then passed for the same commit: on a re-run of the same run, or in a later run of
    the same workflow on the same commit. A subject stays flaky until CLEAR_AFTER clean first-attempt passes."""
    findings: list[Finding] = []
    seen: dict[str, int] = defaultdict(int)
    failed_on_commit: dict[tuple[str, str, str], str] = {}
    state: dict[str, Flaky] = {}
    for run in runs:
        for name, final in final_jobs(run).items():
            subject = f"{run.workflow}/{name}"
            attempts = [job for job in run.jobs if job.name == name]
            failed_before = next((job for job in sorted(attempts, key=lambda job: job.attempt)
                                  if job.conclusion == "failure" and job.attempt < final.attempt), None)
            earlier_run = failed_on_commit.get((run.workflow, name, run.commit))
            enough = seen[subject] >= MIN_SAMPLES
            seen[subject] += 1
            if final.conclusion == "failure":
                failed_on_commit[(run.workflow, name, run.commit)] = run.run_id
            flake = final.conclusion == "success" and (failed_before or earlier_run)
            entry = state.get(subject)
            if flake and enough:
                how = (f"failed on attempt {failed_before.attempt} and passed on attempt {final.attempt} of the "
                       f"same run" if failed_before else f"failed in run {earlier_run} and passed here")
                evidence = error_line(failed_before.log) if failed_before and failed_before.log else None
                findings.append(Finding(run.run_id, "flaky", subject, source=source, at=run.created_at,
                                        branch=run.branch, n=seen[subject] - 1, threshold=float(CLEAR_AFTER),
                                        evidence=evidence,
                                        explanation=f"{how}, commit {run.commit[:12]}: same input, two outcomes "
                                                    f"(flagged until {CLEAR_AFTER} clean runs in a row)"))
                entry = state.setdefault(subject, Flaky(subject, source, 0, run.run_id, 0, True))
                entry.flakes, entry.last_run, entry.clean_since, entry.flagged = entry.flakes + 1, run.run_id, 0, True
            elif entry and final.conclusion == "success" and final.attempt == 1:
                entry.clean_since += 1
                entry.flagged = entry.clean_since < CLEAR_AFTER
    return findings, sorted(state.values(), key=lambda entry: (-entry.flakes, entry.subject))


def _job_series(runs: list[CIRun]) -> dict[tuple[str, str, str], list[tuple[CIRun, CIJob]]]:
    series: dict[tuple[str, str, str], list[tuple[CIRun, CIJob]]] = defaultdict(list)
    for run in runs:
        for name, final in final_jobs(run).items():
            series[(run.workflow, name, run.branch)].append((run, final))
    return series


def _judge_durations(findings, baselines, bands, points: list[Point], subject: str, source: str,
                     branch: str | None, unit: str) -> tuple[list[Finding], int]:
    """Adds the series' duration findings, its band and the baseline of its current level (since its last level
    shift); returns the findings added and where the current level starts."""
    if not points:
        return [], 0
    verdicts, judged = duration_verdicts(points, unit)
    added = [_finding(verdict, subject, source, branch) for verdict in verdicts]
    findings += added
    bands[f"{source} {subject}" + (f"@{branch}" if branch else "")] = judged
    shifts = {verdict.run_id for verdict in verdicts if verdict.kind == "level_shift"}
    level_start = max((index for index, point in enumerate(points) if point.run_id in shifts), default=0)
    baselines += filter(None, [_baseline([point.value for point in points[level_start:][-BASELINE_RUNS:]],
                                         subject, source, branch, unit)])
    return added, level_start


def _baseline(values: list[float], subject: str, source: str, branch: str | None, unit: str) -> Baseline | None:
    """Median, p95 and MAD of a subject's recent values; none under MIN_SAMPLES."""
    if len(values) < MIN_SAMPLES:
        return None
    median = statistics.median(values)
    return Baseline(subject, source, branch, len(values), median,
                    statistics.quantiles(values, n=20, method="inclusive")[-1],
                    statistics.median(abs(value - median) for value in values), unit)


def step_baselines(jobs: list[CIJob], subject: str, source: str, branch: str) -> list[Baseline]:
    """Per step of a job (GitHub reports steps; GitLab jobs have none): its baseline over the same runs."""
    if len(jobs) < MIN_SAMPLES:
        return []
    seconds: dict[str, list[float]] = defaultdict(list)
    for job in jobs:
        for step in job.step_list():
            if step.get("seconds") is not None:
                seconds[step["name"]].append(step["seconds"])
    return list(filter(None, [_baseline(values, f"{subject}/{name}", source, branch, "s")
                              for name, values in seconds.items()]))


def step_evidence(jobs: list[CIJob], run_id: str) -> str | None:
    """The step of a flagged job that moved most (in seconds) against its own median over the runs before."""
    index = next(i for i, job in enumerate(jobs) if job.run_id == run_id)
    history: dict[str, list[float]] = defaultdict(list)
    for job in jobs[max(0, index - WINDOW):index]:
        for step in job.step_list():
            if step.get("seconds"):
                history[step["name"]].append(step["seconds"])
    moved = [(abs(step["seconds"] - statistics.median(history[step["name"]])), step["name"], step["seconds"],
              statistics.median(history[step["name"]]))
             for step in jobs[index].step_list()
             if step.get("seconds") and len(history[step["name"]]) >= MIN_SAMPLES]
    if not moved:
        return None
    _, name, seconds, median = max(moved)
    return f"step '{name}': {seconds:.0f}s against a median of {median:.0f}s"


def _finding(verdict, subject: str, source: str, branch: str | None) -> Finding:
    return Finding(verdict.run_id, verdict.kind, subject, verdict.explanation, source, verdict.at, branch,
                   round(verdict.value, 3), round(verdict.median, 3), round(verdict.mad, 4), verdict.n,
                   verdict.threshold, verdict.score)


def find_signatures(source: str, runs: list[CIRun], storm_runs: set[str]) -> tuple[list[Finding], list[Signature]]:
    """Every failed job's class (rules) or template (mined); a template first seen once the repository has
    MIN_SAMPLES calm runs is a new kind of failure."""
    miner = TemplateMiner()
    summaries: dict[str, Signature] = {}
    findings = []
    calm_runs = 0
    for run in runs:
        for job in sorted(run.jobs, key=lambda job: (job.attempt, job.name)):
            if job.conclusion != "failure":
                continue
            text = job.log or job.failure_reason or ""
            found = classify_log(text)
            subject = f"{run.workflow}/{job.name}"
            if found.failure_class != "unknown":
                key, template, evidence = f"{found.failure_class}:{found.rule}", None, found.evidence
            else:
                evidence = error_line(text)
                mined, new = miner.add(evidence, run.run_id, run.created_at)
                key, template = f"template:{mined.id}", mined
                if new and calm_runs >= MIN_SAMPLES and run.run_id not in storm_runs:
                    findings.append(Finding(run.run_id, "signature", subject, source=source, at=run.created_at,
                                            branch=run.branch, n=calm_runs, threshold=float(MIN_SAMPLES),
                                            evidence=evidence,
                                            explanation=f"a failure no rule knows and no earlier run showed "
                                                        f"(template {mined.id}, after {calm_runs} runs)"))
            entry = summaries.get(key)
            if entry is None:
                entry = summaries[key] = Signature(key, found.failure_class, found.kind, found.rule, None, evidence,
                                                   found.confidence, run.run_id, source)
            if template is not None:
                entry.template = template.text
            if run.run_id not in entry.runs:
                entry.runs.append(run.run_id)
            if subject not in entry.subjects:
                entry.subjects.append(subject)
        if run.run_id not in storm_runs:
            calm_runs += 1
    return findings, sorted(summaries.values(), key=lambda entry: (-entry.count, entry.id))


def analyze_nexus(runs: list[RunRecord]) -> tuple[list[Finding], list[Baseline], dict[str, list[Band]]]:
    """Nexus's own plan/deploy/destroy runs: per spec/stack/phase durations (apply and destroy per changed
    resource), failure rates per spec/command, and flips on the same spec hash."""
    findings: list[Finding] = []
    baselines: list[Baseline] = []
    bands: dict[str, list[Band]] = {}
    runs = sorted((run for run in runs if run.outcome != "running"), key=lambda run: run.started_at)
    series: dict[tuple[str, str, str], list[Point]] = defaultdict(list)
    outcomes: dict[str, list[tuple[Point, bool]]] = defaultdict(list)
    last_failed: dict[tuple[str, str], str] = {}
    for run in runs:
        work = run.added + run.changed + run.destroyed
        for phase in run.phases:
            if phase.ok:
                normalise = phase.phase in NORMALISED_PHASES
                value = phase.seconds / max(1, work) if normalise else phase.seconds
                series[(run.spec_name, phase.stack, phase.phase)].append(Point(run.id, run.started_at, value))
        failed = run.outcome == "failed"
        subject = f"{run.spec_name}/{run.command}"
        outcomes[subject].append((Point(run.id, run.started_at, 0.0), failed))
        key = (subject, run.spec_sha256)
        if failed:
            last_failed[key] = run.id
        elif key in last_failed and len(outcomes[subject]) > MIN_SAMPLES:
            findings.append(Finding(run.id, "flaky", subject, source="nexus", at=run.started_at,
                                    explanation=f"run {last_failed.pop(key)} of the same spec "
                                                f"(sha256 {run.spec_sha256[:12]}) failed and this one passed"))
    for (spec, stack, phase), points in sorted(series.items()):
        unit = "s/resource" if phase in NORMALISED_PHASES else "s"
        _judge_durations(findings, baselines, bands, points, f"{spec}/{stack}/{phase}", "nexus", None, unit)
    for subject, series_outcomes in sorted(outcomes.items()):
        findings += [_finding(v, subject, "nexus", None) for v in failure_rate_verdicts(series_outcomes)]
    return findings, baselines, bands


