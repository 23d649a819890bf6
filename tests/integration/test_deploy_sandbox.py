"""Deploy and destroy against a real moto server with real terraform: counts, phases, history, the destructive
flag, remote state in S3, and fault injection on loopback (lock held, throttling, a silent endpoint, the
sandbox killed mid-apply). One sandbox and one project per module; each fault test is bounded."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.deploy import DeployFailed, Reporter, run
from cdktf_app.healing import RetryPolicy
from cdktf_app.runs import RunStore, runs_url
from cdktf_app.sandbox import start_sandbox, stop_sandbox
from tests.helpers import sandbox_aws as aws
from tests.helpers import sandbox_deploy_options

pytestmark = pytest.mark.terraform

FAST_SPEC = """\
apiVersion: nexus/v1
name: fast
providers:
  aws:
    region: eu-west-1
tags:
  owner: {owner}
components:
  net:
    type: network
    zones: 1
    nat: false
    flow_logs: false
  docs:
    type: document_store
    encrypted: false
    point_in_time_recovery: false
    deletion_protection: false
"""
STACK = "fast-dev-aws"
QUICK = RetryPolicy(max_attempts=3, base_seconds=1.0, max_backoff_seconds=4.0, max_total_seconds=120)


options = partial(sandbox_deploy_options, retry=QUICK, override_gate=True,
                  reason="sandbox test: the gate has its own test")


def state_of(project: Path) -> dict:
    return json.loads((project / "cdktf.out" / "stacks" / STACK / f"terraform.{STACK}.sandbox.tfstate").read_text())


class PhaseWatcher(Reporter):
    def __init__(self, on_phase=None):
        self.on_phase, self.retries = on_phase, []

    def phase(self, stack, phase):
        if self.on_phase:
            self.on_phase(phase)

    def retry(self, stack, attempt, wait):
        self.retries.append((attempt.classification.failure_class, wait))


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    directory = tmp_path_factory.mktemp("fast")
    (directory / "nexus.yaml").write_text(FAST_SPEC.format(owner="team-a"), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def deployed(project, sandbox):
    """The first deploy of the module; later tests change this deployment."""
    return run(project / "nexus.yaml", options(sandbox.url))


def test_deploy_applies_records_counts_phases_and_verifies_in_the_sandbox(deployed, project, sandbox):
    resources = state_of(project)["resources"]
    managed = [r for r in resources if r["mode"] == "managed"]
    assert deployed.outcome == "succeeded" and deployed.sandbox
    assert deployed.added == len(managed) > 5 and deployed.changed == deployed.destroyed == 0
    assert [(p.phase, p.ok) for p in deployed.phases] == [("init", True), ("plan", True), ("show", True),
                                                          ("gate", True), ("apply", True)]
    assert all(p.seconds > 0 for p in deployed.phases if p.phase != "gate")
    assert deployed.gate_overridden and deployed.override_reason.startswith("sandbox test")
    assert deployed.cost_delta is not None and deployed.cost_delta > 0  # priced by `nexus cost`
    table = aws("dynamodb", sandbox.url).describe_table(TableName="fast-dev-docs")["Table"]
    tags = aws("dynamodb", sandbox.url).list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]
    assert {"Key": "owner", "Value": "team-a"} in tags and {"Key": "nexus:spec", "Value": "fast"} in tags
    vpcs = aws("ec2", sandbox.url).describe_vpcs(Filters=[{"Name": "tag:nexus:spec", "Values": ["fast"]}])["Vpcs"]
    assert len(vpcs) == 1 and vpcs[0]["CidrBlock"] == "10.0.0.0/16"
    log = Path(deployed.log_file).read_text()
    assert "$ terraform apply" in log and "Apply complete!" in log and '"resource_changes"' not in log


def test_runs_list_and_show_print_the_recorded_run(deployed, project):
    runner = CliRunner()
    listed = runner.invoke(cli, ["runs", "list", "--project", str(project), "--output", "json"])
    assert listed.exit_code == 0, listed.output
    assert deployed.id in [entry["id"] for entry in json.loads(listed.output)]
    shown = runner.invoke(cli, ["runs", "show", deployed.id[:6], "--project", str(project), "--output", "json"])
    record = json.loads(shown.output)
    assert record["added"] == deployed.added and record["outcome"] == "succeeded"
    assert [phase["phase"] for phase in record["phases"]] == ["init", "plan", "show", "gate", "apply"]
    table = runner.invoke(cli, ["runs", "show", deployed.id, "--project", str(project)])
    assert table.exit_code == 0 and "gate overridden" in table.output and "apply" in table.output


def test_an_unchanged_spec_plans_no_changes(deployed, project, sandbox):
    planned = run(project / "nexus.yaml", options(sandbox.url, command="plan"))
    assert planned.outcome == "planned" and (planned.added, planned.changed, planned.destroyed) == (0, 0, 0)


def test_a_destructive_plan_needs_allow_destroy_in_non_interactive_use(deployed, project, sandbox):
    spec = project / "nexus.yaml"
    original = spec.read_text()
    spec.write_text(original.split("  docs:")[0], encoding="utf-8")
    try:
        from cdktf_app.errors import UsageError

        with pytest.raises(UsageError, match=r"deletes or replaces .*aws_dynamodb_table.docs.*--allow-destroy"):
            run(spec, options(sandbox.url))
        questions = []  # a person at a terminal is asked, with the deletions named, and may say no
        with pytest.raises(UsageError, match="not applied \\(declined\\)"):
            run(spec, options(sandbox.url, auto_approve=False, confirm=lambda q: questions.append(q) or False))
        assert "DELETES or REPLACES aws_dynamodb_table.docs" in questions[0] and "0 to add" in questions[0]
    finally:
        spec.write_text(original, encoding="utf-8")
    assert aws("dynamodb", sandbox.url).describe_table(TableName="fast-dev-docs")["Table"]["TableStatus"]


def hold_state_lock(state_file: Path, seconds: float) -> subprocess.Popen:
    """Another process holding terraform's local state lock (a POSIX record lock on the state file)."""
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, sys, time\n"
        f"handle = open({str(state_file)!r}, 'r+')\n"
        "fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)\n"
        "print('locked', flush=True)\n"
        f"time.sleep({seconds})\n")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    return holder


def test_a_state_lock_held_by_another_process_heals_after_backoff(deployed, project, sandbox):
    spec = project / "nexus.yaml"
    spec.write_text(FAST_SPEC.format(owner="team-b"), encoding="utf-8")
    state_file = project / "cdktf.out" / "stacks" / STACK / f"terraform.{STACK}.sandbox.tfstate"
    # Held long enough that the first plan meets it even on a loaded machine; backoff 4 s, 8 s, 8 s outlasts it.
    holder = hold_state_lock(state_file, seconds=12)
    watcher = PhaseWatcher()
    try:
        started = time.monotonic()
        record = run(spec, options(sandbox.url, retry=RetryPolicy(max_attempts=5, base_seconds=4,
                                                                   max_backoff_seconds=8)), watcher)
    finally:
        holder.kill()
        holder.wait()
    assert time.monotonic() - started < 120
    assert record.outcome == "succeeded" and record.retries >= 1
    assert watcher.retries[0][0] == "lock-contention"
    assert record.changed >= 2 and record.added == record.destroyed == 0  # tags updated in place
    assert record.cost_delta == 0.0  # priced from the plan that succeeded, though the first attempt's failed
    assert any(p.phase == "plan" and not p.ok and p.attempt == 1 for p in record.phases)
    assert any(p.phase == "apply" and p.ok and p.attempt > 1 for p in record.phases)
    assert state_of(project)["serial"] > 1


class ThrottlingProxy(ThreadingHTTPServer):
    """A small proxy in front of moto: the first `budget` EC2 CreateTags calls get RequestLimitExceeded; with
    `lose`, the first call whose body holds it is carried out and its answer cut off half-way (a lost response)."""

    def __init__(self, upstream: str, budget: int, lose: bytes | None = None):
        self.upstream, self.budget, self.throttled, self.lose, self.lost = upstream, budget, 0, lose, 0
        super().__init__(("127.0.0.1", 0), ThrottleHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class ThrottleHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _forward(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        server: ThrottlingProxy = self.server
        if b"Action=CreateTags" in body and server.throttled < server.budget:
            server.throttled += 1
            answer = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error><Code>"
                      b"RequestLimitExceeded</Code><Message>Request limit exceeded.</Message></Error></Errors>"
                      b"<RequestID>nexus-proxy</RequestID></Response>")
            self.send_response(503)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)
            return
        request = urllib.request.Request(server.upstream + self.path, data=body or None, method=self.command,
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
        try:
            with urllib.request.urlopen(request, timeout=30) as upstream:
                status, headers, payload = upstream.status, upstream.headers, upstream.read()
        except urllib.error.HTTPError as error:
            status, headers, payload = error.code, error.headers, error.read()
        self.send_response(status)
        for key, value in headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if server.lose and server.lose in body and not server.lost:
            server.lost += 1
            self.wfile.write(payload[:len(payload) // 2])
            self.close_connection = True
            return
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _forward


def test_throttling_from_a_proxy_is_classified_and_healed(deployed, project, sandbox):
    proxy = ThrottlingProxy(sandbox.url, budget=2)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    spec = project / "nexus.yaml"
    spec.write_text(FAST_SPEC.format(owner="team-c"), encoding="utf-8")
    watcher = PhaseWatcher()
    try:
        record = run(spec, options(proxy.url), watcher)
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert proxy.throttled == 2
    assert record.outcome == "succeeded" and record.retries >= 1
    assert watcher.retries[0][0] == "throttling"
    vpc = aws("ec2", sandbox.url).describe_vpcs(Filters=[{"Name": "tag:nexus:spec", "Values": ["fast"]}])["Vpcs"][0]
    assert {"Key": "owner", "Value": "team-c"} in vpc["Tags"]


def test_an_endpoint_that_never_answers_is_stopped_by_the_watchdog(deployed, project, sandbox):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)  # accepts connections (the kernel does) and never answers
    serial_before = state_of(project)["serial"]
    store = RunStore(runs_url(project))
    started = time.monotonic()
    try:
        with pytest.raises(DeployFailed) as failed:
            run(project / "nexus.yaml", options(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=25))
    finally:
        silent.close()
    assert time.monotonic() - started < 90
    assert failed.value.classification.failure_class == "watchdog-timeout"
    assert failed.value.attempts == 1  # a stalled call is not retried
    recorded = store.get(failed.value.run_id)
    assert recorded.outcome == "failed" and recorded.error_class == "watchdog-timeout"
    assert "did not finish in 25" in recorded.error_evidence
    assert state_of(project)["serial"] == serial_before  # state intact
    store.close()


def test_the_sandbox_killed_mid_apply_ends_in_a_classified_failure_with_state_intact(tmp_path):
    doomed = start_sandbox(tmp_path / "doomed", record=False)
    (tmp_path / "nexus.yaml").write_text(FAST_SPEC.format(owner="team-k"), encoding="utf-8")
    killer = []

    def kill_soon(phase):
        if phase == "apply" and not killer:
            killer.append(threading.Timer(4.0, stop_sandbox, args=(tmp_path / "doomed", doomed)))
            killer[0].start()
    started = time.monotonic()
    try:
        with pytest.raises(DeployFailed) as failed:
            run(tmp_path / "nexus.yaml", options(doomed.url, retry=RetryPolicy(max_attempts=2, base_seconds=1)),
                PhaseWatcher(kill_soon))
    finally:
        stop_sandbox(tmp_path / "doomed", doomed)
    assert time.monotonic() - started < 150
    assert failed.value.classification.failure_class == "connection"
    assert failed.value.classification.kind == "transient" and failed.value.attempts == 2
    state = json.loads((tmp_path / "cdktf.out" / "stacks" / STACK / f"terraform.{STACK}.sandbox.tfstate").read_text())
    assert state["serial"] >= 1 and isinstance(state["resources"], list)  # readable, what was created is kept
    record = RunStore(runs_url(tmp_path)).get(failed.value.run_id)
    assert record.outcome == "failed" and record.error_class == "connection" and record.retries == 1
    assert record.added == len([r for r in state["resources"] if r["mode"] == "managed"])


def test_an_unreadable_state_after_a_failed_apply_is_restored_from_the_last_backup(deployed, project):
    from cdktf_app.deploy.state import latest_backup, verify_state
    from cdktf_app.tools.terraform import ensure_cli_config

    stack_dir = project / "cdktf.out" / "stacks" / STACK
    state_file = stack_dir / f"terraform.{STACK}.sandbox.tfstate"
    good = json.loads(state_file.read_text())
    backup = latest_backup(stack_dir, project / ".nexus", STACK)
    assert backup is not None and json.loads(backup.read_text())["lineage"] == good["lineage"]
    state_file.write_text(state_file.read_text()[:200])  # what a crash mid-write would leave
    check = verify_state(stack_dir, project / ".nexus", STACK, ensure_cli_config(project / ".nexus"), None, 60)
    assert check.restored_from == backup and check.readable
    restored = json.loads(state_file.read_text())
    assert restored["lineage"] == good["lineage"] and restored["resources"] == json.loads(backup.read_text())[
        "resources"]
    state_file.write_text(json.dumps(good))  # back to the newest state for the tests that follow


def test_with_encryption_in_the_spec_the_backup_before_an_apply_is_encrypted(deployed, project, sandbox,
                                                                              monkeypatch):
    from cdktf_app.crypto.envelope import decrypt_bytes
    from cdktf_app.crypto.keys import generate_identity
    from cdktf_app.deploy.state import latest_backup

    identity = generate_identity()
    spec = project / "nexus.yaml"
    original = spec.read_text()
    spec.write_text(FAST_SPEC.format(owner="team-b") + f"encryption:\n  recipients: [{identity.recipient}]\n")
    try:
        changed = run(spec, options(sandbox.url))
    finally:
        spec.write_text(original, encoding="utf-8")
    assert changed.outcome == "succeeded" and changed.changed > 0
    backup = latest_backup(project / "cdktf.out" / "stacks" / STACK, project / ".nexus", STACK)
    assert backup.name.endswith(".tfstate.enc") and b'"lineage"' not in backup.read_bytes()
    state, metadata = decrypt_bytes(backup.read_bytes(), identity)
    assert json.loads(state)["lineage"] == state_of(project)["lineage"] and metadata["stack"] == STACK


def test_a_destroy_whose_delete_answer_was_lost_counts_it_as_gone_and_empties_the_state(tmp_path, sandbox):
    """The VPC's delete reaches the cloud but its answer is cut off: the run heals, and the retry finds the VPC
    gone while the state still lists it. That resource is counted as already gone and the state is emptied (the
    retry applies its refreshed state), not left holding a VPC that no longer exists."""
    (tmp_path / "nexus.yaml").write_text(FAST_SPEC.format(owner="team-l").replace("name: fast", "name: lossy"),
                                         encoding="utf-8")
    run(tmp_path / "nexus.yaml", options(sandbox.url))
    stack_state = tmp_path / "cdktf.out" / "stacks" / "lossy-dev-aws" / "terraform.lossy-dev-aws.sandbox.tfstate"
    held = len([r for r in json.loads(stack_state.read_text())["resources"] if r["mode"] == "managed"])
    proxy = ThrottlingProxy(sandbox.url, budget=0, lose=b"Action=DeleteVpc")
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        record = run(tmp_path / "nexus.yaml", options(proxy.url, command="destroy", allow_destroy=True))
    finally:
        proxy.shutdown()
        proxy.server_close()
    assert proxy.lost == 1 and record.outcome == "succeeded" and record.retries >= 1
    assert record.already_gone == 1 and record.destroyed == held - 1
    assert [r for r in json.loads(stack_state.read_text())["resources"] if r["mode"] == "managed"] == []
    assert not aws("ec2", sandbox.url).describe_vpcs(Filters=[{"Name": "tag:nexus:spec", "Values": ["lossy"]}])["Vpcs"]


def test_destroy_removes_everything_and_records_the_count(deployed, project, sandbox):
    spec = project / "nexus.yaml"
    spec.write_text(FAST_SPEC.format(owner="team-c"), encoding="utf-8")
    resources = len([r for r in state_of(project)["resources"] if r["mode"] == "managed"])
    destroyed = run(spec, options(sandbox.url, command="destroy", allow_destroy=True))
    # already_gone: a delete whose answer a loaded sandbox lost, healed by a retry (the test above)
    assert destroyed.outcome == "succeeded" and destroyed.destroyed + destroyed.already_gone == resources
    assert destroyed.added == destroyed.changed == 0
    assert destroyed.cost_delta == pytest.approx(-deployed.cost_delta)
    assert [r for r in state_of(project)["resources"] if r["mode"] == "managed"] == []
    with pytest.raises(aws("dynamodb", sandbox.url).exceptions.ResourceNotFoundException):
        aws("dynamodb", sandbox.url).describe_table(TableName="fast-dev-docs")
    backups = sorted((project / ".nexus" / "sandbox-state-backups" / STACK).glob("*.tfstate"))
    assert backups and json.loads(backups[-1].read_text())["resources"]  # the last good state before destroy


def test_the_gate_stops_the_apply_and_the_cli_exits_3(tmp_path, sandbox):
    spec = FAST_SPEC.format(owner="team-g") + "compliance:\n  gate: low\n"
    (tmp_path / "nexus.yaml").write_text(spec.replace("components:", "environments: [gated]\ncomponents:"),
                                         encoding="utf-8")
    (tmp_path / ".nexus").mkdir()
    (tmp_path / ".nexus" / "sandbox.json").write_text(json.dumps({
        "pid": sandbox.pid, "port": sandbox.port, "started_at": sandbox.started_at, "log_file": sandbox.log_file}))
    result = CliRunner().invoke(cli, ["deploy", str(tmp_path / "nexus.yaml"), "--sandbox", "--auto-approve"])
    assert result.exit_code == 3, result.output
    assert "the gate stopped fast-gated-aws" in result.output and "--override-gate --reason" in result.output
    record = RunStore(runs_url(tmp_path)).list(limit=1)[0]
    assert record.outcome == "blocked" and record.error_class == "gate" and record.gate_findings > 0
    assert [p.phase for p in record.phases] == ["init", "plan", "show", "gate"] and not record.phases[-1].ok
    assert record.added == 0
    tables = aws("dynamodb", sandbox.url).list_tables()["TableNames"]
    assert "fast-gated-docs" not in tables  # nothing was applied
