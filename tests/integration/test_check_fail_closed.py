"""A compliance scan that did not check everything is an error (exit 4), never a pass: stacks checkov cannot parse,
stacks with resources on which no check ran, a checkov that cannot run — for every target kind, `--fix`,
`auto_remediate` during synth and the deploy gate (which `--override-gate` does not lift)."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdktf_app.cli.main import cli
from cdktf_app.compliance import check
from cdktf_app.deploy.gate import GateBlocked, evaluate_gate
from cdktf_app.errors import NexusError, ScanError

# A public, unencrypted bucket and database: 13 findings at `--fail-on low` with any state backend.
OPEN_SPEC = """\
apiVersion: nexus/v1
name: openapp
providers:
  aws: {{region: us-east-1}}
environments: [dev]
{state}components:
  assets: {{type: bucket, public: true, encrypted: false}}
  db: {{type: database, engine: postgres, version: "16", public: true, encrypted: false}}
"""
S3_STATE = "state: {backend: s3, bucket: some-bucket}\n"
STACK = "openapp-dev-aws"
PUBLIC_BUCKET = {"aws_s3_bucket": {"open": {"bucket": "open", "acl": "public-read"}}}


def invoke(*arguments: str):
    return CliRunner().invoke(cli, ["--log-format", "json", *arguments])


def findings_of(output: str) -> set[tuple[str, str]]:
    report = json.loads(output[output.index("{"):])
    return {(finding["check_id"], finding["address"]) for finding in report["findings"] if not finding["suppressed"]}


@pytest.fixture(scope="module")
def open_specs(tmp_path_factory):
    """The same insecure spec with local state and with an S3 backend, each in its own folder."""
    specs = {}
    for name, state in (("local", ""), ("s3", S3_STATE)):
        path = tmp_path_factory.mktemp(f"open-{name}") / "nexus.yaml"
        path.write_text(OPEN_SPEC.format(state=state), encoding="utf-8")
        specs[name] = path
    return specs


def test_a_backend_with_required_version_is_scanned_like_local_state(open_specs):
    local = invoke("check", str(open_specs["local"]), "--fail-on", "low", "--output", "json")
    s3 = invoke("check", str(open_specs["s3"]), "--fail-on", "low", "--output", "json")
    assert local.exit_code == 1 and s3.exit_code == 1, s3.output
    assert len(findings_of(local.output)) >= 10
    assert findings_of(s3.output) == findings_of(local.output)
    stack = json.loads((open_specs["s3"].parent / "cdktf.out" / "stacks" / STACK / "cdk.tf.json").read_text())
    assert stack["terraform"]["required_version"] and "s3" in stack["terraform"]["backend"]


def unreadable_out_dir(source: Path, folder: Path) -> Path:
    """A copy of a synth out dir whose stack checkov cannot parse (truncated JSON)."""
    out = folder / "cdktf.out"
    stack = out / "stacks" / STACK
    stack.mkdir(parents=True)
    text = (source.parent / "cdktf.out" / "stacks" / STACK / "cdk.tf.json").read_text()
    (stack / "cdk.tf.json").write_text(text[: len(text) // 2], encoding="utf-8")
    return out


@pytest.mark.parametrize("kind", ["out_dir", "plan"])
def test_a_target_checkov_cannot_parse_exits_4(open_specs, tmp_path, kind):
    if kind == "out_dir":
        target = unreadable_out_dir(open_specs["local"], tmp_path)
    else:  # a plan with resources checkov runs no check on (it needs terraform_version)
        target = tmp_path / "plan.json"
        target.write_text(json.dumps({"planned_values": {"root_module": {"resources": [
            {"address": "aws_s3_bucket.open", "mode": "managed", "type": "aws_s3_bucket", "name": "open",
             "values": {"bucket": "open", "acl": "public-read"}}]}}}), encoding="utf-8")
    result = invoke("check", str(target), "--fail-on", "low")
    assert result.exit_code == 4, result.output
    assert "did not check everything" in result.output and "Traceback" not in result.output


def test_a_lone_stack_json_with_a_garbage_resource_block_exits_4(tmp_path):
    stack = tmp_path / "cdk.tf.json"
    stack.write_text(json.dumps({"resource": {**PUBLIC_BUCKET, "aws_db_instance": {"db": "public"}}}),
                     encoding="utf-8")
    result = invoke("check", str(stack), "--fail-on", "never")
    assert result.exit_code == 4, result.output
    assert f"checkov could not parse {stack.resolve()}" in result.output


def test_fix_and_auto_remediate_fail_closed_when_the_scan_is_incomplete(open_specs, tmp_path, monkeypatch):
    # A checkov without checkov: the scanner cannot run at all.
    monkeypatch.setenv("NEXUS_CHECKOV", str(broken_checkov(tmp_path)))
    spec = tmp_path / "nexus.yaml"
    spec.write_text(OPEN_SPEC.format(state=S3_STATE) + "compliance: {auto_remediate: true}\n", encoding="utf-8")
    before = spec.read_text()
    fixed = invoke("check", str(spec), "--fix")
    assert fixed.exit_code == 4, fixed.output
    synthesized = invoke("synth", str(spec))
    assert synthesized.exit_code == 4, synthesized.output
    assert spec.read_text() == before


def broken_checkov(folder: Path) -> Path:
    """A python where checkov's import fails, as a damaged `.tools/checkov` venv does."""
    python = folder / "venv" / "bin" / "python"
    python.parent.mkdir(parents=True)
    python.write_text("#!/bin/sh\necho 'ModuleNotFoundError: No module named checkov' >&2\nexit 1\n")
    python.chmod(0o755)
    return python


def test_the_deploy_gate_that_cannot_scan_blocks_even_when_overridden(tmp_path, checkov_worker):
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"terraform_version": "1.11.0", "planned_values": {"root_module": {"resources": [
        {"address": "aws_s3_bucket.open", "mode": "managed", "type": "aws_s3_bucket", "name": "open",
         "values": {"bucket": "open"}}]}}, "resource_changes": [
        {"address": "aws_s3_bucket.open", "mode": "managed", "type": "aws_s3_bucket", "name": "open",
         "change": {"actions": ["create"]}}]}), encoding="utf-8")
    result = evaluate_gate(plan, tmp_path, "high", overridden=True, worker=checkov_worker)
    assert result.error and not result.passed and not result.overridden
    blocked = GateBlocked(stack="open-dev-aws", result=result)
    assert blocked.exit_code == 4 and "--override-gate does not cover this" in str(blocked)


# ---------------------------------------------------------------- property: no unreadable stack passes
SCALARS = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none())
BACKENDS = st.sampled_from([
    {"s3": {"bucket": "b", "key": "k", "region": "us-east-1", "use_lockfile": True}},
    {"gcs": {"bucket": "b", "prefix": "p"}},
    {"azurerm": {"resource_group_name": "r", "storage_account_name": "s", "container_name": "c", "key": "k"}},
    {"local": {"path": "terraform.tfstate"}},
])


@st.composite
def terraform_blocks(draw):
    """The `terraform` block with a backend of each type and plain settings of any kind beside it."""
    block = {"backend": draw(BACKENDS)}
    block.update(draw(st.dictionaries(st.sampled_from(["required_version", "experiments", "cloud", "x"]),
                                      st.one_of(SCALARS, st.lists(SCALARS, max_size=2)), max_size=3)))
    return block


@st.composite
def odd_stacks(draw) -> str:
    """Stack texts with a public bucket somewhere, which checkov may fail to read."""
    kind = draw(st.sampled_from(["backend", "garbage", "truncated", "not_an_object", "odd_resource_map",
                                 "odd_resource_body", "resources_elsewhere"]))
    stack = {"resource": PUBLIC_BUCKET, "terraform": draw(terraform_blocks())}
    text = json.dumps(stack)
    if kind == "garbage":
        return draw(st.text(min_size=1, max_size=40)) + text
    if kind == "truncated":
        return text[: draw(st.integers(1, len(text) - 1))]
    if kind == "not_an_object":
        return json.dumps(draw(st.sampled_from([[stack], "stack", 3, None, [[PUBLIC_BUCKET]]])))
    if kind == "odd_resource_map":
        stack["resource"] = draw(st.sampled_from([[PUBLIC_BUCKET, "x"], "aws_s3_bucket", [[PUBLIC_BUCKET]], 7]))
    if kind == "odd_resource_body":
        stack["resource"] = {"aws_s3_bucket": {"open": draw(st.one_of(SCALARS, st.lists(SCALARS, max_size=2)))}}
    if kind == "resources_elsewhere":  # an empty map, the bucket in a list form of the same block beside it
        stack = {"resource": {}, "terraform": stack["terraform"], "//": {"resource": PUBLIC_BUCKET}}
        text = json.dumps(stack)[:-1] + ', "resource": [' + json.dumps(PUBLIC_BUCKET) + "]}"
        return text
    return json.dumps(stack)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=odd_stacks())
def test_a_scan_of_a_stack_checkov_cannot_read_never_passes(text, checkov_worker):
    with tempfile.TemporaryDirectory(prefix="nexus-odd-") as folder:
        stack = Path(folder) / "cdktf.out" / "stacks" / "odd" / "cdk.tf.json"
        stack.parent.mkdir(parents=True)
        stack.write_text(text, encoding="utf-8")
        try:
            report = check(stack.parent.parent.parent, worker=checkov_worker)
        except ScanError as error:
            assert error.exit_code == 4 and "did not check everything" in str(error)
            return
        except NexusError as error:
            assert error.exit_code not in (0, 1, 3), error
            return
        # A scan that ends without an error has read the public bucket: it can never be a clean pass.
        assert report.blocking("low"), (text, report.to_dict())
