"""An unknown region is a located spec error (exit 2) in validate, synth and check, with the closest known names;
AWS regions come from botocore's endpoints data, GCP's and Azure's from the dated, sourced regions.yaml."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from cdktf_app.spec.regions import known_regions

NEXUS = str(Path(sys.executable).with_name("nexus"))
SPEC = textwrap.dedent("""\
    apiVersion: nexus/v1
    name: regions
    providers:
      {providers}
    components:
      assets: {{type: bucket}}
""")


def run(command: str, spec_path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([NEXUS, command, str(spec_path)], capture_output=True, text=True, timeout=120,
                          cwd=spec_path.parent)


def write(tmp_path: Path, providers: str) -> Path:
    path = tmp_path / "nexus.yaml"
    path.write_text(SPEC.format(providers=providers), encoding="utf-8")
    return path


@pytest.mark.parametrize("command", ["validate", "synth", "check"])
def test_an_unknown_aws_region_is_a_spec_error_in_every_command(tmp_path, command):
    completed = run(command, write(tmp_path, "aws: {region: us-east-9}"))
    assert completed.returncode == 2, completed.stderr
    assert "nexus.yaml:4:" in completed.stderr and "providers.aws.region" in completed.stderr
    assert "'us-east-9' is not a known AWS region" in completed.stderr
    assert "did you mean 'us-east-2', 'us-east-1'" in completed.stderr
    assert "Traceback" not in completed.stderr
    assert not (tmp_path / "cdktf.out").exists()


@pytest.mark.parametrize("providers, path, suggestion", [
    ("gcp: {project: acme-demo-1234, region: europe-west99}", "providers.gcp.region", "europe-west9"),
    ("azure: {location: westeurop}", "providers.azure.location", "westeurope"),
    ("aws: {region: eu-west-1, allowed_regions: [eu-west-1, eu-wset-1]}", "providers.aws.allowed_regions[1]",
     "eu-west-1"),
    ("gcp: {project: acme-demo-1234, region: europe-west1, allowed_regions: [europe-west1, europe]}",
     "providers.gcp.allowed_regions[1]", "europe-west9"),
])
def test_unknown_regions_and_allowed_regions_name_their_path_and_close_matches(tmp_path, providers, path,
                                                                               suggestion):
    completed = run("validate", write(tmp_path, providers))
    assert completed.returncode == 2, completed.stderr
    assert f"{path}: " in completed.stderr and f"'{suggestion}'" in completed.stderr, completed.stderr


@pytest.mark.parametrize("providers", [
    "gcp: {project: acme-demo-1234, region: europe-west12, allowed_regions: [EU, europe-west12]}",
    "azure: {location: westeurope, allowed_regions: [West Europe, westeurope]}",
    "aws: {region: us-gov-west-1}",
    "aws: {region: cn-north-1}",
])
def test_real_regions_of_every_partition_and_multi_regions_validate(tmp_path, providers):
    completed = run("validate", write(tmp_path, providers))
    assert completed.returncode == 0, completed.stderr


def test_region_lists_come_from_their_sources():
    assert {"us-east-1", "eu-west-1", "us-gov-west-1", "cn-north-1"} <= known_regions("aws")
    assert "us-east-9" not in known_regions("aws")
    assert "europe-west1" in known_regions("gcp") and "eu" not in known_regions("gcp")
    assert "eu" in known_regions("gcp", multi_regions=True)
    assert "westeurope" in known_regions("azure")
