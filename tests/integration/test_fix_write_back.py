"""`nexus check --fix` writes the spec back where it lives: through a symlink, keeping the file's mode."""
from __future__ import annotations

import os
import stat

from click.testing import CliRunner

from cdktf_app.cli.main import cli

WEAK = """\
apiVersion: nexus/v1
name: autofix
providers:
  aws: {region: eu-west-1}
components:
  uploads:
    type: bucket
    access_logs: false   # someone turned this off
"""


def test_fix_writes_through_a_symlinked_spec_and_keeps_its_mode(tmp_path):
    real = tmp_path / "specs" / "nexus.yaml"
    real.parent.mkdir()
    real.write_text(WEAK, encoding="utf-8")
    real.chmod(0o600)
    link = tmp_path / "project" / "nexus.yaml"
    link.parent.mkdir()
    link.symlink_to(real)
    result = CliRunner().invoke(cli, ["check", str(link), "--fix", "--out", str(tmp_path / "cdktf.out")])
    assert "Traceback" not in result.output and result.exit_code in (0, 1), result.output
    assert link.is_symlink() and os.readlink(link) == str(real)
    assert "access_logs: true" in real.read_text(encoding="utf-8")
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
