"""The README's encryption examples for kept plans, the run history, rotation of every kind, the GCS state key and
OpenTofu's key provider, exactly as printed there, run by bash with the venv's `nexus` in a project whose files
were encrypted by the code that writes them."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from cdktf_app.crypto.envelope import decrypt_bytes, encrypt_bytes
from cdktf_app.crypto.key_provider import HEADER
from cdktf_app.crypto.keys import HYBRID, generate_identity, identity_file_text, load_identity
from cdktf_app.deploy.plan_files import keep_sealed_plan
from cdktf_app.runs import RunRecord, RunStore, runs_url
from cdktf_app.runs.sealed import opened
from cdktf_app.spec.loader import load_spec_text
from tests.helpers import AWS_SPEC_HEAD

README_KEPT_PLANS = """\
nexus keys decrypt -k nexus-key.txt plans/shop-dev-aws.tfplan.json.enc > plan.json
(umask 077 && nexus keys decrypt -k nexus-key.txt plans/shop-dev-aws.tfplan.enc > shop-dev-aws.tfplan)
"""
README_RUNS_SHOW = """\
nexus runs show "$RUN" -k nexus-key.txt
"""
README_ROTATION = """\
nexus keys rotate plans/*.enc .nexus/state-backups/*/*.tfstate.enc --runs . -k nexus-key.txt --to "$(nexus keys show -k new-key.txt)"
"""
README_GCS_STATE = """\
state:
  backend: gcs
  bucket: acme-tfstate
  kms_encryption_key: projects/acme/locations/europe-west1/keyRings/tfstate/cryptoKeys/state
"""
README_OPENTOFU = """\
      command = ["nexus", "key-provider", "--spec", "nexus.yaml"]
"""
README_KEY_PROVIDER = """\
echo null | nexus key-provider --spec nexus.yaml | sed -n 1p
"""
PLAN_JSON = json.dumps({"resource_changes": [{"address": "aws_db_instance.db", "after": {"password": "hunter2"}}]})


def _bash(script: str, folder: Path, **variables: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("NEXUS_PRIVATE_KEY", "NEXUS_RUNS_URL")} | variables
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_readme_examples_run(tmp_path):
    identity = generate_identity(HYBRID)
    (tmp_path / "nexus-key.txt").write_text(identity_file_text(identity))
    (tmp_path / "new-key.txt").write_text(identity_file_text(generate_identity(HYBRID)))
    (tmp_path / "nexus.yaml").write_text(AWS_SPEC_HEAD + f"encryption:\n  recipients: ['{identity.recipient}']\n")
    (tmp_path / "nexus.tfplan").write_bytes(b"PK\x03\x04 the plan")
    keep_sealed_plan(tmp_path / "nexus.tfplan", PLAN_JSON, tmp_path / "plans", "shop-dev-aws", [identity.recipient])
    run = RunRecord(command="deploy", spec_name="shop", spec_file="nexus.yaml", spec_sha256="a" * 64,
                    started_at=1.0, outcome="failed", error_class="validation",
                    error_evidence="Error: password hunter2 rejected")
    with RunStore(runs_url(tmp_path), [identity.recipient]) as store:
        store.save(run)
    backup = tmp_path / ".nexus" / "state-backups" / "shop-dev-aws" / "20260101T000000Z-serial3.tfstate.enc"
    backup.parent.mkdir(parents=True)
    backup.write_bytes(encrypt_bytes(b'{"serial": 3}', [identity.recipient], {"artifact": "state-backup"}))

    kept = _bash(README_KEPT_PLANS, tmp_path)
    assert kept.returncode == 0, kept.stderr
    assert (tmp_path / "plan.json").read_text() == PLAN_JSON
    assert (tmp_path / "shop-dev-aws.tfplan").read_bytes() == b"PK\x03\x04 the plan"
    assert (tmp_path / "shop-dev-aws.tfplan").stat().st_mode & 0o777 == 0o600

    shown = _bash(README_RUNS_SHOW, tmp_path, RUN=run.id)
    assert shown.returncode == 0, shown.stderr
    assert "Error: password hunter2 rejected" in shown.stdout

    rotated = _bash(README_ROTATION, tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    new = load_identity(tmp_path / "new-key.txt")
    for path in (tmp_path / "plans" / "shop-dev-aws.tfplan.enc", tmp_path / "plans" / "shop-dev-aws.tfplan.json.enc",
                 backup):
        assert decrypt_bytes(path.read_bytes(), new)[0]
    with RunStore(runs_url(tmp_path)) as store:
        assert opened(store.get(run.id), new).error_evidence == "Error: password hunter2 rejected"

    spec = load_spec_text(AWS_SPEC_HEAD + README_GCS_STATE).spec
    assert spec.state.kms_encryption_key.endswith("/cryptoKeys/state")

    command = json.loads(re.search(r"command = (\[.*\])", README_OPENTOFU).group(1))
    assert command == ["nexus", "key-provider", "--spec", "nexus.yaml"]  # what test_key_provider.py runs, as OpenTofu
    header = _bash(README_KEY_PROVIDER, tmp_path)
    assert header.returncode == 0, header.stderr
    assert json.loads(header.stdout) == HEADER
