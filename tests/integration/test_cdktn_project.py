"""The cdktn CLI (npm cdktn-cli, as users install it; scripts/setup.d/40-cdktn-cli.sh) in a folder made by
`nexus init` outside the repository: `cdktn synth` writes what `nexus synth` (and the gate's `nexus check`)
write, quietly; the gate fails the synth of a weakened spec; `cdktn deploy` and `cdktn destroy` reach the
sandbox with nothing but what `nexus sandbox env` prints."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import boto3
import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.paths import repo_root
from cdktf_app.project import SPEC_FILE, init_project
from cdktf_app.sandbox import OVERRIDE_FILE

pytestmark = pytest.mark.terraform

CDKTN = repo_root() / ".tools" / "cdktn" / "bin" / "cdktn"
# What a user's shell would not have: settings of this machine or of the test run that point elsewhere.
FOREIGN = ("CDKTF_OUTDIR", "NEXUS_SPEC", "NEXUS_SANDBOX", "NEXUS_GATE", "TF_CLI_CONFIG_FILE", "AWS_ENDPOINT_URL",
           "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_PROFILE", "TF_DATA_DIR")
WEAKENED = """\
apiVersion: nexus/v1
name: weak
providers:
  aws:
    region: eu-west-1
components:
  files:
    type: bucket
    public: true
    encrypted: false
"""


def user_environment(**extra: str) -> dict[str, str]:
    return {**{k: v for k, v in os.environ.items() if k not in FOREIGN}, **extra}


def cdktn(project: Path, *arguments: str, env: dict[str, str] | None = None,
          timeout: int = 600) -> subprocess.CompletedProcess:
    assert CDKTN.is_file(), f"{CDKTN} is missing: run scripts/setup (scripts/setup.d/40-cdktn-cli.sh)"
    return subprocess.run([str(CDKTN), *arguments], cwd=project, env=env or user_environment(),
                          capture_output=True, text=True, timeout=timeout)


def nexus(*arguments: str) -> str:
    result = CliRunner().invoke(cli, list(arguments))
    assert result.exit_code == 0, result.output
    return result.output


def digests(out_dir: Path) -> dict[str, str]:
    return {str(path.relative_to(out_dir)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(out_dir.rglob("*")) if path.is_file()}


def test_cdktn_synth_writes_what_nexus_synth_writes_and_nothing_on_stderr(tmp_path, monkeypatch):
    project = init_project(tmp_path / "shop").directory
    assert not project.resolve().is_relative_to(repo_root())
    out_dir = project / "cdktf.out"
    monkeypatch.chdir(project)                    # as a user runs them: findings name the spec as it was given
    nexus("synth", SPEC_FILE, "--no-cache")
    synthesized = digests(out_dir)
    nexus("check", SPEC_FILE)                     # what the app's gate runs; it writes OUT/findings.json
    checked = digests(out_dir)
    shutil.rmtree(out_dir)

    run = cdktn(project, "synth")

    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stderr == "" and "[ERROR]" not in run.stdout
    assert "Generated Terraform code for the stacks: shop-dev-aws" in run.stdout
    produced = digests(out_dir)
    assert {name: produced.get(name) for name in synthesized} == synthesized
    assert produced == checked and set(produced) - set(synthesized) == {"findings.json"}


def test_a_weakened_spec_fails_cdktn_synth_with_its_findings(tmp_path):
    project = init_project(tmp_path / "weak").directory
    (project / SPEC_FILE).write_text(WEAKENED, encoding="utf-8")

    run = cdktn(project, "synth")

    assert run.returncode != 0
    assert "the compliance gate stopped the synth" in run.stderr
    for check_id in ("CKV2_AWS_6", "CKV_AWS_54", "CKV_AWS_56"):
        assert f"critical {check_id} weak-dev-aws/" in run.stderr
    assert "(nexus.yaml:7 components.files)" in run.stderr

    forced = cdktn(project, "synth", env=user_environment(NEXUS_GATE="off"))
    assert forced.returncode == 0, forced.stderr
    assert "NEXUS_GATE=off: the compliance gate did not run" in forced.stdout   # the CLI relays it as [ERROR]


def test_cdktn_deploy_and_destroy_on_the_sandbox_with_only_what_sandbox_env_prints(tmp_path):
    project = init_project(tmp_path / "shop").directory     # the starter: an SQS queue, a bucket with access logs
    stack_dir = project / "cdktf.out" / "stacks" / "shop-dev-aws"
    nexus("sandbox", "up", "--project", str(project))
    try:
        exported = json.loads(nexus("sandbox", "env", "--project", str(project), "--output", "json"))["variables"]
        assert set(exported) >= {"TF_CLI_CONFIG_FILE", "AWS_ENDPOINT_URL", "NEXUS_SANDBOX"}
        env = user_environment(**exported)
        s3 = boto3.client("s3", endpoint_url=exported["AWS_ENDPOINT_URL"], region_name="us-east-1",
                          aws_access_key_id="test", aws_secret_access_key="test")

        deployed = cdktn(project, "deploy", "--auto-approve", "--skip-provider-lock", env=env)
        assert deployed.returncode == 0, deployed.stdout[-3000:] + deployed.stderr
        assert "Apply complete! Resources: 19 added" in deployed.stdout
        assert json.loads((stack_dir / OVERRIDE_FILE).read_text())["resource"]["aws_s3_bucket"] == {
            "access_logs": {"force_destroy": True}, "files": {"force_destroy": True}}
        assert s3.list_objects_v2(Bucket="shop-dev-access-logs")["KeyCount"] > 0   # the sandbox logged requests

        destroyed = cdktn(project, "destroy", "--auto-approve", "--skip-provider-lock", env=env)
        assert destroyed.returncode == 0, destroyed.stdout[-3000:] + destroyed.stderr
        assert "Destroy complete! Resources: 19 destroyed" in destroyed.stdout
        state = json.loads((stack_dir / "terraform.shop-dev-aws.sandbox.tfstate").read_text())
        assert state["resources"] == [] and s3.list_buckets()["Buckets"] == []
    finally:
        nexus("sandbox", "down", "--project", str(project))

    quiet = cdktn(project, "synth")     # without NEXUS_SANDBOX the override goes: no deploy reaches a sandbox
    assert quiet.returncode == 0, quiet.stderr
    assert not (stack_dir / OVERRIDE_FILE).exists()
