"""The insights as documents: JSON (anomalies, report), a Prometheus textfile for node_exporter."""
from __future__ import annotations

from collections import Counter, defaultdict

from .analyze import Insights
from .model import TestResult


def anomalies(insights: Insights) -> list[dict]:
    """Every flagged run: run_id, kind, subject, explanation, and the numbers behind it."""
    return [finding.to_dict() for finding in insights.findings]


def healing_rates(records: list[dict]) -> list[dict]:
    """Success rate per failure class and action, from the recorded outcomes (requested actions whose result
    is known: succeeded or failed)."""
    tally: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for record in records:
        tally[(record["failure_class"], record["action"])][record["outcome"]] += 1
    rates = []
    for (failure_class, action), counts in sorted(tally.items()):
        decided = counts["succeeded"] + counts["failed"]
        rates.append({"failure_class": failure_class, "action": action, "succeeded": counts["succeeded"],
                      "failed": counts["failed"], "pending": counts["requested"],
                      "success_rate": round(counts["succeeded"] / decided, 3) if decided else None})
    return rates


def test_summary(results: list[TestResult]) -> list[dict]:
    """Per test case of the imported JUnit results: runs, failures (failed or error) and the latest message."""
    cases: dict[tuple[str, str], dict] = {}
    for result in results:
        case = cases.setdefault((result.suite, result.name), {"suite": result.suite, "name": result.name,
                                                              "runs": 0, "failed": 0, "message": None})
        case["runs"] += result.outcome != "skipped"
        if result.outcome in ("failed", "error"):
            case["failed"] += 1
            case["message"] = result.message
    return sorted(cases.values(), key=lambda case: (-case["failed"], case["suite"], case["name"]))


def report(insights: Insights, healing: list[dict], tests: list[TestResult] = ()) -> dict:
    return {
        "anomalies": anomalies(insights),
        "counts": dict(sorted(Counter(finding.kind for finding in insights.findings).items())),
        "flaky": [vars(entry) for entry in insights.flaky],
        "signatures": [{"id": s.id, "class": s.failure_class, "kind": s.kind, "rule": s.rule,
                        "template": s.template, "evidence": s.evidence, "confidence": s.confidence,
                        "count": s.count, "first_seen": s.first_seen, "source": s.source, "subjects": s.subjects}
                       for s in insights.signatures],
        "baselines": [vars(baseline) for baseline in insights.baselines],
        "healing": healing_rates(healing),
        "tests": test_summary(list(tests)),
    }


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def prometheus(insights: Insights, healing: list[dict]) -> str:
    """A node_exporter textfile (collector.textfile): gauges of baselines, flags and signature counts."""
    lines = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[dict, float]]) -> None:
        lines.extend([f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"])
        for labels, value in samples:
            shown = ",".join(f'{key}="{_label(str(val))}"' for key, val in labels.items())
            lines.append(f"{name}{{{shown}}} {value:g}")

    def where(b) -> dict:
        return {"source": b.source, "subject": b.subject, "branch": b.branch or ""}

    metric("nexus_insights_duration_median_seconds", "gauge", "Median duration of the recent runs.",
           [(where(b), b.median) for b in insights.baselines if b.unit == "s"])
    metric("nexus_insights_duration_p95_seconds", "gauge", "95th percentile duration of the recent runs.",
           [(where(b), b.p95) for b in insights.baselines if b.unit == "s"])
    metric("nexus_insights_baseline_runs", "gauge", "Runs in the baseline.",
           [(where(b), b.n) for b in insights.baselines])
    counts = Counter((f.source, f.kind) for f in insights.findings)
    metric("nexus_insights_anomalies", "gauge", "Flagged runs by kind.",
           [({"source": source, "kind": kind}, count) for (source, kind), count in sorted(counts.items())])
    metric("nexus_insights_flaky", "gauge", "1 while a job is flagged flaky (clears after clean runs).",
           [({"source": f.source, "subject": f.subject}, 1.0 if f.flagged else 0.0) for f in insights.flaky])
    metric("nexus_insights_signature_runs", "gauge", "Runs that failed with a signature.",
           [({"source": s.source, "signature": s.id, "class": s.failure_class}, s.count)
            for s in insights.signatures])
    metric("nexus_insights_healing_success_ratio", "gauge", "Share of healing actions that succeeded.",
           [({"class": r["failure_class"], "action": r["action"]}, r["success_rate"])
            for r in healing_rates(healing) if r["success_rate"] is not None])
    return "\n".join(lines) + "\n"
