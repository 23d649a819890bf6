"""The early bindings load of `nexus synth` (stacks.preload), in processes of its own: the same bytes as a plain
synth, and a command that ends while Node is still loading ends at once, without a traceback or a leftover Node.

A Node preload script (tests/fixtures/node/stall_aws_load.js) stalls the kernel's require() of the AWS bindings
for ten minutes, so those tests act while the load is certainly still running."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.helpers import ctrl_c_reaches_it, write_spec

PYTHON = sys.executable
ROOT = Path(__file__).resolve().parents[2]
STALL = FIXTURES / "node" / "stall_aws_load.js"
SPEC = """apiVersion: nexus/v1
name: early
providers:
  aws: {region: us-east-1}
environments: [dev]
components:
  jobs: {type: queue, dead_letter: %s}
"""
# The `nexus` executable, telling as the command ends (before jsii's exit hook) whether synth began an early load,
# whether the collector was on and, after a success, how Node ended (waited for up to 30 s).
NEXUS = """
import gc, subprocess, sys
from cdktf_app.stacks import preload
from cdktf_app.cli.main import main
try:
    main()
except SystemExit as ending:
    node = preload._node()
    try:
        state = node.wait(timeout=30) if node is not None and ending.code in (0, None) else None
    except subprocess.TimeoutExpired:
        state = "running"
    print(f"early load: {preload._loading is not None}; collector on: {gc.isenabled()}; node: {state}",
          file=sys.stderr)
    raise
"""


def stalled_environment(marker: Path) -> dict:
    return {**os.environ, "NODE_OPTIONS": f"--require {STALL}", "NEXUS_TEST_STALL_MARKER": str(marker),
            "NEXUS_SYNTH_WORKER": "off"}


def nexus(args: list[str], environment: dict) -> subprocess.Popen:
    return subprocess.Popen([PYTHON, "-c", NEXUS, *args], cwd=ROOT, env=environment, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True, preexec_fn=ctrl_c_reaches_it)


def assert_nothing_left_of(group: int) -> None:
    """No process of the command's group (Node's host and its loading child included) outlives it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.killpg(group, signal.SIGKILL)
    pytest.fail("a process of the command outlived it (killed now)")


def wait_for(marker: Path, command: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert command.poll() is None, command.communicate()
        assert time.monotonic() < deadline, "Node never began loading the AWS bindings"
        time.sleep(0.05)


def test_an_early_load_synthesizes_the_same_bytes_with_bindings_it_did_not_guess(secrets_clouds, tmp_path):
    """GCP and Azure load early; Vault, random and time (secrets) load later, where they always did."""
    work = tmp_path / "copy"
    work.mkdir()
    shutil.copyfile(secrets_clouds.loaded.path, work / "nexus.yaml")
    shutil.copytree(secrets_clouds.loaded.path.parent / "fn", work / "fn")
    script = ("import sys\n"
              "from cdktf_app.stacks import preload\n"
              "from cdktf_app.stacks.synth import synth\n"
              "started = preload.start_loading(sys.argv[1], sys.argv[2], use_cache=False)\n"
              "synth(sys.argv[1], sys.argv[2], use_cache=False)\n"
              "print(started, *preload._loading.bindings)\n")
    completed = subprocess.run([PYTHON, "-c", script, str(work / "nexus.yaml"), str(work / "cdktf.out")], cwd=ROOT,
                               env={**os.environ, "NEXUS_SYNTH_WORKER": "off"}, capture_output=True, text=True,
                               timeout=600)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["True", "cdktn_provider_google", "cdktn_provider_azurerm"]
    expected = secrets_clouds.out_dir
    files = sorted(path.relative_to(expected) for path in expected.rglob("*") if path.is_file())
    assert any(path.name == "cdk.tf.json" for path in files)
    for relative in files:
        assert (work / "cdktf.out" / relative).read_bytes() == (expected / relative).read_bytes(), relative


def test_the_synth_command_loads_early_and_lets_node_go_once_the_synth_is_written(tmp_path):
    spec = write_spec(tmp_path, SPEC % "false")
    command = nexus(["--no-worker", "synth", str(spec), "--no-cache"], {**os.environ, "NEXUS_SYNTH_WORKER": "off"})
    _, stderr = command.communicate(timeout=600)
    assert command.returncode == 0, stderr
    assert (tmp_path / "cdktf.out" / "stacks" / "early-dev-aws" / "cdk.tf.json").is_file()
    # node 0: it exited by itself, on the exit request release_node sent; still running would mean jsii's exit
    # hook does the work, after the check and the output
    assert "early load: True; collector on: False; node: 0" in stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr


def test_a_bad_spec_ends_the_command_at_once_while_node_is_still_loading(tmp_path):
    marker = tmp_path / "stalled"
    spec = write_spec(tmp_path, SPEC % "maybe")
    command = nexus(["--no-worker", "synth", str(spec), "--no-cache"], stalled_environment(marker))
    _, stderr = command.communicate(timeout=120)
    assert command.returncode == 2, stderr
    assert f"{spec}:7:" in stderr and "components.jobs.dead_letter" in stderr
    assert "early load: True" in stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert_nothing_left_of(command.pid)


def test_a_jsii_node_that_is_not_there_is_one_clear_error_with_or_without_an_early_load(tmp_path):
    spec = write_spec(tmp_path, SPEC % "false")
    command = nexus(["--no-worker", "synth", str(spec), "--no-cache"],
                    {**os.environ, "NEXUS_SYNTH_WORKER": "off", "JSII_NODE": str(tmp_path / "no-node")})
    _, stderr = command.communicate(timeout=120)
    assert command.returncode == 1, stderr
    assert f"error: JSII_NODE={tmp_path / 'no-node'}: no such executable" in stderr
    assert "early load: False" in stderr   # the load did not start; the synth said why, once
    assert "Traceback" not in stderr and "Exception ignored" not in stderr and "internal error" not in stderr


def test_a_cache_hit_never_starts_node(tmp_path):
    spec = write_spec(tmp_path, SPEC % "false")
    environment = {**os.environ, "NEXUS_SYNTH_WORKER": "off"}
    assert nexus(["--no-worker", "synth", str(spec)], environment).wait(timeout=600) == 0
    command = nexus(["--no-worker", "synth", str(spec)], environment)
    stdout, stderr = command.communicate(timeout=600)
    assert command.returncode == 0, stderr
    assert "unchanged, reused" in stdout
    assert "early load: False; collector on: False; node: None" in stderr


def test_ctrl_c_while_node_loads_the_bindings_aborts_cleanly(tmp_path):
    marker = tmp_path / "stalled"
    spec = write_spec(tmp_path, SPEC % "false")
    command = nexus(["--no-worker", "synth", str(spec), "--no-cache"], stalled_environment(marker))
    wait_for(marker, command)
    os.killpg(command.pid, signal.SIGINT)   # as a terminal sends it: to the command and its Node
    _, stderr = command.communicate(timeout=120)
    assert command.returncode == 1, stderr
    assert "Aborted!" in stderr
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert not (tmp_path / "cdktf.out" / "stacks").exists()
    assert_nothing_left_of(command.pid)


def test_an_unused_early_load_does_not_hold_the_exit_for_jsii(tmp_path):
    """jsii's own exit hook asks Node to exit and waits up to 5 s for it (then terminates it); an early load that
    nothing will use is stopped before that hook runs, so the exit does not wait for Node to finish the load."""
    marker = tmp_path / "stalled"
    spec = write_spec(tmp_path, SPEC % "false")
    script = ("import atexit, sys, time\n"
              "from cdktf_app.stacks import preload\n"
              "atexit.register(lambda: print(f'exit took {time.monotonic() - float(sys.argv[3]):.2f}'))\n"
              "assert preload.start_loading(sys.argv[1], sys.argv[2], use_cache=False)\n"
              "while not __import__('os').path.exists(sys.argv[4]): time.sleep(0.05)\n"
              "sys.argv[3] = str(time.monotonic())\n"
              "sys.exit(2)\n")
    command = subprocess.Popen([PYTHON, "-c", script, str(spec), str(tmp_path / "out"), "0", str(marker)],
                               cwd=ROOT, env=stalled_environment(marker), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    stdout, stderr = command.communicate(timeout=120)
    assert command.returncode == 2, stderr
    took = float(stdout.split()[-1])
    assert took < 5.0, f"the exit waited {took:.2f}s: jsii's hook waited for the stalled load"
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    assert_nothing_left_of(command.pid)


def node_processes_in(group: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            if entry.name.isdigit() and int(fields[2]) == group and (entry / "comm").read_text().strip() == "node":
                found.append(int(entry.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


def test_a_node_that_died_under_a_synth_leaves_no_broken_pipe_error_at_exit(tmp_path):
    """Any synth in a process, early load or not: when Node is gone before the process exits (Ctrl-C reaches it
    too, or it was killed), jsii's exit hook writes its exit request into the closed pipe; Nexus's hook, which runs
    first, closes that pipe for it."""
    marker = tmp_path / "stalled"
    spec = write_spec(tmp_path, SPEC % "false")
    script = ("import sys\n"
              "from cdktf_app.stacks.synth import synth\n"
              "try:\n"
              "    synth(sys.argv[1], sys.argv[2], use_cache=False)\n"
              "except Exception as failed:\n"
              "    print('failed:', type(failed).__name__)\n")
    command = subprocess.Popen([PYTHON, "-c", script, str(spec), str(tmp_path / "out")], cwd=ROOT,
                               env=stalled_environment(marker), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    wait_for(marker, command)
    nodes = node_processes_in(command.pid)
    assert len(nodes) == 2, nodes   # jsii's host and the child that loads
    for pid in nodes:
        os.kill(pid, signal.SIGKILL)
    stdout, stderr = command.communicate(timeout=120)
    assert "failed:" in stdout, stderr
    assert "Exception ignored" not in stderr and "BrokenPipeError" not in stderr
    assert_nothing_left_of(command.pid)
