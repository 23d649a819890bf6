"""The warm synth worker (cdktf_app.synth_worker): same bytes as a cold synth, safe to kill, private, replaced
when Nexus' code changes. Every test stops the workers it started."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cdktf_app.blueprints.catalog import list_blueprints, render_blueprint
from cdktf_app.paths import repo_root
from cdktf_app.stacks.synth import synth
from cdktf_app.synth_worker import WORKER_VARIABLE, stop_worker, worker_status
from cdktf_app.synth_worker.protocol import LOG_NAME, SOCKET_NAME, worker_dir, worker_key
from tests.helpers import write_spec
from tests.performance.scale import scale_spec

NEXUS = [sys.executable, "-m", "cdktf_app.cli.main"]


def files_of(out_dir: Path) -> dict[str, bytes]:
    """What synth wrote; terraform's own files (another test of the session may have run it there) left out."""
    return {path.relative_to(out_dir).as_posix(): path.read_bytes()
            for path in sorted(out_dir.rglob("*"))
            if path.is_file() and not any(part.startswith(".terraform") for part in path.relative_to(out_dir).parts)}


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A project folder whose worker library synths use; its worker is stopped afterwards."""
    folder = tmp_path / "p"
    folder.mkdir()
    monkeypatch.setenv(WORKER_VARIABLE, str(folder))
    yield folder
    stop_worker(folder)


@pytest.mark.slow
def test_worker_writes_the_bytes_of_a_cold_synth_for_every_blueprint(blueprint_outputs, project, monkeypatch):
    names = [blueprint.name for blueprint in list_blueprints()]
    monkeypatch.setenv(WORKER_VARIABLE, "off")
    cold = {name: blueprint_outputs[name] for name in names}  # the session's shared synths, in this process
    monkeypatch.setenv(WORKER_VARIABLE, str(project))
    for name in names:
        work = project / name
        work.mkdir()
        warm = synth(write_spec(work, render_blueprint(name, {})), work / "cdktf.out", use_cache=False)
        assert files_of(warm.out_dir) == files_of(cold[name].out_dir), name
        assert warm.provenance.as_dict() == cold[name].provenance.as_dict()
    status = worker_status(project)
    assert status is not None and status.synths == len(names)  # one worker made them all


ENVIRONMENT_ON = {**os.environ, WORKER_VARIABLE: "on"}


def synth_held_in_the_worker(work: Path, output=subprocess.PIPE):
    """A project whose worker made its first synth; then the spec edited and a second `nexus synth` started while
    the worker is stopped (SIGSTOP), so that the request waits in its socket. The worker's status and the command."""
    spec = write_spec(work, scale_spec(40))
    first = subprocess.run([*NEXUS, "synth", str(spec)], env=ENVIRONMENT_ON, capture_output=True, text=True,
                           timeout=600)
    assert first.returncode == 0, first.stderr
    worker = worker_status(work)
    assert worker is not None and worker.synths == 1
    spec.write_text(scale_spec(41), encoding="utf-8")
    os.kill(worker.pid, signal.SIGSTOP)
    command = subprocess.Popen([*NEXUS, "synth", str(spec)], env=ENVIRONMENT_ON, stdout=output, stderr=output,
                               text=True)
    deadline = time.monotonic() + 120
    while not list((work / "cdktf.out").glob(".synth-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    return worker, command


def test_worker_killed_mid_synth_leaves_no_half_output_and_the_next_command_succeeds(tmp_path):
    work = tmp_path / "k"
    work.mkdir()
    out = work / "cdktf.out"
    try:
        worker, command = synth_held_in_the_worker(work)
        os.kill(worker.pid, signal.SIGKILL)  # it took the request and never answered
        _, stderr = command.communicate(timeout=600)
        assert command.returncode == 0, stderr
        assert "died before it answered" in (worker_dir(work) / LOG_NAME).read_text(encoding="utf-8")
        assert not list(out.glob(".synth-*"))
        reference = tmp_path / "reference"
        reference.mkdir()
        cold = synth(write_spec(reference, scale_spec(41)), reference / "cdktf.out", use_cache=False)
        assert files_of(out) == files_of(cold.out_dir)  # the whole output, of the edited spec, from the fallback
        (work / "nexus.yaml").write_text(scale_spec(42), encoding="utf-8")
        after = subprocess.run([*NEXUS, "synth", str(work / "nexus.yaml")], env=ENVIRONMENT_ON, capture_output=True,
                               text=True, timeout=600)
        assert after.returncode == 0, after.stderr
        replacement = worker_status(work)
        assert replacement is not None and replacement.pid != worker.pid and replacement.synths == 1
    finally:
        stop_worker(work)


def test_a_command_killed_while_the_worker_synthesizes_for_it_leaves_no_scratch_folder(tmp_path):
    work = tmp_path / "gone"
    work.mkdir()
    out = work / "cdktf.out"
    try:
        worker, command = synth_held_in_the_worker(work, subprocess.DEVNULL)
        command.kill()  # kill -9: its own clean-up never runs
        command.wait(timeout=60)
        assert list(out.glob(".synth-*"))  # what the killed command left for the worker to write into
        os.kill(worker.pid, signal.SIGCONT)
        log = worker_dir(work) / LOG_NAME
        deadline = time.monotonic() + 120
        while "the command went away" not in log.read_text(encoding="utf-8") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert "the command went away before synth 2 was answered" in log.read_text(encoding="utf-8")
        assert not list(out.glob(".synth-*"))
        assert worker_status(work).pid == worker.pid  # and it goes on serving
    finally:
        stop_worker(work)


def test_worker_socket_is_the_owners_only(project):
    synth(write_spec(project, scale_spec(3)), project / "cdktf.out")
    folder = worker_dir(project)
    assert (folder.stat().st_mode & 0o777, (folder / SOCKET_NAME).stat().st_mode & 0o777) == (0o700, 0o600)
    if os.geteuid() == 0:  # another user may not even reach the socket
        probe = subprocess.run(["/usr/bin/python3", "-c", "import socket, sys; socket.socket(socket.AF_UNIX)"
                                ".connect(sys.argv[1])", str(folder / SOCKET_NAME)], user=65534, cwd="/",
                               capture_output=True, text=True, timeout=60)
        assert probe.returncode != 0 and "PermissionError" in probe.stderr, probe.stderr
    with socket.socket(socket.AF_UNIX) as mine:  # the owner may
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            mine.connect(f"/proc/self/fd/{descriptor}/{SOCKET_NAME}")
        finally:
            os.close(descriptor)


def test_worker_of_other_code_is_replaced_before_it_synthesizes(tmp_path, project):
    """A worker started from a copy of Nexus whose code differs (an edit since it started) answers `stale` and
    exits; the command starts a worker of its own code, which synthesizes."""
    other = tmp_path / "other-nexus"
    shutil.copytree(repo_root() / "cdktf_app", other / "cdktf_app", ignore=shutil.ignore_patterns("__pycache__"))
    with (other / "cdktf_app" / "errors.py").open("a", encoding="utf-8") as edited:
        edited.write("# edited after the worker started\n")
    stale = subprocess.Popen([sys.executable, "-m", "cdktf_app.synth_worker.server", str(worker_dir(project))],
                             cwd=other, env={**os.environ, "PYTHONPATH": str(other)}, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while worker_status(project) is None and stale.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    before = worker_status(project)
    assert before is not None and before.pid == stale.pid and before.key != worker_key()
    result = synth(write_spec(project, scale_spec(3)), project / "cdktf.out", use_cache=False)
    assert stale.wait(timeout=30) == 0
    after = worker_status(project)
    assert after is not None and after.pid != stale.pid and after.key == worker_key() and after.synths == 1
    assert [stack.name for stack in result.stacks] == ["scale-dev-aws"]


README_COMMANDS = """\
nexus --no-worker synth nexus.yaml
sed -i 's/q0000/q0001/' nexus.yaml && NEXUS_SYNTH_WORKER=off nexus synth nexus.yaml
test ! -e .nexus/synth-worker
sed -i 's/q0001/q0002/' nexus.yaml && nexus synth nexus.yaml
test -S .nexus/synth-worker/socket
"""


def test_readme_commands_turn_the_worker_off_and_on(tmp_path):
    """The README's commands, run by bash as written: off twice (each synthesizing an edit), then the default."""
    write_spec(tmp_path, scale_spec(1))
    environment = {key: value for key, value in os.environ.items() if key != WORKER_VARIABLE}
    environment["PATH"] = f"{Path(sys.executable).parent}:{environment['PATH']}"
    try:
        done = subprocess.run(["bash", "-euc", README_COMMANDS], cwd=tmp_path, env=environment, capture_output=True,
                              text=True, timeout=900)
        assert done.returncode == 0, done.stderr
        assert done.stdout.count("synthesized into") == 3 and "unchanged" not in done.stdout
        assert worker_status(tmp_path).synths == 1  # only the last command's synth was the worker's
    finally:
        stop_worker(tmp_path)


def test_a_cold_synth_starts_the_worker_first_and_it_loads_the_spec_bindings_before_the_request(tmp_path):
    """`nexus synth` with no worker running: the worker is started before the command reads the spec, told to load
    the AWS bindings once it listens; the command's request waits in the socket meanwhile. Same bytes as a synth in
    the command's own process."""
    work, reference = tmp_path / "w", tmp_path / "reference"
    work.mkdir()
    reference.mkdir()
    spec = write_spec(work, scale_spec(30))
    try:
        done = subprocess.run([*NEXUS, "synth", str(spec)], env=ENVIRONMENT_ON, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == 0, done.stderr
        log = (worker_dir(work) / LOG_NAME).read_text(encoding="utf-8")
        lines = [line.split(": ", 1)[1] for line in log.splitlines() if " worker " in line]
        assert lines[0] == "listening" and lines[1].startswith("loaded cdktn_provider_aws in ")
        assert lines[2].startswith("synth 1 of ") and "synthesized in the command's process" not in log
        cold = synth(write_spec(reference, scale_spec(30)), reference / "cdktf.out", use_cache=False)
        assert files_of(work / "cdktf.out") == files_of(cold.out_dir)
    finally:
        stop_worker(work)


def test_commands_starting_at_once_start_one_worker(tmp_path):
    """Both begin an early start; the one that takes the start lock starts the worker and holds the lock until it
    connects, the other finds the lock taken, goes on reading its spec and then waits for that worker."""
    work = tmp_path / "two"
    work.mkdir()
    specs = [write_spec(work, scale_spec(20 + index), f"s{index}.yaml") for index in range(2)]
    try:
        commands = [subprocess.Popen([*NEXUS, "synth", str(spec), "--out", str(work / f"out{index}")],
                                     env=ENVIRONMENT_ON, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                    for index, spec in enumerate(specs)]
        for command in commands:
            _, stderr = command.communicate(timeout=600)
            assert command.returncode == 0, stderr
        log = (worker_dir(work) / LOG_NAME).read_text(encoding="utf-8")
        assert log.count(": listening") == 1, log
        status = worker_status(work)
        assert status is not None and status.synths == 2
    finally:
        stop_worker(work)
