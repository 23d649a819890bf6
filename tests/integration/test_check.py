"""`nexus check` on real synthesized stacks with real checkov: normalized findings that point at spec lines,
pack severities, output formats that validate, exit codes, suppressions."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.compliance import check
from cdktf_app.compliance.formats import to_junit, to_markdown, to_sarif
from cdktf_app.compliance.packs import controls_for, severity_for
from cdktf_app.paths import repo_root

ADDRESS = re.compile(r"^(data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*$")


@pytest.fixture(scope="module")
def report(aws_all, checkov_worker):
    return check(aws_all.out_dir, worker=checkov_worker)


@pytest.fixture(scope="module")
def spec_lines(aws_all):
    return (aws_all.out_dir.parent / "nexus.yaml").read_text(encoding="utf-8").splitlines()


def test_findings_have_normalized_addresses_that_exist_in_the_stack(report, aws_all):
    assert report.findings, "the every-component spec has some findings (e.g. CloudFront without a custom cert)"
    for finding in report.findings:
        assert ADDRESS.match(finding.address), finding.address
        document = json.loads(aws_all.stack_json(finding.stack).read_text())
        kind, _, rest = finding.address.partition(".")
        if kind == "data":
            type_name, _, name = rest.partition(".")
            assert name in document["data"][type_name]
        else:
            assert rest in document["resource"][kind], finding.address


def test_findings_point_at_the_spec_line_of_their_component(report, spec_lines):
    located = [finding for finding in report.findings if finding.line]
    assert len(located) >= len(report.findings) - 2  # provider-level data sources may have no component
    for finding in located:
        assert finding.file.endswith("nexus.yaml")
        line = spec_lines[finding.line - 1]
        assert line.strip().startswith(f"{finding.component}:"), (finding.address, line)
        # stack plumbing (the stack key, the access-log bucket) comes from the provider section
        assert finding.spec_path in (f"components.{finding.component}", f"providers.{finding.component}")


def test_severity_and_controls_come_from_the_declared_standards_packs(report):
    assert report.standards == ("pci-dss", "soc2")
    for finding in report.findings:
        expected = severity_for(finding.check_id, ["pci-dss", "soc2"]) or "low"
        assert finding.severity == expected
        assert list(finding.controls) == controls_for(finding.check_id, ["pci-dss", "soc2"])


def test_findings_json_is_written_beside_the_stacks(report, aws_all):
    written = json.loads((aws_all.out_dir / "findings.json").read_text())
    assert written["generated_by"] == "nexus check"
    assert len(written["findings"]) == len(report.findings)
    assert {item["address"] for item in written["findings"]} == {finding.address for finding in report.findings}


def test_sarif_validates_against_the_sarif_2_1_0_schema(report):
    schema_path = repo_root() / ".tools" / "sarif" / "sarif-2.1.0.json"
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    sarif = json.loads(to_sarif(report))
    jsonschema.validate(sarif, schema, cls=jsonschema.Draft4Validator)
    results = sarif["runs"][0]["results"]
    assert len(results) == len(report.findings)
    assert {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]} == {
        finding.check_id for finding in report.findings}
    located = [result for result in results
               if result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("nexus.yaml")]
    assert located and all(result["locations"][0]["physicalLocation"]["region"]["startLine"] >= 1
                           for result in located)


def test_junit_parses_with_one_failure_per_finding(report):
    root = ElementTree.fromstring(to_junit(report).encode())
    failures = root.findall(".//testcase/failure")
    assert len(failures) == report.failed_count
    assert {suite.get("name") for suite in root.findall("testsuite")} == set(report.stacks)


def test_markdown_has_a_row_per_finding(report):
    rows = [line for line in to_markdown(report).splitlines() if line.startswith("| ") and "`" in line]
    assert len(rows) == len(report.findings)


def invoke(*arguments: str):
    return CliRunner().invoke(cli, list(arguments), catch_exceptions=False)


def test_exit_codes_follow_fail_on(report, aws_all):
    out = str(aws_all.out_dir)
    worst = max((finding.severity for finding in report.active), key=["low", "medium", "high", "critical"].index)
    assert invoke("check", out, "--fail-on", worst, "--output", "json").exit_code == 1
    assert invoke("check", out, "--fail-on", "never", "--output", "json").exit_code == 0
    above = {"low": "medium", "medium": "high", "high": "critical"}.get(worst)
    if above:
        assert invoke("check", out, "--fail-on", above, "--output", "json").exit_code == 0


def test_usage_errors_exit_2():
    assert invoke("check", "no-such-spec.yaml").exit_code == 2
    assert invoke("check", "no-such-spec.yaml", "--unsafe-fixes").exit_code == 2
    assert invoke("check", "README.md", "--fix").exit_code == 2


def test_an_unknown_standard_is_a_usage_error(aws_all):
    result = invoke("check", str(aws_all.out_dir), "--standard", "pci-dds")
    assert result.exit_code == 2 and "no pack for standard pci-dds" in result.output


def test_json_output_is_the_report(report, aws_all):
    result = invoke("check", str(aws_all.out_dir), "--output", "json", "--fail-on", "never")
    data = json.loads(result.output)
    assert data["failed"] == report.failed_count and data["passed"] == report.passed_count


def test_single_stack_file_is_mapped_through_its_out_dir(aws_all, checkov_worker):
    stack = aws_all.stacks[0].name
    single = check(aws_all.stack_json(stack), worker=checkov_worker)
    assert single.stacks == (stack,)
    assert all(finding.stack == stack for finding in single.findings)
    assert any(finding.line for finding in single.findings)


def test_missing_checkov_is_a_clear_error(aws_all, monkeypatch):
    monkeypatch.setenv("NEXUS_CHECKOV", "/nonexistent/venv/bin/python")
    result = CliRunner().invoke(cli, ["check", str(aws_all.out_dir)])
    assert result.exit_code == 4, result.output     # a check that cannot run is never a pass nor "findings remain"
    assert "checkov 3.3.30 is not installed" in result.output and "make setup" in result.output


def test_suppressed_findings_do_not_fail_the_check(tmp_path, aws_all, report, checkov_worker):
    spec = (aws_all.out_dir.parent / "nexus.yaml").read_text(encoding="utf-8")
    target = next(finding for finding in report.active if finding.component)
    suppressed_spec = spec.replace(
        "compliance:\n", "compliance:\n  suppressions:\n"
        f"    - {{check: {target.check_id}, resource: {target.address}, reason: accepted for this test fixture}}\n",
        1)
    assert suppressed_spec != spec
    path = tmp_path / "nexus.yaml"
    path.write_text(suppressed_spec, encoding="utf-8")
    for item in (aws_all.out_dir.parent).iterdir():  # function sources are relative to the spec
        if item.is_dir() and item.name != "cdktf.out":
            (tmp_path / item.name).symlink_to(item)
    again = check(path, worker=checkov_worker)
    matching = [finding for finding in again.findings
                if (finding.check_id, finding.address) == (target.check_id, target.address)]
    assert matching and all(finding.suppressed for finding in matching)
    assert matching[0].suppression_reason == "accepted for this test fixture"
    assert again.failed_count == report.failed_count - len(matching)


def test_the_worker_reads_json_with_libyaml_exactly_as_checkov_does(aws_all):
    """The worker swaps checkov's pure-Python line-marking loader for one on libyaml: same documents, same lines."""
    import subprocess

    from cdktf_app.compliance.checkov import WORKER_SCRIPT, checkov_environment, checkov_python

    script = (
        "import importlib.util, sys, yaml\n"
        "from checkov.common.parsers.yaml import loader\n"
        f"spec = importlib.util.spec_from_file_location('checkov_worker', {str(WORKER_SCRIPT)!r})\n"
        "checkov_worker = importlib.util.module_from_spec(spec)\n"
        "spec.loader.exec_module(checkov_worker)\n"
        "text = open(sys.argv[1]).read()\n"
        "pure = yaml.load(text, Loader=loader.SafeLineLoader)\n"
        "checkov_worker._use_libyaml()\n"
        "assert loader.SafeLineLoader.__name__ == 'LibyamlLineLoader'\n"
        "fast = yaml.load(text, Loader=loader.SafeLineLoader)\n"
        "print(pure == fast, len(text.splitlines()))\n")
    stack = aws_all.stack_json(aws_all.stacks[0].name)
    completed = subprocess.run([str(checkov_python()), "-c", script, str(stack)], capture_output=True, text=True,
                               env=checkov_environment(), timeout=120)
    assert completed.stdout.split()[:1] == ["True"], completed.stderr[-2000:]


def test_a_plaintext_secret_in_a_function_environment_is_refused_in_the_spec_and_a_high_finding_in_terraform(
        tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text("""\
apiVersion: nexus/v1
name: leaky
providers:
  aws: {region: eu-west-1}
compliance:
  standards: [{soc2: type2}]
components:
  events: {type: queue}
  worker:
    type: function
    trigger: events
    environment: {LOG_LEVEL: info, DB_PASSWORD: hunter2-hunter2}
""", encoding="utf-8")
    refused = CliRunner().invoke(cli, ["check", str(spec), "--output", "json", "--fail-on", "high"])
    assert refused.exit_code == 2, refused.output
    assert "nexus.yaml:12:" in refused.output and "components.worker.environment.DB_PASSWORD" in refused.output
    # Terraform JSON written elsewhere (here, by hand) has no spec to refuse it: the check finds it.
    stack = tmp_path / "handwritten" / "cdk.tf.json"
    stack.parent.mkdir()
    stack.write_text(json.dumps({"resource": {"aws_lambda_function": {"worker": {
        "function_name": "worker", "role": "arn:aws:iam::123456789012:role/worker", "runtime": "python3.12",
        "handler": "main.handler", "filename": "worker.zip",
        "environment": {"variables": {"LOG_LEVEL": "info", "DB_PASSWORD": "hunter2-hunter2"}}}}}}), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(stack), "--output", "json", "--fail-on", "never"])
    report = json.loads(result.output[result.output.index("{"):])
    leaked, = [f for f in report["findings"] if f["check_id"] == "NEXUS_AWS_PLAINTEXT_SECRET_ENV"]
    assert leaked["address"] == "aws_lambda_function.worker" and leaked["severity"] in ("high", "critical")


def test_an_out_dir_checked_with_spec_takes_that_specs_gate(tmp_path, aws_all, checkov_worker):
    spec = (aws_all.out_dir.parent / "nexus.yaml").read_text(encoding="utf-8")
    strict = tmp_path / "nexus.yaml"
    strict.write_text(spec.replace("compliance:\n", "compliance:\n  gate: low\n", 1), encoding="utf-8")
    assert check(aws_all.out_dir, spec=strict, worker=checkov_worker).gate == "low"
    assert check(aws_all.out_dir, worker=checkov_worker).gate is None
