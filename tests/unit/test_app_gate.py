"""The app cdktf.json runs (`python -m cdktf_app`) gates the synth: a check that cannot run fails it (exit 4),
NEXUS_GATE takes only on/off, and NEXUS_SANDBOX never points a non-AWS stack at the sandbox."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cdktf_app.errors import UsageError
from cdktf_app.project import init_project
from cdktf_app.sandbox.environment import NoSandbox, apply_sandbox_setting
from cdktf_app.sandbox.server import free_port
from cdktf_app.stacks.app import StackInfo
from cdktf_app.stacks.synth import SynthResult


def app(project, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("NEXUS_", "CDKTF_"))}
    return subprocess.run([sys.executable, "-m", "cdktf_app"], cwd=project, env={**clean, **env},
                          capture_output=True, text=True, timeout=300)


def test_a_gate_that_cannot_run_fails_the_synth_with_exit_4(tmp_path):
    project = init_project(tmp_path / "p").directory
    run = app(project, NEXUS_CHECKOV=str(tmp_path / "no-checkov" / "python"))
    assert run.returncode == 4
    assert "checkov" in run.stderr and "is not installed" in run.stderr


def test_nexus_gate_takes_on_or_off_only(tmp_path):
    project = init_project(tmp_path / "p").directory
    run = app(project, NEXUS_GATE="of")
    assert run.returncode == 2 and "NEXUS_GATE='of': expected 'on' (the default) or 'off'" in run.stderr
    assert not (project / "cdktf.out").exists()


def test_nexus_sandbox_refuses_stacks_of_other_clouds(tmp_path):
    stacks = [StackInfo("app-dev-aws", "dev", "aws"), StackInfo("app-dev-gcp", "dev", "gcp")]
    result = SynthResult(tmp_path, stacks, cached=False, seconds=0.0, loaded=None, provenance=None)
    with pytest.raises(UsageError, match=r"the sandbox is AWS only: app-dev-gcp \(gcp\) would reach the real cloud"):
        apply_sandbox_setting(result, "http://127.0.0.1:1")
    assert not list(tmp_path.rglob("nexus_sandbox_override.tf.json"))


def test_nexus_sandbox_refuses_when_nothing_listens(tmp_path):
    result = SynthResult(tmp_path, [StackInfo("app-dev-aws", "dev", "aws")], cached=False, seconds=0.0,
                         loaded=None, provenance=None)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(NoSandbox, match="no sandbox answers there; start one with `nexus sandbox up`"):
        apply_sandbox_setting(result, url)
