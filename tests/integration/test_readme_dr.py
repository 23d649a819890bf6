"""The README's disaster-recovery example, exactly as printed there: the spec, then its commands run by bash with
the venv's `nexus` (validate, synth with the recovery-region stack and the runbook, cost of the additions, and the
located error of a target the mode cannot meet)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

README_SPEC = """\
apiVersion: nexus/v1
name: payments
providers:
  aws: {region: us-east-1, allowed_regions: [us-east-1, us-west-2]}
dr: {region: us-west-2, mode: warm_standby, rpo: 15m, rto: 30m}
components:
  db:   {type: database, engine: postgres}
  docs: {type: bucket}
  logs: {type: bucket, dr: {region: us-west-2, mode: backup}}   # its own dr wins over the spec's
"""
README_COMMANDS = """\
nexus validate nexus.yaml
nexus synth nexus.yaml          # payments-dev-aws, then payments-dev-aws-dr; the runbook in cdktf.out/nexus.json
nexus cost nexus.yaml           # the -dr stack's lines: replica, replication, transfer, backup vaults
sed 's/mode: warm_standby, rpo: 15m/mode: backup, rpo: 30m/' nexus.yaml > backup.yaml
nexus validate backup.yaml      # exit 2 with the two errors shown above
"""
README_ERRORS = """\
backup.yaml:5:39: dr.rpo: rpo 30m cannot be met by mode backup, whose best is 1h; mode pilot_light or warm_standby can
backup.yaml:5:49: dr.rto: rto 30m cannot be met by mode backup, whose best is 4h; mode warm_standby can
"""


def test_the_readme_example_runs_as_printed(tmp_path):
    (tmp_path / "nexus.yaml").write_text(README_SPEC, encoding="utf-8")
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                       COLUMNS="200")
    script = README_COMMANDS.replace("nexus validate backup.yaml", "nexus validate backup.yaml 2> errors.txt; "
                                     "echo \"validate exit $?\"")
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=environment, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stderr
    assert "validate exit 2" in result.stdout
    assert (tmp_path / "errors.txt").read_text().splitlines()[1:] == \
        [f"  {line}" for line in README_ERRORS.splitlines()]
    stacks = sorted(path.name for path in (tmp_path / "cdktf.out" / "stacks").iterdir())
    assert stacks == ["payments-dev-aws", "payments-dev-aws-dr"]
    runbook = json.loads((tmp_path / "cdktf.out" / "nexus.json").read_text())["disaster_recovery"]
    assert {(t["component"], t["mode"], t["rto"]) for t in runbook["targets"]} == {
        ("db", "warm_standby", "30m"), ("docs", "warm_standby", "30m"), ("logs", "backup", "4h")}
    assert "payments-dev-aws-dr" in result.stdout and "aws_s3_bucket_replication_configuration.docs_replication" \
        in result.stdout
