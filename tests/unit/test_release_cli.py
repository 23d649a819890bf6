"""`nexus release` refuses what it cannot release before any terraform runs: a located usage error (exit 2) for a
component that is not a stepped service, a missing --env or --image, nothing to promote; exit 4 when the
rollback alarms of a cloud cannot be read (a check that cannot run is never a pass)."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from tests.helpers import write_spec

SPEC = """\
apiVersion: nexus/v1
name: shop
providers:
  aws: {region: us-east-1}
  gcp: {project: acme-shop-1}
environments: [dev]
components:
  web:
    type: service
    provider: aws
    image: nginx:1.27
    release: {strategy: canary}
  plain: {type: service, provider: aws, image: nginx:1.27}
  rolled: {type: service, provider: aws, image: nginx:1.27, release: {strategy: rolling}}
  watched:
    type: service
    image: nginx:1.27
    release: {strategy: canary, rollback_on: {error_rate: 5%}}
"""

CASES = [
    (SPEC, ["--component", "nope", "--image", "x:2"], 2, "the spec has no such component; services: web, plain"),
    (SPEC, ["--component", "plain", "--image", "x:2"], 2, "only a service with release.strategy canary or blue_green"),
    (SPEC, ["--component", "rolled", "--image", "x:2"], 2, "set components.rolled.image and run nexus deploy"),
    (SPEC, ["--component", "web"], 2, "--image TAG is needed"),
    (SPEC, ["--component", "web", "--promote"], 2, "no release is under way in shop-dev-aws"),
    (SPEC, ["--component", "web", "--abort"], 2, "no release is under way"),
    (SPEC.replace("[dev]", "[dev, prod]"), ["--component", "web", "--image", "x:2"], 2, "--env: one of dev, prod"),
    (SPEC, ["--component", "web", "--image", "x:2", "--env", "qa"], 2, "--env qa: not an environment"),
    (SPEC, ["--component", "watched", "--image", "x:2"], 4, "rollback_on on gcp: nexus release reads CloudWatch"),
]


@pytest.mark.parametrize("spec, arguments, code, fragment", CASES, ids=[case[3][:40] for case in CASES])
def test_a_release_that_cannot_run_is_refused_before_terraform(tmp_path, spec, arguments, code, fragment):
    path = write_spec(tmp_path, spec)
    result = CliRunner().invoke(cli, ["release", str(path), *arguments])
    assert result.exit_code == code, result.output
    assert fragment in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / ".nexus" / "runs.db").exists()  # no run started
