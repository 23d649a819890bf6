"""`nexus synth` says "(unchanged, reused)" only when the out dir was current before the command: with
compliance.auto_remediate the fix loop synthesizes into the out dir first, and that output is this synth's work."""
from __future__ import annotations

import json

from click.testing import CliRunner

from cdktf_app.build import build
from cdktf_app.cli.main import cli
from tests.helpers import aws_spec, write_spec

SPEC = aws_spec("tiny", "compliance:\n  auto_remediate: true\ncomponents:\n  files: {type: bucket}\n")


def test_the_first_synth_is_not_reused_the_second_is(tmp_path):
    spec = write_spec(tmp_path, SPEC)
    first = CliRunner().invoke(cli, ["synth", str(spec)])
    assert first.exit_code == 0, first.output
    assert "synthesized into" in first.output and "reused" not in first.output
    second = CliRunner().invoke(cli, ["--log-format", "json", "synth", str(spec)])
    assert second.exit_code == 0, second.output
    assert json.loads(second.stdout.splitlines()[-1])["cached"] is True


def test_build_reports_a_fresh_out_dir_as_not_cached(tmp_path):
    spec = write_spec(tmp_path, SPEC)
    assert build(spec, tmp_path / "out").result.cached is False
    assert build(spec, tmp_path / "out").result.cached is True
    assert build(spec, tmp_path / "elsewhere").result.cached is False
