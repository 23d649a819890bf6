"""`nexus secrets list`: the README's example spec and commands, exactly as printed there, run by bash with the
venv's `nexus`; a bad spec exits 2 with its place."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from cdktf_app.secret_catalog import list_secrets
from cdktf_app.spec import load_spec_text

README_SPEC = """\
apiVersion: nexus/v1
name: shop
providers:
  aws: {region: eu-west-1}
compliance:
  suppressions:
    - check: CKV_AWS_117
      resource: jobs
      reason: jobs only calls Secrets Manager over its TLS endpoint with IAM; nothing it reaches lives in a VPC
components:
  db: {type: database}
  api: {type: service, image: "nginx:1.27", secrets: [signing_key, db_admin, partner_token],
        certificate: "arn:aws:acm:eu-west-1:123456789012:certificate/0b7c1d2e-3f40-4a5b-8c6d-7e8f9a0b1c2d"}
  jobs: {type: function, secrets: [signing_key]}
secrets:
  signing_key:                  # Nexus draws it in Secrets Manager and rotates it
    kind: generated
    from: aws-secrets-manager
    length: 48
    rotation: {days: 30}
  db_admin:                     # RDS makes and rotates db's master password
    kind: managed
    database: db
    rotation: {days: 30}
  partner_token:                # made by someone else; today's `from:` + `name:` form
    from: aws-secrets-manager
    name: shop/partner-token
  reporting:                    # short-lived database users from Vault
    kind: dynamic
    engine: database
    database: db
    role: reporting
    ttl: 1h
"""
README_LIST = """\
nexus secrets list nexus.yaml
"""
README_LIST_JSON = """\
nexus secrets list nexus.yaml --output json
"""


def _bash(script: str, folder: Path) -> subprocess.CompletedProcess:
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
                       COLUMNS="200")
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=folder, env=environment,
                          capture_output=True, text=True, timeout=120)


def test_the_readme_listing_shows_kind_store_rotation_and_readers(tmp_path):
    (tmp_path / "nexus.yaml").write_text(README_SPEC, encoding="utf-8")
    shown = _bash(README_LIST, tmp_path)
    assert shown.returncode == 0, shown.stderr
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
            for line in shown.stdout.splitlines() if line.startswith("│") and line.split("│")[1].strip()}
    assert rows["signing_key"] == ["generated", "aws-secrets-manager", "every 30 days", "api, jobs"]
    assert rows["db_admin"] == ["managed", "aws-secrets-manager (RDS master secret)", "every 30 days", "api"]
    assert rows["partner_token"] == ["external", "aws-secrets-manager", "by its owner", "api"]
    assert rows["reporting"] == ["dynamic", "vault", "lease 1h, renewable to 24h", "-"]


def test_the_readme_json_listing_is_for_machines(tmp_path):
    (tmp_path / "nexus.yaml").write_text(README_SPEC, encoding="utf-8")
    shown = _bash(README_LIST_JSON, tmp_path)
    assert shown.returncode == 0, shown.stderr
    listed = json.loads(shown.stdout)["secrets"]
    assert [(entry["name"], entry["kind"], entry["rotation_days"]) for entry in listed] == [
        ("signing_key", "generated", 30), ("db_admin", "managed", 30), ("partner_token", "external", None),
        ("reporting", "dynamic", None)]
    assert listed[0]["read_by"] == ["api", "jobs"] and listed[1]["stores"] == ["aws-secrets-manager (RDS master secret)"]


def test_a_managed_secret_without_rotation_says_the_clouds_default_and_where_no_secret_exists():
    spec = load_spec_text(README_SPEC.replace("providers:\n  aws: {region: eu-west-1}",
                                              "providers:\n  aws: {}\n  gcp: {project: shop-prod-1234}")
                          .replace("  db_admin:                     # RDS makes and rotates db's master password\n"
                                   "    kind: managed\n    database: db\n    rotation: {days: 30}\n",
                                   "  db_admin: {kind: managed, database: db}\n")).spec
    managed, = [entry for entry in list_secrets(spec) if entry.kind == "managed"]
    assert managed.stores == ("aws-secrets-manager (RDS master secret)", "none: Cloud SQL IAM sign-in")
    assert (managed.rotation, managed.rotation_days) == ("RDS default: every 7 days", 7)


def test_a_bad_spec_exits_2_with_its_place(tmp_path):
    (tmp_path / "nexus.yaml").write_text(README_SPEC.replace("length: 48", "length: 8"), encoding="utf-8")
    shown = _bash(README_LIST, tmp_path)
    assert shown.returncode == 2 and "Traceback" not in shown.stderr
    assert "nexus.yaml:19:" in shown.stderr and "secrets.signing_key.length" in shown.stderr


README_REFUSAL = ("nexus.yaml:19:5: secrets.signing_key.name: 'name' does not apply to a generated secret; a generated "
                  "secret takes kind, from, length, rotation, description")


def test_the_readme_refusal_is_what_nexus_prints(tmp_path):
    text = README_SPEC.replace("    from: aws-secrets-manager\n", "    from: aws-secrets-manager\n    name: shop/key\n", 1)
    (tmp_path / "nexus.yaml").write_text(text, encoding="utf-8")
    shown = _bash("nexus validate nexus.yaml", tmp_path)
    assert shown.returncode == 2 and README_REFUSAL in shown.stderr, shown.stderr
