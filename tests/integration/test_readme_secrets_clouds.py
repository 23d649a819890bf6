"""The README's secrets-compliance command, exactly as printed there, run by bash with the venv's `nexus` on a spec
whose generated GCP secret has no rotation: the safe fix adds `rotation: {days: 90}` to that secret."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cdktf_app.spec.loader import load_spec_text

README_FIX = "nexus check nexus.yaml --fix      # a generated secret without rotation gets `rotation: {days: 90}  # nexus fix: ...`\n"
SPEC = """\
apiVersion: nexus/v1
name: shop
providers:
  gcp: {project: acme-shop, region: europe-west1}
components:
  files: {type: bucket}
secrets:
  api_key:
    kind: generated
    from: gcp-secret-manager
"""


@pytest.mark.slow
def test_the_readme_fix_command_adds_rotation_to_a_generated_secret(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                       NEXUS_SYNTH_WORKER="off")
    completed = subprocess.run(["bash", "-c", README_FIX], cwd=tmp_path, env=environment, capture_output=True,
                               text=True, timeout=600)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    fixed = spec.read_text(encoding="utf-8")
    assert fixed == SPEC + "    rotation:  # nexus fix: NEXUS_GCP_SECRET_ROTATION\n      days: 90\n"
    assert load_spec_text(fixed).spec.secrets["api_key"].rotation.days == 90
    assert "secrets.api_key: rotation: {days: 90}" in completed.stdout + completed.stderr
