"""checkov as a managed tool: found in its own venv, always offline and quiet, scanned through a warm worker.

checkov cannot share Nexus' venv (its `hcl2` module shadows python-hcl2), so it runs as a subprocess of the
Python in `.tools/checkov` (made by scripts/setup.d/10-checkov.sh) or of `NEXUS_CHECKOV`. One worker process
per command keeps checkov imported, so the scans of a fix loop do not pay its ~2.4 s start each time.
"""
from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from ..errors import ScanError
from ..paths import repo_root
from ..sensitive import SECRET_NAME

CHECKOV_VERSION = "3.3.30"
WORKER_SCRIPT = Path(__file__).with_name("checkov_worker.py")
START_TIMEOUT = 120
SCAN_TIMEOUT = 600
QUIET_ENVIRONMENT = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "LOG_LEVEL": "CRITICAL", "BC_SKIP_MAPPING": "TRUE"}


def checkov_python() -> Path:
    """The Python of checkov's venv: NEXUS_CHECKOV (a python or a checkov executable) or .tools/checkov."""
    configured = os.environ.get("NEXUS_CHECKOV")
    candidate = Path(configured) if configured else repo_root() / ".tools" / "checkov" / "bin" / "python"
    if candidate.name.startswith("checkov"):
        candidate = candidate.with_name("python")
    if not candidate.exists():
        raise ScanError(f"checkov {CHECKOV_VERSION} is not installed (looked for {candidate}). Run `make setup` "
                        "(it installs checkov into .tools/checkov, its own venv), or set NEXUS_CHECKOV to the "
                        "python of a venv that has checkov.")
    return candidate


def checkov_environment() -> dict[str, str]:
    """Quiet and offline; NEXUS_SECRET_NAME gives NEXUS_PLAINTEXT_SECRET_ENV the one definition of a secret name."""
    return {**os.environ, **QUIET_ENVIRONMENT, "NEXUS_SECRET_NAME": SECRET_NAME.pattern}


def checkov_cli_command(*arguments: str) -> list[str]:
    """The checkov CLI of the managed venv, offline (`--skip-download`), for comparisons and reports."""
    return [str(checkov_python().with_name("checkov")), "--skip-download", *arguments]


@dataclass(frozen=True)
class ScanRequest:
    files: tuple[str, ...]
    framework: str = "terraform_json"        # or terraform_plan
    external_checks_dirs: tuple[str, ...] = ()
    checks: tuple[str, ...] | None = None
    context: str | None = None

    def as_json(self) -> str:
        return json.dumps({"files": list(self.files), "framework": self.framework,
                           "external_checks_dirs": list(self.external_checks_dirs),
                           "checks": list(self.checks) if self.checks else None, "context": self.context})


@dataclass(frozen=True)
class ScanAnswer:
    results: list[dict]
    unparsed: tuple[str, ...]       # files checkov could not parse (absolute paths)


class CheckovWorker:
    """A checkov process that answers scan requests, one JSON line each. Use as a context manager."""

    def __init__(self) -> None:
        self._process: subprocess.Popen | None = None
        self._answers: queue.Queue = queue.Queue()
        self.scan_seconds: list[float] = []

    def __enter__(self) -> CheckovWorker:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        if self._process is not None:
            return
        self._process = subprocess.Popen(
            [str(checkov_python()), str(WORKER_SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, env=checkov_environment(), bufsize=1)
        threading.Thread(target=self._read_answers, daemon=True).start()
        self._answer(START_TIMEOUT, "start")

    def _read_answers(self) -> None:
        for line in self._process.stdout:
            self._answers.put(line)
        self._answers.put(None)

    def _answer(self, timeout: float, what: str) -> dict:
        try:
            line = self._answers.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise ScanError(f"checkov did not {what} within {timeout:.0f}s; stopped it") from None
        if line is None:
            self._process = None
            raise ScanError(f"checkov exited during {what} (check the venv: `make setup`)")
        answer = json.loads(line)
        if not answer.get("ok"):
            raise ScanError(f"checkov failed: {answer.get('error')}")
        return answer

    def scan(self, request: ScanRequest) -> ScanAnswer:
        """checkov's results; a checkov that cannot scan is a ScanError (exit 4), never an empty result."""
        self.start()
        try:
            self._process.stdin.write(request.as_json() + "\n")
            self._process.stdin.flush()
        except OSError:  # it exited since its last answer (killed while idle)
            self.stop()
            raise ScanError("checkov exited before the scan (check the venv: `make setup`)") from None
        answer = self._answer(SCAN_TIMEOUT, "scan")
        self.scan_seconds.append(answer["seconds"])
        return ScanAnswer(results=answer["results"], unparsed=tuple(answer["unparsed"]))

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.stdin.close()
            process.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()


@contextlib.contextmanager
def reuse_or_start(worker: CheckovWorker | None):
    """The caller's worker when it has one (kept running), else a new one stopped afterwards."""
    if worker is not None:
        yield worker
        return
    with CheckovWorker() as started:
        yield started
