"""Saved plans when the spec has `encryption` (cdktf_app/deploy/plan_files.py), with real terraform against the
module's moto sandbox: `plan --plan-dir` keeps the plan and its JSON only encrypted to the spec's recipient;
a deploy keeps only ciphertext while a person is asked, opens the plan to a 0600 file for `apply` alone, and
leaves no plaintext after a success, a Ctrl-C during apply, or what a killed run left behind."""
from __future__ import annotations

import json
import stat
import zipfile
from functools import partial

import pytest

from cdktf_app.crypto.envelope import decrypt_bytes
from cdktf_app.crypto.keys import HYBRID, generate_identity
from cdktf_app.deploy import Reporter, run
from cdktf_app.healing import RetryPolicy
from cdktf_app.runs import RunStore, runs_url
from cdktf_app.runs.sealed import opened, sealed_columns
from tests.helpers import sandbox_aws as aws
from tests.helpers import sandbox_deploy_options

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

SPEC = """\
apiVersion: nexus/v1
name: sealed
providers:
  aws:
    region: eu-west-1
tags:
  owner: {owner}
components:
  docs:
    type: document_store
    encrypted: false
    point_in_time_recovery: false
    deletion_protection: false
encryption:
  recipients: ['{recipient}']
"""
STACK = "sealed-dev-aws"
REASON = "sandbox test: the gate has its own test"


@pytest.fixture(scope="module")
def identity():
    return generate_identity(HYBRID)


@pytest.fixture(scope="module")
def project(tmp_path_factory, identity):
    directory = tmp_path_factory.mktemp("sealed")
    (directory / "nexus.yaml").write_text(SPEC.format(owner="team-s", recipient=identity.recipient), encoding="utf-8")
    return directory


options = partial(sandbox_deploy_options, override_gate=True, reason=REASON,
                  retry=RetryPolicy(max_attempts=2, base_seconds=1.0, max_backoff_seconds=2.0, max_total_seconds=60))


def private_plans(project) -> list:
    folder = project / ".nexus" / "plans" / STACK
    return sorted(path.name for path in folder.iterdir()) if folder.is_dir() else []


def stack_dir(project):
    return project / "cdktf.out" / "stacks" / STACK


class ApplyWatcher(Reporter):
    """Looks at the private plan folder when apply starts; stops the run there when told to."""

    def __init__(self, project, stop: bool = False):
        self.project, self.stop, self.seen = project, stop, None

    def phase(self, stack, phase):
        if phase == "apply":
            plain = self.project / ".nexus" / "plans" / STACK / "nexus.tfplan"
            self.seen = (private_plans(self.project), stat.S_IMODE(plain.stat().st_mode), zipfile.is_zipfile(plain))
            if self.stop:
                raise KeyboardInterrupt


def test_plan_dir_keeps_the_plan_and_its_json_only_encrypted(project, sandbox, identity, tmp_path):
    kept = tmp_path / "plans"
    planned = run(project / "nexus.yaml", options(sandbox.url, command="plan", plan_dir=kept))
    assert planned.outcome == "planned" and planned.added > 0
    assert sorted(path.name for path in kept.iterdir()) == [f"{STACK}.tfplan.enc", f"{STACK}.tfplan.json.enc"]
    assert all(stat.S_IMODE(path.stat().st_mode) == 0o600 for path in kept.iterdir())
    plan_json, metadata = decrypt_bytes((kept / f"{STACK}.tfplan.json.enc").read_bytes(), identity)
    assert metadata == {"artifact": "plan-json", "stack": STACK}
    assert "aws_dynamodb_table.docs" in {change["address"] for change in json.loads(plan_json)["resource_changes"]}
    assert b"sealed-dev-docs" not in (kept / f"{STACK}.tfplan.json.enc").read_bytes()
    plan, _ = decrypt_bytes((kept / f"{STACK}.tfplan.enc").read_bytes(), identity)
    (tmp_path / "opened.tfplan").write_bytes(plan)
    assert zipfile.is_zipfile(tmp_path / "opened.tfplan")  # terraform's own plan file, whole
    assert private_plans(project) == [] and not list(stack_dir(project).glob("*.tfplan*"))


def test_a_deploy_waits_for_approval_on_ciphertext_and_applies_the_opened_plan(project, sandbox, identity):
    # what a run killed with -9 could leave: a plaintext plan and the gate's plan JSON
    folder = project / ".nexus" / "plans" / STACK
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nexus.tfplan").write_bytes(b"stale plan of a killed run")
    (stack_dir(project) / ".nexus-plan.json").write_text('{"stale": true}')
    asked = []

    def confirm(question):
        asked.append((private_plans(project), sorted(path.name for path in stack_dir(project).iterdir()
                                                     if "plan" in path.name)))
        return True

    watcher = ApplyWatcher(project)
    deployed = run(project / "nexus.yaml", options(sandbox.url, auto_approve=False, confirm=confirm), watcher)
    assert deployed.outcome == "succeeded" and deployed.added > 0
    assert asked == [(["nexus.tfplan.enc"], [])]  # while a person decides: ciphertext only, nothing stale
    assert watcher.seen == (["nexus.tfplan", "nexus.tfplan.enc"], 0o600, True)
    assert private_plans(project) == []
    assert aws("dynamodb", sandbox.url).describe_table(TableName="sealed-dev-docs")["Table"]["TableStatus"]
    with RunStore(runs_url(project)) as store:  # the run's override reason is stored encrypted too
        record = store.get(deployed.id)
    assert sealed_columns(record) == ["override_reason"] and opened(record, identity).override_reason == REASON


def test_ctrl_c_during_apply_leaves_no_plaintext_plan(project, sandbox):
    spec = project / "nexus.yaml"
    spec.write_text(spec.read_text().replace("owner: team-s", "owner: team-t"), encoding="utf-8")
    watcher = ApplyWatcher(project, stop=True)
    with pytest.raises(KeyboardInterrupt):
        run(spec, options(sandbox.url), watcher)
    assert watcher.seen[0] == ["nexus.tfplan", "nexus.tfplan.enc"]
    assert private_plans(project) == [] and not list(stack_dir(project).glob("*plan*"))
