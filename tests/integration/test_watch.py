"""`nexus watch`: a real process watching a spec; edits are written to the file and the printed changes read."""
from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time

import pytest

from cdktf_app.synth_worker import WORKER_VARIABLE, stop_worker
from tests.helpers import ctrl_c_reaches_it, write_spec

SPEC = """\
apiVersion: nexus/v1
name: watched
providers:
  aws: {region: us-east-1}
environments: [dev]
components:
  files: {type: bucket, public: PUBLIC}
"""


class Watching:
    """`nexus watch` in a subprocess; its stdout lines arrive in a queue, each read bounded in time."""

    def __init__(self, spec, *arguments: str) -> None:
        environment = {**os.environ, "PYTHONUNBUFFERED": "1", WORKER_VARIABLE: "on"}
        self.process = subprocess.Popen([sys.executable, "-m", "cdktf_app.cli.main", "watch", spec.name, *arguments],
                                        cwd=spec.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=environment, preexec_fn=ctrl_c_reaches_it)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line.rstrip("\n")) for line in self.process.stdout],
                         daemon=True).start()

    def round(self, timeout: float = 300) -> list[str]:
        """The lines of the next round: its headline and the indented changes after it."""
        deadline = time.monotonic() + timeout
        headline = self.lines.get(timeout=timeout)
        said = [headline]
        while True:
            try:
                said.append(self.lines.get(timeout=max(0.1, min(2.0, deadline - time.monotonic()))))
            except queue.Empty:
                return said
            if not said[-1].startswith("  "):
                self.lines.queue.appendleft(said.pop())
                return said


def test_watch_prints_only_what_a_save_changed_and_stops_cleanly_on_ctrl_c(tmp_path):
    spec = write_spec(tmp_path, SPEC.replace("PUBLIC", "true"))
    watching = Watching(spec, "--env", "dev")  # the README's `nexus watch nexus.yaml --env dev`
    try:
        first = watching.round()
        assert "nexus.yaml: 1 stack(s)" in first[0] and "finding(s)" in first[0], first
        assert any(line.startswith("  + stack watched-dev-aws:") for line in first), first
        assert any(line.startswith("  + CRITICAL CKV2_AWS_6 watched-dev-aws/aws_s3_bucket.files") for line in first)

        spec.write_text(SPEC.replace("PUBLIC", "false"), encoding="utf-8")
        private = watching.round()
        assert "nexus.yaml saved:" in private[0], private
        assert any(line.startswith("  - CRITICAL CKV2_AWS_6 watched-dev-aws/aws_s3_bucket.files") for line in private)
        assert all(line.startswith("  - ") for line in private[1:]), private  # only what was resolved

        spec.write_text(SPEC.replace("PUBLIC", "false") + "  more: {type: bukket}\n", encoding="utf-8")
        broken = watching.round()
        assert "does not synthesize" in broken[0] and any("nexus.yaml:8" in line for line in broken), broken

        spec.write_text(SPEC.replace("PUBLIC", "false") + "  more: {type: queue}\n", encoding="utf-8")
        fixed = watching.round()
        assert "  the spec synthesizes again" in fixed, fixed
        assert any(line.startswith("  ~ watched-dev-aws:") and "resources" in line for line in fixed), fixed

        spec.touch()  # saved without a change: nothing to say
        time.sleep(2)
        assert watching.lines.empty()
        watching.process.send_signal(signal.SIGINT)
        _, stderr = watching.process.communicate(timeout=180)
        assert watching.process.returncode == 0 and "stopped watching" in stderr and "Traceback" not in stderr
    finally:
        if watching.process.poll() is None:
            watching.process.kill()
        stop_worker(tmp_path)


@pytest.mark.slow
def test_watch_validate_reports_a_stack_terraform_rejects_after_a_save(tmp_path):
    spec = write_spec(tmp_path, SPEC.replace("PUBLIC", "false"))
    watching = Watching(spec, "--validate")
    try:
        first = watching.round()
        assert "invalid" not in first[0] and not any(line.startswith("  ! ") for line in first), first
        spec.write_text(SPEC.replace("PUBLIC", "false") + "overrides:\n  aws_s3_bucket.files:\n    bogus_argument: 1\n",
                        encoding="utf-8")
        rejected = watching.round()
        assert "1 invalid stack(s)" in rejected[0], rejected
        assert "  ! terraform validate watched-dev-aws: Error: Extraneous JSON object property" in rejected, rejected
        watching.process.send_signal(signal.SIGTERM)  # what CI systems and `docker stop` send
        _, stderr = watching.process.communicate(timeout=180)
        assert watching.process.returncode == 0 and "stopped watching" in stderr and "Traceback" not in stderr
    finally:
        if watching.process.poll() is None:
            watching.process.kill()
        stop_worker(tmp_path)
