"""A sandbox run touches nothing real: every state backend becomes local (S3 goes to the sandbox), no request
leaves the machine (a recording proxy on loopback is the only way out), and what terraform writes is private."""
from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
import threading
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cdktf_app.deploy import Reporter, run
from cdktf_app.errors import UsageError
from cdktf_app.healing import RetryPolicy
from cdktf_app.sandbox import seed_secrets
from cdktf_app.sandbox.server import answers
from cdktf_app.spec import load_spec
from tests.helpers import sandbox_deploy_options

pytestmark = pytest.mark.terraform

SPEC = """\
apiVersion: nexus/v1
name: safe
providers:
  aws:
    region: eu-west-1
tags:
  owner: {owner}
components:
  jobs:
    type: queue
{state}"""
STACK = "safe-dev-aws"
GCS = "state:\n  backend: gcs\n  bucket: acme-real-tfstate\n"
AZURERM = ("state:\n  backend: azurerm\n  resource_group_name: tfstate\n  storage_account_name: acmerealstate\n"
           "  container_name: tfstate\n")


class RecordingProxy(ThreadingHTTPServer):
    """An HTTP(S) proxy on loopback that forwards nothing and remembers every request it was asked to make."""

    def __init__(self):
        self.seen: list[str] = []
        super().__init__(("127.0.0.1", 0), RecordingHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class RecordingHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _refuse(self):
        self.server.seen.append(f"{self.command} {self.path}")
        self.send_response(403)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_CONNECT = do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _refuse


@pytest.fixture
def only_the_proxy_leads_out(monkeypatch):
    """Any request terraform (or Nexus) makes through HTTP(S)_PROXY goes to the recording proxy. Fake cloud
    credentials are set so that the GCS and azurerm backends would get as far as a request."""
    proxy = RecordingProxy()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, proxy.url)
    for name in ("NO_PROXY", "no_proxy"):  # loopback must bypass the proxy by design, not by this setting
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", "ya29.not-a-real-token")
    monkeypatch.setenv("ARM_ACCESS_KEY", base64.b64encode(b"not-a-real-key" * 4).decode())
    yield proxy
    proxy.shutdown()
    proxy.server_close()


# A sandbox under load can drop a keep-alive connection mid-apply; the deploy's own healing retries it once.
TRANSIENT_ONCE = RetryPolicy(max_attempts=2, base_seconds=1.0, max_backoff_seconds=2.0, max_total_seconds=120)


options = partial(sandbox_deploy_options, retry=TRANSIENT_ONCE, override_gate=True, reason="sandbox safety test")


def write_spec(project: Path, state: str, owner: str = "team-a") -> Path:
    project.mkdir(exist_ok=True)
    spec = project / "nexus.yaml"
    spec.write_text(SPEC.format(owner=owner, state=state), encoding="utf-8")
    return spec


def backend_used(stack_dir: Path) -> dict:
    """The backend terraform initialized the stack with, as it recorded it."""
    return json.loads((stack_dir / ".terraform" / "terraform.tfstate").read_text())["backend"]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class PlanFileModes(Reporter):
    """The mode of the saved plan while it exists (terraform show reads it)."""

    def __init__(self, stack_dir: Path):
        self.stack_dir, self.modes = stack_dir, []

    def phase(self, stack, phase):
        if phase == "show":
            self.modes.append(mode(self.stack_dir / "nexus.tfplan"))


def test_a_gcs_backend_becomes_local_state_in_the_sandbox_and_nothing_leaves_the_machine(
        tmp_path, sandbox, only_the_proxy_leads_out):
    spec = write_spec(tmp_path / "gcs", GCS)
    stack_dir = tmp_path / "gcs" / "cdktf.out" / "stacks" / STACK
    watcher = PlanFileModes(stack_dir)
    deployed = run(spec, options(sandbox.url), watcher)
    assert only_the_proxy_leads_out.seen == []
    assert deployed.outcome == "succeeded" and deployed.added >= 1
    used = backend_used(stack_dir)
    assert used["type"] == "local", used
    state_file = stack_dir / f"terraform.{STACK}.sandbox.tfstate"
    assert used["config"]["path"] == state_file.name
    assert json.loads(state_file.read_text())["resources"]
    # What terraform and Nexus wrote is the owner's only: state, the saved plan, the run's log and its folder.
    assert mode(state_file) == 0o600 and watcher.modes and set(watcher.modes) == {0o600}   # one plan per attempt
    log = Path(deployed.log_file)
    assert mode(log) == 0o600 and mode(log.parent) == 0o700 and mode(stack_dir / ".terraform") == 0o700
    # A second apply: terraform's own backup of the state and Nexus' backup are private too.
    changed = run(write_spec(tmp_path / "gcs", GCS, owner="team-b"), options(sandbox.url))
    assert changed.outcome == "succeeded" and changed.changed >= 1
    assert only_the_proxy_leads_out.seen == []
    backups = sorted((tmp_path / "gcs" / ".nexus" / "sandbox-state-backups" / STACK).glob("*.tfstate"))
    assert backups and mode(backups[-1]) == 0o600 and mode(backups[-1].parent) == 0o700
    assert mode(state_file) == 0o600 and mode(state_file.with_name(state_file.name + ".backup")) == 0o600


def test_an_azurerm_backend_becomes_local_state_in_the_sandbox(tmp_path, sandbox, only_the_proxy_leads_out):
    spec = write_spec(tmp_path / "azure", AZURERM)
    planned = run(spec, options(sandbox.url, command="plan"))
    assert only_the_proxy_leads_out.seen == []
    assert planned.outcome == "planned" and planned.added >= 1
    assert backend_used(tmp_path / "azure" / "cdktf.out" / "stacks" / STACK)["type"] == "local"


def test_state_left_at_0644_by_an_older_run_is_made_private(tmp_path, sandbox):
    spec = write_spec(tmp_path / "old", "")
    stack_dir = tmp_path / "old" / "cdktf.out" / "stacks" / STACK
    stack_dir.mkdir(parents=True)
    state_file = stack_dir / f"terraform.{STACK}.tfstate"
    state_file.write_text("")
    state_file.chmod(0o644)
    planned = run(spec, options(sandbox.url, command="plan"))
    assert planned.outcome == "planned" and mode(state_file) == 0o600


def test_a_sandbox_run_of_a_spec_without_aws_stacks_is_refused(tmp_path, sandbox):
    project = tmp_path / "gcp"
    project.mkdir()
    (project / "nexus.yaml").write_text(
        "apiVersion: nexus/v1\nname: gonly\nproviders:\n  gcp:\n    project: acme-prod\n    region: europe-west1\n"
        "components:\n  jobs:\n    type: queue\n", encoding="utf-8")
    with pytest.raises(UsageError) as refused:
        run(project / "nexus.yaml", options(sandbox.url, command="plan"))
    assert "AWS only" in str(refused.value) and "gonly-dev-gcp" in str(refused.value)


def test_an_override_file_that_sets_a_real_backend_is_refused_in_the_sandbox(tmp_path, sandbox,
                                                                             only_the_proxy_leads_out):
    spec = write_spec(tmp_path / "stray", "")
    stack_dir = tmp_path / "stray" / "cdktf.out" / "stacks" / STACK
    stack_dir.mkdir(parents=True)
    (stack_dir / "zz_override.tf.json").write_text(json.dumps(
        {"terraform": {"backend": {"gcs": {"bucket": "acme-real-tfstate"}}}}), encoding="utf-8")
    with pytest.raises(UsageError) as refused:
        run(spec, options(sandbox.url, command="plan"))
    assert "sets a gcs backend" in str(refused.value) and "never uses real state" in str(refused.value)
    assert only_the_proxy_leads_out.seen == [] and not (stack_dir / ".terraform").exists()


def test_nexus_own_calls_to_the_sandbox_never_go_through_a_proxy(tmp_path, sandbox, only_the_proxy_leads_out):
    spec = write_spec(tmp_path / "direct", "")
    spec.write_text(spec.read_text() + "secrets:\n  api_key:\n    from: aws-secrets-manager\n"
                    "    name: direct/api-key\n", encoding="utf-8")
    assert answers(sandbox.url, timeout=30)  # data.json lists all of moto: slow on a loaded machine
    assert seed_secrets(sandbox.url, load_spec(spec)) == ["direct/api-key"]
    assert only_the_proxy_leads_out.seen == []


REAL_STATE = json.dumps({
    "version": 4, "terraform_version": "1.11.0", "serial": 7, "lineage": "real-lineage-not-the-sandbox",
    "outputs": {}, "resources": [{
        "mode": "managed", "type": "aws_sqs_queue", "name": "sentinel",
        "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
        "instances": [{"schema_version": 0, "attributes": {
            "id": "https://sqs.eu-west-1.amazonaws.com/123456789012/real-sentinel", "name": "real-sentinel"}}]}],
}, indent=2) + "\n"


def test_sandbox_runs_keep_their_own_state_and_never_touch_the_real_local_state(tmp_path):
    """A stack folder initialized for real, with real local state: deploy --sandbox and destroy --sandbox use
    state (and backups) of their own, switch backends without a migration, and leave the real file as it was."""
    from cdktf_app.deploy.state import latest_backup
    from cdktf_app.sandbox import remove_provider_override
    from cdktf_app.tools.terraform import ensure_cli_config, run_terraform

    nexus = [str(Path(sys.executable).with_name("nexus"))]
    (tmp_path / "nexus.yaml").write_text(SPEC.format(owner="team-a", state="").replace("name: safe", "name: twin"),
                                         encoding="utf-8")
    stack = "twin-dev-aws"
    stack_dir = tmp_path / "cdktf.out" / "stacks" / stack
    assert subprocess.run([*nexus, "synth", "nexus.yaml"], cwd=tmp_path, capture_output=True).returncode == 0
    assert run_terraform(stack_dir, "init", "-input=false", "-no-color",
                         cli_config=ensure_cli_config(tmp_path / ".nexus")).ok  # as a real deploy leaves it
    real_state = stack_dir / f"terraform.{stack}.tfstate"
    real_state.write_text(REAL_STATE, encoding="utf-8")
    subprocess.run([*nexus, "sandbox", "up"], cwd=tmp_path, capture_output=True, timeout=120, check=True)
    try:
        for command, consent in (("deploy", ["--override-gate", "--reason", "state separation test"]),
                                 ("destroy", ["--allow-destroy"])):  # one sandbox for both (sandbox up)
            done = subprocess.run([*nexus, command, "nexus.yaml", "--sandbox", "--auto-approve", *consent],
                                  cwd=tmp_path, capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
            assert real_state.read_text(encoding="utf-8") == REAL_STATE
            used = backend_used(stack_dir)
            assert (used["type"], used["config"]["path"]) == ("local", f"terraform.{stack}.sandbox.tfstate")
    finally:
        subprocess.run([*nexus, "sandbox", "down"], cwd=tmp_path, capture_output=True, timeout=120)
    sandbox_state = json.loads((stack_dir / f"terraform.{stack}.sandbox.tfstate").read_text())
    assert sandbox_state["lineage"] != "real-lineage-not-the-sandbox"
    assert [r for r in sandbox_state["resources"] if r["mode"] == "managed"] == []  # destroyed
    backups = list((tmp_path / ".nexus" / "sandbox-state-backups" / stack).glob("*.tfstate"))
    assert backups and all(json.loads(b.read_text())["lineage"] == sandbox_state["lineage"] for b in backups)
    assert not (tmp_path / ".nexus" / "state-backups").exists()
    remove_provider_override(stack_dir)  # what a real run does first: its restore path sees no sandbox copy
    assert latest_backup(stack_dir, tmp_path / ".nexus", stack) is None
