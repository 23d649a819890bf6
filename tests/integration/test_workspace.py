"""The workspace's promises: each command parses its spec once, and `cdktf synth` (cdktf.json's app, run as the
cdktf CLI runs it) writes the same out dir as `nexus synth` followed by `nexus check` (the app's gate), byte for
byte, with and without auto_remediate."""
from __future__ import annotations

import hashlib
import json
import os
import shlex
import subprocess
import sys

import pytest
from click.testing import CliRunner

import cdktf_app.spec.loader as loader
from cdktf_app.blueprints.catalog import list_blueprints, render_blueprint
from cdktf_app.cli.main import cli
from cdktf_app.paths import repo_root
from tests.helpers import AWS_SPEC_HEAD
from tests.integration.test_deploy_sandbox import FAST_SPEC

SMALL_SPEC = AWS_SPEC_HEAD + """\
components:
  assets: {type: bucket}
  jobs: {type: queue}
"""


@pytest.fixture
def load_spec_calls(monkeypatch):
    """Counts calls of the real load_spec, wherever a module bound it (instrumentation: the real one runs)."""
    calls = []
    real = loader.load_spec

    def counted(path):
        calls.append(str(path))
        return real(path)

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("cdktf_app") and getattr(module, "load_spec", None) is real:
            monkeypatch.setattr(module, "load_spec", counted)
    return calls


@pytest.mark.parametrize("command", [
    ["synth", "{spec}"],
    ["check", "{spec}", "--fix"],
    ["visualize", "{spec}"],
    ["cost", "{spec}"],
])
def test_a_command_parses_its_spec_once(command, tmp_path, load_spec_calls, monkeypatch):
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    spec = tmp_path / "nexus.yaml"
    spec.write_text(SMALL_SPEC + "compliance: {auto_remediate: true}\n", encoding="utf-8")
    result = CliRunner().invoke(cli, [part.format(spec=spec) for part in command])
    assert result.exit_code in (0, 1), result.output
    assert load_spec_calls == [str(spec)]


def test_plan_parses_its_spec_once(tmp_path, load_spec_calls, monkeypatch):
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    spec = tmp_path / "nexus.yaml"
    spec.write_text(FAST_SPEC.format(owner="team-ws"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["plan", str(spec), "--sandbox"])
    assert "the gate stopped fast-dev-aws" in result.output, result.output  # synth, plan, cost delta and gate ran
    assert load_spec_calls == [str(spec)]


def out_dir_digest(out_dir) -> dict[str, str]:
    return {path.relative_to(out_dir).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(out_dir.rglob("*")) if path.is_file()}


def variants() -> list:
    return [pytest.param(blueprint.name, remediate, id=f"{blueprint.name}-{'fix' if remediate else 'plain'}")
            for blueprint in list_blueprints() for remediate in (True, False)]


def with_auto_remediate(text: str, on: bool) -> str:
    flipped = text.replace(f"auto_remediate: {str(not on).lower()}", f"auto_remediate: {str(on).lower()}")
    assert f"auto_remediate: {str(on).lower()}" in flipped
    return flipped


@pytest.mark.parametrize("name, remediate", variants())
def test_cdktf_synth_equals_nexus_synth(name, remediate, tmp_path):
    """Each side starts from the same rendered spec in its own project folder (auto_remediate edits the spec)."""
    text = with_auto_remediate(render_blueprint(name, {}), remediate)
    app = json.loads((repo_root() / "cdktf.json").read_text())["app"]
    outputs = {}
    for side in ("cdktf", "nexus"):
        project = tmp_path / side
        project.mkdir()
        (project / "nexus.yaml").write_text(text, encoding="utf-8")
        out_dir = project / "out"
        environment = {**os.environ, "NEXUS_SPEC": "nexus.yaml", "CDKTF_OUTDIR": str(out_dir)}
        if side == "cdktf":
            command = [str(repo_root() / part) if part.startswith(".venv/") else part for part in shlex.split(app)]
        else:
            environment.pop("CDKTF_OUTDIR")
            command = [sys.executable, "-m", "cdktf_app.cli.main", "synth", "nexus.yaml", "--out", "out"]
        run = subprocess.run(command, cwd=project, env=environment, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        if side == "nexus":  # the app gates what it synthesized: `nexus check`, which writes OUT/findings.json
            gate = [sys.executable, "-m", "cdktf_app.cli.main", "check", "nexus.yaml", "--out", "out"]
            run = subprocess.run(gate, cwd=project, env=environment, capture_output=True, text=True, timeout=600)
            assert run.returncode == 0, run.stdout + run.stderr
        outputs[side] = (out_dir_digest(out_dir), (project / "nexus.yaml").read_text(encoding="utf-8"))
    assert outputs["cdktf"] == outputs["nexus"]
    assert "findings.json" in outputs["nexus"][0]
