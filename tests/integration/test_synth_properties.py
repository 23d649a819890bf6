"""Synth as a whole: deterministic output, the cache, lazy bindings, edge stacks and HCL modules."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cdktf_app.errors import SpecError
from cdktf_app.stacks.synth import synth
from tests.conftest import FIXTURES, synthesized_text
from tests.helpers import declared_addresses, load_stack, referenced_addresses

EDGE_SPEC = textwrap.dedent("""\
    apiVersion: nexus/v1
    name: plant
    providers:
      aws: {region: us-east-1}
      edge:
        locations: [factory_floor, retail_store]
        update_strategy: air_gapped
        site_inputs: {cpu_quota: "4", max_pods: 20}
    environments: [prod]
    components:
      telemetry: {type: bucket}
      baseline: {type: module, provider: aws, source: edge-site, inputs: {site_name: hq}}
""")


def generated_files(out_dir: Path) -> dict[str, bytes]:
    return {str(path.relative_to(out_dir)): path.read_bytes() for path in sorted(out_dir.rglob("*"))
            if path.is_file() and ".terraform" not in path.parts}


def test_two_directories_give_byte_identical_output(tmp_path):
    outputs = []
    for name in ("first", "second/nested"):
        work = tmp_path / name
        work.mkdir(parents=True)
        shutil.copyfile(FIXTURES / "specs" / "aws-all.yaml", work / "nexus.yaml")
        synth(work / "nexus.yaml", work / "cdktf.out", use_cache=False)
        outputs.append(generated_files(work / "cdktf.out"))
    assert outputs[0].keys() == outputs[1].keys()
    assert "stacks/shop-dev-aws/cdk.tf.json" in outputs[0]
    different = [name for name in outputs[0] if outputs[0][name] != outputs[1][name]]
    assert not different
    assert str(tmp_path).encode() not in b"".join(outputs[0].values())


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])})


LOADED_BINDINGS = textwrap.dedent("""\
    import sys, json
    from cdktf_app.stacks.synth import synth
    result = synth("nexus.yaml", "cdktf.out")
    print(json.dumps({"cached": result.cached, "modules": sorted(
        m for m in sys.modules if m.split(".")[0] in ("cdktn", "cdktn_provider_aws", "cdktn_provider_google",
                                                     "cdktn_provider_azurerm", "jsii"))}))
""")


def test_aws_only_spec_never_loads_other_bindings_and_unchanged_spec_skips_the_app(tmp_path):
    shutil.copyfile(FIXTURES / "specs" / "aws-all.yaml", tmp_path / "nexus.yaml")
    first = run_python(LOADED_BINDINGS, tmp_path)
    assert first.returncode == 0, first.stderr
    report = json.loads(first.stdout.splitlines()[-1])
    roots = {module.split(".")[0] for module in report["modules"]}
    assert report["cached"] is False and "cdktn_provider_aws" in roots
    assert not roots & {"cdktn_provider_google", "cdktn_provider_azurerm"}
    assert "Node 20 is end-of-life" not in first.stderr + first.stdout
    second = json.loads(run_python(LOADED_BINDINGS, tmp_path).stdout.splitlines()[-1])
    assert second["cached"] is True and second["modules"] == []
    (tmp_path / "nexus.yaml").write_text((tmp_path / "nexus.yaml").read_text().replace("min: 5", "min: 6"))
    third = json.loads(run_python(LOADED_BINDINGS, tmp_path).stdout.splitlines()[-1])
    assert third["cached"] is False


@pytest.fixture(scope="module")
def edge_output(tmp_path_factory):
    return synthesized_text(tmp_path_factory, "edge", EDGE_SPEC)


def test_edge_locations_become_one_stack_each_with_the_site_module(edge_output):
    names = [stack.name for stack in edge_output.stacks]
    assert names == ["plant-prod-aws", "plant-prod-edge-factory-floor", "plant-prod-edge-retail-store"]
    stack = load_stack(edge_output.stack_json("plant-prod-edge-retail-store"))
    module = stack["module"]["site"]
    assert module["source"] == "./modules/edge-site" and module["site_name"] == "retail_store"
    assert module["update_strategy"] == "air_gapped" and module["max_pods"] == 20
    assert stack["output"]["update_strategy"]["value"] == "air_gapped"
    assert (edge_output.stack_dir("plant-prod-edge-retail-store") / "modules/edge-site/main.tf").is_file()
    assert referenced_addresses(stack) <= declared_addresses(stack)
    manifest = json.loads((edge_output.out_dir / "nexus.json").read_text())
    edge_entries = [entry for entry in manifest["stacks"] if entry["provider"] == "edge"]
    assert {entry["update_strategy"] for entry in edge_entries} == {"air_gapped"}


def test_module_component_is_called_with_its_checked_inputs(edge_output):
    stack = load_stack(edge_output.stack_json("plant-prod-aws"))
    assert stack["module"]["baseline"]["site_name"] == "hq"
    assert (edge_output.stack_dir("plant-prod-aws") / "modules/edge-site/variables.tf").is_file()


def test_override_of_a_missing_resource_is_a_spec_error(tmp_path):
    spec = (FIXTURES / "specs" / "aws-all.yaml").read_text().replace("aws_s3_bucket.assets", "aws_s3_bucket.asets")
    (tmp_path / "nexus.yaml").write_text(spec)
    with pytest.raises(SpecError) as caught:
        synth(tmp_path / "nexus.yaml", tmp_path / "out", use_cache=False)
    problem = caught.value.problems[0]
    assert problem.line == 28 and "did you mean 'aws_s3_bucket.assets'" in problem.message
    assert not (tmp_path / "out" / "stacks").exists()
