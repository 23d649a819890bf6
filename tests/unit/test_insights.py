"""Pipeline insights on generated CI histories: flagged runs match the injected labels (precision and recall
>= 0.9 on a seed the rules were not tuned on, GitHub and GitLab shapes), no verdict under the minimum sample
size, idempotent import into the SQLite run history, explained verdicts, failure signatures by rule (the
terraform classes of the healing rules included) and by template, Nexus phases normalised by work done."""
from __future__ import annotations

import json
import math
import random
import re
import statistics
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cdktf_app.cli.main import cli
from cdktf_app.healing.classifier import default_rules
from cdktf_app.insights.analyze import analyze_nexus
from cdktf_app.insights.baselines import (MAD_FLOOR, MIN_SAMPLES, WINDOW, Level, Point, Window, duration_verdicts,
                                            failure_rate_verdicts, is_weekend)
from cdktf_app.insights.generator import generate, write_github, write_gitlab
from cdktf_app.insights.history import TABLES, CIHistory
from cdktf_app.insights.service import import_github, import_gitlab, import_junit, load_insights
from cdktf_app.insights.signatures import TemplateMiner, ci_rules, classify_log, load_rules, RULES_FILE
from cdktf_app.runs import PhaseRecord, RunRecord, RunStore, runs_url

# Tuned on seeds 7, 11, 13, 17, 19, 23 and 20261206 (the previous test seed: a false flag on it led to the change-
# point onset); this one was first run after the rules were fixed.
UNTUNED_SEED = 90210
SCORED_KINDS = {"duration", "level_shift", "failure_rate", "signature", "flaky"}
TOLERANT = {"level_shift", "failure_rate"}  # found within the next TOLERANCE main-branch runs of the workflow
TOLERANCE = 8


def score(history, findings) -> tuple[float, float, list, list]:
    main_runs = defaultdict(list)
    for run in history.runs:
        if run.branch == "main":
            main_runs[run.workflow].append(str(run.id))

    def matches(finding, label) -> bool:
        if finding.kind != label.kind or finding.subject != label.subject:
            return False
        if label.kind in TOLERANT:
            ids = main_runs[label.subject.split("/")[0]]
            start = ids.index(label.run_id)
            return finding.run_id in ids[start:start + TOLERANCE]
        return finding.run_id == label.run_id

    labels = [label for label in history.labels if label.kind != "storm"]
    flags = [finding for finding in findings if finding.kind != "storm"]
    false_flags = [f for f in flags if not any(matches(f, label) for label in labels)]
    missed = [label for label in labels if not any(matches(f, label) for f in flags)]
    return 1 - len(false_flags) / len(flags), 1 - len(missed) / len(labels), false_flags, missed


@pytest.fixture(scope="module")
def untuned():
    return generate(UNTUNED_SEED)


@pytest.fixture(scope="module", params=["github", "gitlab"])
def imported(request, untuned, tmp_path_factory):
    """A project whose run history holds the untuned history, imported from its exported REST responses."""
    project = tmp_path_factory.mktemp(request.param)
    (write_github if request.param == "github" else write_gitlab)(untuned, project / "export")
    (import_github if request.param == "github" else import_gitlab)(project, "acme/shop", project / "export")
    return project


def test_flags_match_the_injected_labels_on_a_seed_not_tuned_on(imported, untuned):
    found = load_insights(imported)
    precision, recall, false_flags, missed = score(untuned, found.findings)
    assert precision >= 0.9 and recall >= 0.9, (precision, recall, false_flags, missed)
    assert {label.kind for label in untuned.labels} >= SCORED_KINDS  # every kind was injected and scored
    storm_labelled = {label.run_id for label in untuned.labels if label.kind == "storm"}
    assert storm_labelled and storm_labelled <= found.storm_runs
    assert not [f for f in found.findings if f.kind != "storm" and f.run_id in found.storm_runs]


def test_every_verdict_is_explained_with_its_numbers(imported):
    result = CliRunner().invoke(cli, ["insights", "anomalies", "--project", str(imported), "--output", "json"])
    assert result.exit_code == 0, result.output
    items = json.loads(result.output)
    assert {"duration", "level_shift", "failure_rate", "flaky", "signature", "storm"} <= {i["kind"] for i in items}
    for item in items:
        assert item["run_id"] and item["subject"] and item["explanation"], item
        if item["kind"] in ("duration", "level_shift"):
            assert item["n"] >= MIN_SAMPLES and item["mad"] > 0 and item["threshold"] == 4.0, item
            assert f"{item['median']:.1f}s" in item["explanation"] and f"n={item['n']}" in item["explanation"]
        if item["kind"] == "duration" and item["source"].startswith("github:"):  # GitLab jobs have no steps
            assert item["evidence"].startswith("step 'Run ") and "against a median of" in item["evidence"], item
        if item["kind"] == "failure_rate":
            assert item["n"] >= MIN_SAMPLES and f"n={item['n']}" in item["explanation"]


def spike_series(length: int, spike_at: int) -> list[Point]:
    rng = random.Random(5)
    return [Point(str(i), float(i), 100 * math.exp(rng.gauss(0, 0.1)) * (6 if i == spike_at else 1))
            for i in range(length)]


def test_no_verdict_under_the_minimum_sample_size():
    early, _ = duration_verdicts(spike_series(MIN_SAMPLES, MIN_SAMPLES - 1))
    assert early == []
    later, _ = duration_verdicts(spike_series(MIN_SAMPLES + 1, MIN_SAMPLES))
    assert [(v.run_id, v.kind, v.n) for v in later] == [(str(MIN_SAMPLES), "duration", MIN_SAMPLES)]
    failing = [(Point(str(i), float(i), 0.0), i >= 10) for i in range(MIN_SAMPLES + 9)]
    assert failure_rate_verdicts(failing) == []  # ten failures in a row, but only 19 runs before the window
    longer = [(Point(str(i), float(i), 0.0), i >= 30) for i in range(45)]
    assert [v.run_id for v in failure_rate_verdicts(longer)] == ["33"]  # 4 of 10 against ~0 before


def test_a_short_history_gets_no_verdict_at_all(tmp_path):
    write_github(generate(3, runs_per_workflow=MIN_SAMPLES), tmp_path / "export")
    import_github(tmp_path, "acme/shop", tmp_path / "export")
    assert [f for f in load_insights(tmp_path).findings if f.kind != "storm"] == []


def test_a_failure_rate_flag_clears_after_clean_runs():
    outcomes = [(Point(str(i), float(i), 0.0), 30 <= i < 34 or 36 <= i < 40) for i in range(80)]
    assert [v.run_id for v in failure_rate_verdicts(outcomes)] == ["33"]  # one episode: no 5 clean runs between
    outcomes = [(Point(str(i), float(i), 0.0), 30 <= i < 34 or 50 <= i < 54) for i in range(80)]
    assert [v.run_id for v in failure_rate_verdicts(outcomes)] == ["33", "53"]  # cleared, then flagged again


def rows(project: Path) -> dict[str, list]:
    with RunStore(runs_url(project)) as store:
        CIHistory(store)
        with store.engine.connect() as connection:
            return {table.name: sorted(map(tuple, connection.execute(select(table)))) for table in TABLES}


def test_importing_the_same_data_twice_changes_nothing(tmp_path):
    write_gitlab(generate(4, runs_per_workflow=60), tmp_path / "export")
    first = import_gitlab(tmp_path, "acme/shop", tmp_path / "export")
    before = rows(tmp_path)
    second = import_gitlab(tmp_path, "acme/shop", tmp_path / "export")
    assert (first.runs, first.new, second.runs, second.new) == (120, 120, 120, 0)
    assert rows(tmp_path) == before and len(before["ci_jobs"]) > 240


def test_a_broken_export_is_a_usage_error_with_file_and_line(tmp_path):
    (tmp_path / "runs-001.json").write_text('{"total_count": 1,\n "workflow_runs": [\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["insights", "import", "github", "--from-dir", str(tmp_path),
                                      "--project", str(tmp_path)])
    assert result.exit_code == 2 and f"{tmp_path / 'runs-001.json'}:3:" in result.output
    assert "Traceback" not in result.output


def test_every_ci_rule_classifies_its_samples_and_terraform_failures_keep_the_healing_class():
    for rule in load_rules(RULES_FILE):
        for sample in rule.samples:
            assert classify_log(sample).rule == rule.id, (rule.id, sample)
    for rule in default_rules():  # one classifier: a terraform failure in a CI log gets the deploy's class
        for sample in rule.samples:
            found = classify_log("2026-09-07T10:00:00.0000000Z " + sample.replace("\n", "\n2026-09-07T10:00:01Z "))
            assert (found.failure_class, found.kind) == (rule.failure_class, rule.kind), (rule.id, sample)
    assert len(ci_rules()) == len(load_rules(RULES_FILE)) + len(default_rules())


def test_unknown_failures_are_mined_into_templates():
    miner = TemplateMiner()
    first, new = miner.add("panic: index out of range [12] with length 3456", "r1", 1.0)
    again, again_new = miner.add("panic: index out of range [7] with length 11", "r2", 2.0)
    other, other_new = miner.add("Segmentation fault in worker 3 while loading shard 9", "r3", 3.0)
    assert (new, again_new, other_new) == (True, False, True)
    assert again is first and first.text == "panic: index out of range [<*>] with length <*>"
    assert first.runs == {"r1", "r2"} and first.first_seen == "r1" and other is not first


def nexus_run(index: int, seconds_per_resource: float, resources: int) -> RunRecord:
    return RunRecord(command="deploy", spec_name="shop", spec_file="nexus.yaml", spec_sha256=f"{index:064x}",
                     started_at=1_800_000_000.0 + index * 3600, id=f"run{index:03d}", outcome="succeeded",
                     finished_at=1_800_000_000.0 + index * 3600 + 60, added=resources,
                     phases=[PhaseRecord("app", "apply", seconds_per_resource * resources, True)])


def test_nexus_apply_phases_are_judged_per_changed_resource():
    rng = random.Random(9)
    runs = [nexus_run(i, 2.0 * math.exp(rng.gauss(0, 0.05)), rng.choice([2, 5, 40, 80])) for i in range(60)]
    findings, baselines, _ = analyze_nexus(runs)
    assert findings == []  # 40 resources take 20x longer than 2, and that is normal
    runs.append(nexus_run(60, 9.0, 3))  # 27 s for 3 resources: slow per resource, though short
    findings, _, _ = analyze_nexus(runs)
    assert [(f.run_id, f.kind, f.subject) for f in findings] == [("run060", "duration", "shop/app/apply")]
    assert "s/resource" in findings[0].explanation and baselines[0].unit == "s/resource"


def test_the_rolling_window_keeps_the_median_and_mad_of_its_last_values():
    rng = random.Random(2)
    window, values = Window(), []
    for _ in range(150):
        value = rng.lognormvariate(0, 1)
        window.add(value)
        values = (values + [value])[-WINDOW:]
        median = statistics.median(values)
        assert window.robust() == pytest.approx((median, max(statistics.median(abs(v - median) for v in values),
                                                               MAD_FLOOR)))


def test_junit_results_are_imported_once(tmp_path):
    (tmp_path / "report.xml").write_text(
        '<testsuite name="orders"><testcase classname="t.orders" name="test_pay" time="0.25"/>'
        '<testcase classname="t.orders" name="test_refund" time="1.5"><error message="boom">trace</error>'
        '</testcase><testcase classname="t.orders" name="test_skip"><skipped/></testcase></testsuite>',
        encoding="utf-8")
    first = import_junit(tmp_path, [tmp_path / "report.xml"], "42")
    second = import_junit(tmp_path, [tmp_path / "report.xml"], "42")
    assert (first.runs, first.new, second.runs, second.new) == (3, 3, 3, 0)
    with RunStore(runs_url(tmp_path)) as store:
        stored = CIHistory(store).tests()
    assert [(t.name, t.outcome, t.seconds, t.message) for t in stored] == [
        ("test_pay", "passed", 0.25, None), ("test_refund", "error", 1.5, "boom"), ("test_skip", "skipped", 0.0, None)]


def test_broken_junit_xml_is_a_usage_error_with_file_and_line(tmp_path):
    (tmp_path / "report.xml").write_text("<testsuite>\n<testcase name='a'>\n</testsuite>\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["insights", "import", "junit", str(tmp_path / "report.xml"), "--project",
                                      str(tmp_path)])
    assert result.exit_code == 2 and f"{tmp_path / 'report.xml'}:3:" in result.output


def test_nexus_runs_in_the_history_are_judged_without_an_import(tmp_path):
    rng = random.Random(4)
    with RunStore(runs_url(tmp_path)) as store:
        for index in range(40):
            store.save(nexus_run(index, 2.0 * math.exp(rng.gauss(0, 0.05)), rng.choice([3, 30])))
        store.save(nexus_run(40, 12.0, 30))  # 360 s for 30 resources
    result = CliRunner().invoke(cli, ["insights", "anomalies", "--project", str(tmp_path), "--output", "json"])
    assert result.exit_code == 0, result.output
    assert [(i["run_id"], i["kind"], i["subject"], i["source"]) for i in json.loads(result.output)] == [
        ("run040", "duration", "shop/app/apply", "nexus")]


def test_the_json_and_prometheus_reports(imported, tmp_path):
    result = CliRunner().invoke(cli, ["insights", "report", "--project", str(imported), "--output", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert set(document) == {"anomalies", "counts", "flaky", "signatures", "baselines", "healing", "tests"}
    assert document["counts"]["storm"] == 1 and len(document["anomalies"]) == sum(document["counts"].values())
    assert {s["class"] for s in document["signatures"]} >= {"unknown", "infrastructure", "dependency-network"}
    assert all(b["n"] >= MIN_SAMPLES and b["p95"] >= b["median"] for b in document["baselines"])
    steps = {b["subject"] for b in document["baselines"] if b["subject"].count("/") == 2}
    assert ("CI/test/Run test" in steps) == (imported.name.startswith("github"))  # GitLab reports no steps
    textfile = tmp_path / "insights.prom"
    result = CliRunner().invoke(cli, ["insights", "report", "--project", str(imported), "--output", "prometheus",
                                      "-o", str(textfile)])
    assert result.exit_code == 0, result.output
    lines = textfile.read_text().splitlines()
    sample = re.compile(r'^(nexus_insights_[a-z0-9_]+)\{([a-z_]+="[^"\n]*",?)*\} [0-9.e+-]+$')
    declared = {line.split()[2] for line in lines if line.startswith("# TYPE")}
    assert all(sample.match(line) and sample.match(line).group(1) in declared
               for line in lines if not line.startswith("#")), lines
    assert any(line.startswith('nexus_insights_anomalies{source="') and 'kind="storm"} 1' in line for line in lines)


def test_runs_are_judged_against_their_day_type_once_the_level_has_three_weeks():
    monday = 1_788_739_200.0  # 2026-09-07, a Monday (UTC)
    level = Level()
    for hour in range(0, 28 * 24, 4):  # four weeks, a run every 4 hours; weekends at half the duration
        at = monday + hour * 3600
        level.add(Point(str(hour), at, 50.0 if is_weekend(at) else 100.0 * (1 + (hour % 3) / 100)))
        if hour == 14 * 24:
            assert level.robust(monday + 19 * 86400)[2] is False  # a Saturday after two weeks: overall median
    median, _, seasonal = level.robust(monday + 33 * 86400)    # a Saturday after four weeks
    assert seasonal and math.exp(median) == pytest.approx(50.0)
    median, _, seasonal = level.robust(monday + 29 * 86400)    # a Tuesday
    assert seasonal and math.exp(median) == pytest.approx(101.0)
