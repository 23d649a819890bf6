"""Every spec example in the README passes its own gate: each fenced YAML block that starts with
`apiVersion: nexus/v1` is written to a folder of its own and `nexus check` (real synth, real checkov) exits 0."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
NEXUS = str(Path(sys.executable).with_name("nexus"))
FENCED_YAML = re.compile(r"^```ya?ml\n(.*?)^```", re.S | re.M)


def spec_examples() -> list[str]:
    return [block for block in FENCED_YAML.findall(README.read_text(encoding="utf-8"))
            if block.startswith("apiVersion: nexus/v1")]


def test_the_readme_has_spec_examples():
    assert spec_examples(), "the README's spec section has at least one example"


@pytest.mark.parametrize("index", range(len(spec_examples())))
def test_readme_spec_example_passes_its_gate(tmp_path, index):
    spec_path = tmp_path / "nexus.yaml"
    spec_path.write_text(spec_examples()[index], encoding="utf-8")
    completed = subprocess.run([NEXUS, "check", str(spec_path)], capture_output=True, text=True, timeout=600,
                               cwd=tmp_path)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]


PLAIN_HTTP = """\
apiVersion: nexus/v1
name: plainweb
providers:
  aws: {region: us-east-1}
environments: [dev]
compliance:
  standards: [{pci-dss: "4.0"}]
components:
  web: {type: service, image: ghcr.io/acme/web:1.4, public: true}
"""


def test_a_public_service_without_certificate_is_told_to_set_one(tmp_path):
    spec_path = tmp_path / "nexus.yaml"
    spec_path.write_text(PLAIN_HTTP, encoding="utf-8")
    completed = subprocess.run([NEXUS, "check", str(spec_path)], capture_output=True, text=True, timeout=600,
                               cwd=tmp_path)
    assert completed.returncode == 1, completed.stderr[-2000:]
    output = " ".join((completed.stdout + completed.stderr).split())
    assert "components.web: a public service without `certificate:` serves plain HTTP (" in output
    assert "set `certificate: <ACM certificate ARN>` on it" in output
