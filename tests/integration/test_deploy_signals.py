"""Signals against a real `nexus deploy --sandbox` process: Ctrl-C mid-apply lets terraform stop cleanly
(state readable, no lock left, exit 130, the self-started sandbox stopped); kill -9 leaves a sandbox behind
that `nexus sandbox down` finds and stops."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cdktf_app.runs import RunStore, runs_url
from tests.helpers import ctrl_c_reaches_it

pytestmark = pytest.mark.terraform

SPEC = """\
apiVersion: nexus/v1
name: sig
providers:
  aws:
    region: eu-west-1
components:
""" + "".join(f"  jobs{index}:\n    type: queue\n" for index in range(8))
STACK = "sig-dev-aws"
NEXUS = [str(Path(sys.executable).with_name("nexus"))]


def start_deploy(project: Path, *extra: str) -> subprocess.Popen:
    (project / "nexus.yaml").write_text(SPEC, encoding="utf-8")
    return subprocess.Popen([*NEXUS, "deploy", "nexus.yaml", "--sandbox", "--auto-approve", "--override-gate",
                             "--reason", "signal test", *extra], cwd=project, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True,
                            preexec_fn=ctrl_c_reaches_it)


def wait_for_log_line(project: Path, text: str, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        logs = list((project / ".nexus" / "logs").glob("*.log"))
        if logs and text in logs[0].read_text(errors="replace"):
            return
        assert process.poll() is None, f"nexus ended before '{text}': {process.stdout.read()}"
        time.sleep(0.1)
    raise AssertionError(f"no '{text}' in the run's log within {timeout}s")


def terraform_processes_in(project: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and Path(os.readlink(entry / "cwd")).is_relative_to(project) and \
                    b"terraform" in (entry / "cmdline").read_bytes().split(b"\0")[0]:
                found.append(int(entry.name))
        except OSError:
            continue
    return found


def is_moto(pid: int) -> bool:
    try:
        return b"cdktf_app.sandbox.moto_gaps" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize(("sent", "code", "said"), [(signal.SIGINT, 130, "interrupted"),
                                                     (signal.SIGTERM, 143, "terminated (SIGTERM)")])
def test_ctrl_c_or_sigterm_mid_apply_lets_terraform_stop_cleanly(tmp_path, sent, code, said):
    deploy = start_deploy(tmp_path)
    try:
        wait_for_log_line(tmp_path, "Creating...", deploy)
        deploy.send_signal(sent)
        output, _ = deploy.communicate(timeout=120)
    finally:
        if deploy.poll() is None:
            deploy.kill()
    assert deploy.returncode == code, output
    assert f"deploy: {said};" in output and "Traceback" not in output
    stack_dir = tmp_path / "cdktf.out" / "stacks" / STACK
    log = next((tmp_path / ".nexus" / "logs").glob("*.log")).read_text()
    assert "Gracefully shutting down" in log and f"nexus: {said}; terraform apply was sent SIGINT" in log
    assert "stopped it" not in log  # it stopped by itself, within the grace
    state = json.loads((stack_dir / f"terraform.{STACK}.sandbox.tfstate").read_text())
    assert isinstance(state["resources"], list) and state["serial"] >= 1
    assert not (stack_dir / f".terraform.{STACK}.sandbox.tfstate.lock.info").exists()
    assert terraform_processes_in(tmp_path) == []
    record = RunStore(runs_url(tmp_path)).list(limit=1)[0]
    assert record.outcome == "cancelled" and record.error_class == "interrupted"
    assert not list((tmp_path / ".nexus" / "sandboxes").glob("*.json"))  # its own sandbox was stopped


def test_a_sandbox_left_by_a_killed_deploy_is_stopped_by_sandbox_down(tmp_path):
    deploy = start_deploy(tmp_path)
    try:
        wait_for_log_line(tmp_path, "$ terraform plan", deploy)
        records = list((tmp_path / ".nexus" / "sandboxes").glob("*.json"))
        assert len(records) == 1
        orphan = json.loads(records[0].read_text())
        assert orphan["owner_pid"] == deploy.pid and is_moto(orphan["pid"])
        deploy.kill()
        deploy.wait(timeout=30)
        down = subprocess.run([*NEXUS, "sandbox", "down", "--project", str(tmp_path), "--output", "json"],
                              capture_output=True, text=True, timeout=120)
    finally:
        for pid in terraform_processes_in(tmp_path):  # terraform outlives a kill -9 of its parent
            os.kill(pid, signal.SIGKILL)
    assert down.returncode == 0, down.stderr
    answer = json.loads(down.stdout)
    assert answer["state"] == "not running"
    assert [(o["pid"], o["left_by"]) for o in answer["orphans"]] == [(orphan["pid"], deploy.pid)]
    assert not is_moto(orphan["pid"]) and port_is_free(orphan["port"])
    assert not list((tmp_path / ".nexus" / "sandboxes").glob("*.json"))
    again = subprocess.run([*NEXUS, "sandbox", "down", "--project", str(tmp_path), "--output", "json"],
                           capture_output=True, text=True, timeout=120)
    assert json.loads(again.stdout) == {"state": "not running"}


def wait_until_no_terraform_in(project: Path, timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while terraform_processes_in(project) and time.monotonic() < deadline:
        time.sleep(0.2)
    return terraform_processes_in(project)


def test_kill_9_mid_apply_stops_terraform_which_leaves_readable_state(tmp_path):
    deploy = start_deploy(tmp_path)
    try:
        wait_for_log_line(tmp_path, "Creating...", deploy)
        assert terraform_processes_in(tmp_path)
        deploy.kill()
        deploy.wait(timeout=30)
        left = wait_until_no_terraform_in(tmp_path, timeout=90)
    finally:
        for pid in terraform_processes_in(tmp_path):
            os.kill(pid, signal.SIGKILL)
        subprocess.run([*NEXUS, "sandbox", "down", "--project", str(tmp_path)], capture_output=True, timeout=120)
    assert left == []  # the kernel sent terraform SIGINT when its parent died
    stack_dir = tmp_path / "cdktf.out" / "stacks" / STACK
    state = json.loads((stack_dir / f"terraform.{STACK}.sandbox.tfstate").read_text())
    assert isinstance(state["resources"], list) and state["serial"] >= 1
    assert not (stack_dir / f".terraform.{STACK}.sandbox.tfstate.lock.info").exists()


def test_terraform_that_has_not_stopped_after_the_stop_timeout_is_stopped_by_force(tmp_path):
    deploy = start_deploy(tmp_path, "--stop-timeout", "0")
    try:
        wait_for_log_line(tmp_path, "Creating...", deploy)
        deploy.send_signal(signal.SIGTERM)
        output, _ = deploy.communicate(timeout=120)
    finally:
        if deploy.poll() is None:
            deploy.kill()
    assert deploy.returncode == 143, output
    log = next((tmp_path / ".nexus" / "logs").glob("*.log")).read_text()
    assert "terraform apply had not stopped 0s after SIGINT" in log
    assert terraform_processes_in(tmp_path) == []
