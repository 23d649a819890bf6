"""The real terraform binary: finding it, pointing it at a local provider mirror, and validating stacks.

Offline machines carry providers in a filesystem mirror. Nexus finds it (NEXUS_PROVIDER_MIRROR, or a search of
the usual places) and writes a CLI config that installs only from it, so `terraform init` never goes online
for providers the mirror has.
"""
from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import ToolError

MIRROR_CANDIDATES = ("/opt/tf-plugins", "/usr/local/share/terraform/plugins", "/usr/share/terraform/plugins",
                     "~/.terraform.d/plugins", "~/.local/share/terraform/plugins")
SEARCH_ROOTS = ("/opt", "/usr/local", "/usr/share", "~")
REGISTRY_HOST = "registry.terraform.io"
DEFAULT_TIMEOUT = 300


def terraform_binary() -> str:
    found = os.environ.get("NEXUS_TERRAFORM") or shutil.which("terraform")
    if not found:
        raise ToolError("terraform is not on PATH; install Terraform ≥1.5 or set NEXUS_TERRAFORM")
    return found


MINIMUM_VERSION = (1, 5, 0)


def terraform_version() -> tuple[int, int, int]:
    """The version of the terraform binary Nexus runs; ToolError when it is older than MINIMUM_VERSION."""
    answer = subprocess.run([terraform_binary(), "version", "-json"], capture_output=True, text=True, timeout=60,
                            env={**os.environ, "CHECKPOINT_DISABLE": "1"})
    try:
        text = answer.stdout[answer.stdout.index("{"):]
        version = tuple(int(part) for part in json.loads(text)["terraform_version"].split("-")[0].split(".")[:3])
    except (ValueError, KeyError):
        raise ToolError(f"could not read the version of {terraform_binary()}: {answer.stderr.strip()[:200]}") from None
    if version < MINIMUM_VERSION:
        raise ToolError(f"terraform {'.'.join(map(str, version))} is too old; Nexus needs "
                        f"{'.'.join(map(str, MINIMUM_VERSION))} or newer")
    return version


def _is_mirror(path: Path) -> bool:
    return (path / REGISTRY_HOST).is_dir()


def find_provider_mirror() -> Path | None:
    """NEXUS_PROVIDER_MIRROR, else a known location, else a bounded search for `registry.terraform.io/`."""
    configured = os.environ.get("NEXUS_PROVIDER_MIRROR")
    if configured:
        return Path(configured) if _is_mirror(Path(configured)) else None
    for candidate in MIRROR_CANDIDATES:
        path = Path(candidate).expanduser()
        if _is_mirror(path):
            return path
    for root in SEARCH_ROOTS:
        found = _search(Path(root).expanduser(), depth=4)
        if found:
            return found
    return None


def _search(directory: Path, depth: int) -> Path | None:
    """Depth-bounded walk for a folder holding `registry.terraform.io/<namespace>/<provider>`."""
    try:
        children = sorted(entry for entry in directory.iterdir() if entry.is_dir() and not entry.is_symlink())
    except OSError:
        return None
    if any(child.name == REGISTRY_HOST for child in children) and _mirrored_providers(directory):
        return directory
    if depth == 0:
        return None
    for child in children:
        if child.name.startswith(".") and child.name != ".terraform.d":
            continue
        found = _search(child, depth - 1)
        if found:
            return found
    return None


def _mirrored_providers(mirror: Path) -> list[str]:
    return sorted(f"{namespace.name}/{provider.name}"
                  for namespace in (mirror / REGISTRY_HOST).iterdir() if namespace.is_dir()
                  for provider in namespace.iterdir() if provider.is_dir())


def cli_config_text(mirror: Path) -> str:
    mirrored = ", ".join(f'"{REGISTRY_HOST}/{name}"' for name in _mirrored_providers(mirror))
    return (
        "# Written by Nexus: install providers from the local mirror, never from the network.\n"
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n    include = [{mirrored}]\n  }}\n'
        f'  direct {{\n    exclude = ["{REGISTRY_HOST}/*/*"]\n  }}\n'
        "}\n")


def ensure_cli_config(state_dir: Path) -> Path | None:
    """The CLI config to hand terraform: the user's TF_CLI_CONFIG_FILE if that file exists, else one we write
    for a found mirror (a TF_CLI_CONFIG_FILE naming a missing file only earns terraform a warning)."""
    user_config = os.environ.get("TF_CLI_CONFIG_FILE")
    if user_config and Path(user_config).is_file():
        return Path(user_config)
    mirror = find_provider_mirror()
    if mirror is None:
        return None
    target = state_dir / "terraformrc"
    text = cli_config_text(mirror)
    if not target.is_file() or target.read_text(encoding="utf-8") != text:
        state_dir.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return target


@dataclass(frozen=True)
class TerraformResult:
    command: tuple[str, ...]
    returncode: int
    output: str
    timed_out: bool = False
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out


WATCHDOG_MESSAGE = "nexus watchdog: terraform {command} did not finish in {timeout}s; stopped it"
INTERRUPT_MESSAGE = "nexus: {cause}; terraform {command} was sent SIGINT to stop cleanly\n"
ESCALATED_MESSAGE = ("nexus: terraform {command} had not stopped {grace}s after SIGINT (or Ctrl-C came again); "
                     "stopped it\n")
DEFAULT_STOP_TIMEOUT = 60.0
# What terraform writes (state, its backup, saved plans, .terraform/) holds secrets: owner-only from creation.
PRIVATE_UMASK = 0o077
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


class Terminated(KeyboardInterrupt):
    """SIGTERM to Nexus, raised where Ctrl-C raises KeyboardInterrupt (see `sigterm_stops_like_ctrl_c`)."""


@contextmanager
def sigterm_stops_like_ctrl_c() -> Iterator[None]:
    """While inside, SIGTERM (what CI systems, systemd, docker stop and kill send) raises `Terminated` in the main
    thread, so a terraform call stops as it does on Ctrl-C. Main thread only, as signal handlers are."""
    def terminated(signum, frame):
        raise Terminated
    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@cache
def _prctl():
    return ctypes.CDLL(None, use_errno=True).prctl


def _stop_when_nexus_dies() -> Callable[[], None] | None:
    """A preexec_fn (Linux only) asking the kernel to send terraform SIGINT when Nexus dies, kill -9 included:
    terraform is in a session of its own, so nothing else would stop it, and SIGINT lets it stop as on Ctrl-C.
    prctl is looked up here, in the parent, so the forked child (Nexus may have other threads) only makes
    system calls before exec."""
    if not sys.platform.startswith("linux"):
        return None
    prctl, parent, sigint = _prctl(), os.getpid(), int(signal.SIGINT)

    def set_parent_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, sigint)
        if os.getppid() != parent:  # Nexus died before prctl took effect: nobody would send the signal
            raise ChildProcessError("nexus ended before terraform started")
    return set_parent_death_signal


def run_terraform(stack_dir: Path, *arguments: str, cli_config: Path | None = None,
                  timeout: float = DEFAULT_TIMEOUT, log_file: Path | None = None,
                  on_line: Callable[[str], None] | None = None,
                  stop_timeout: float = DEFAULT_STOP_TIMEOUT) -> TerraformResult:
    """Run terraform in a stack folder with a watchdog; output captured (and appended to `log_file`, and
    handed line by line to `on_line`), never streamed to the user directly.

    The watchdog stops terraform's whole process group (its provider plugins too) when `timeout` passes: an
    endpoint that accepts a connection and never answers would otherwise hang terraform forever. A stopped
    run returns `timed_out=True` and its output ends with the watchdog's line.

    Ctrl-C (KeyboardInterrupt) or SIGTERM (`Terminated`, inside `sigterm_stops_like_ctrl_c`) is passed on as
    SIGINT, so terraform finishes what is in flight and writes its state; the same exception is raised again
    once terraform has stopped, or was stopped by force `stop_timeout` seconds later (see `_Interruption`).
    If Nexus itself dies (kill -9), the kernel sends terraform SIGINT (Linux; see `_stop_when_nexus_dies`).

    Must be called from a thread that lives until it returns: the kernel's parent-death signal follows the
    thread that started terraform.
    """
    environment = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if cli_config:
        environment["TF_CLI_CONFIG_FILE"] = str(cli_config)
    command = (terraform_binary(), *arguments)
    started = time.monotonic()
    spool = _Spool()
    try:
        # Its own session: a terminal's Ctrl-C reaches Nexus only, which passes it on once.
        process = subprocess.Popen(command, cwd=stack_dir, env=environment, stdout=spool.writer,
                                   stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
                                   umask=PRIVATE_UMASK, preexec_fn=_stop_when_nexus_dies())
    finally:
        os.close(spool.writer)
    fired = threading.Event()
    watchdog = threading.Timer(timeout, _stop_group, args=(process, fired))
    watchdog.daemon = True
    watchdog.start()
    interruption = _Interruption(process, stop_timeout)
    lines: list[str] = []
    log = open(log_file, "a", encoding="utf-8") if log_file else None
    try:
        if log:
            log.write(f"$ terraform {' '.join(arguments)}\n")
        while True:
            try:
                while True:
                    finished = process.poll() is not None
                    for line in spool.lines(final=finished):
                        lines.append(line)
                        if log:
                            log.write(line)
                            log.flush()
                        if on_line:
                            on_line(line.rstrip("\n"))
                    if finished:
                        break
                    time.sleep(SPOOL_POLL)
                returncode = process.wait()
                break
            except KeyboardInterrupt as stop:
                interruption.stop(stop)
    finally:
        watchdog.cancel()
        interruption.cancel()
        if process.poll() is None:  # left by an error of our own: never leave terraform running unattended
            _stop_group(process, threading.Event())
        spool.reader.close()
        notices = [WATCHDOG_MESSAGE.format(command=arguments[0], timeout=timeout) + "\n"] if fired.is_set() else []
        notices += interruption.notices(arguments[0])
        lines.extend(notices)
        if log:
            log.writelines(notices)
            log.close()
    if interruption.cause is not None:
        raise interruption.cause
    return TerraformResult(command=command, returncode=returncode, output="".join(lines),
                           timed_out=fired.is_set(), seconds=time.monotonic() - started)


SPOOL_POLL = 0.05


class _Spool:
    """terraform's output goes to a file read back as it grows: in memory (memfd, Linux), else a 0600 temporary
    file unlinked at once, as the output holds values from the state. Not a pipe: when Nexus dies, a pipe breaks
    and terraform (a Go program) dies of SIGPIPE at its next line of output, before it has written its state;
    a file takes its output until it has stopped cleanly."""

    def __init__(self) -> None:
        if hasattr(os, "memfd_create"):
            self.writer = os.memfd_create("nexus-terraform-output")
            path = f"/proc/self/fd/{self.writer}"  # opened again: a read offset of its own
            self.reader = open(path, "rb", buffering=0)
        else:
            self.writer, path = tempfile.mkstemp(prefix="nexus-terraform-", suffix=".out")
            try:
                self.reader = open(path, "rb", buffering=0)
            finally:
                os.unlink(path)
        self.pending = b""

    def lines(self, final: bool = False) -> list[str]:
        """The complete lines written since the last call (with `final`, the unterminated rest too)."""
        self.pending += self.reader.read() or b""
        *complete, self.pending = self.pending.split(b"\n")
        if final and self.pending:
            complete.append(self.pending)
            self.pending = b""
        return [line.decode("utf-8", "replace") + "\n" for line in complete]


class _Interruption:
    """Ctrl-C or SIGTERM while terraform runs: SIGINT to terraform, which stops gracefully (in-flight operations
    finish, state is written, the lock released). If it has not stopped `grace` seconds later, or Ctrl-C comes
    again, its process group gets SIGTERM, then SIGKILL (state of in-flight resources may then be lost).
    A SIGTERM during the grace does not force the stop: supervisors repeat their request (GitHub Actions sends
    SIGINT, then SIGTERM 7.5 s later) and each second of grace counts."""

    def __init__(self, process: subprocess.Popen, grace: float):
        self.process = process
        self.grace = grace
        self.cause: KeyboardInterrupt | None = None
        self.escalated = threading.Event()
        self.timer: threading.Timer | None = None

    def stop(self, cause: KeyboardInterrupt) -> None:
        if self.cause is not None:
            if not isinstance(cause, Terminated):
                self.cancel()
                _stop_group(self.process, self.escalated)
            return
        self.cause = cause
        try:
            os.kill(self.process.pid, signal.SIGINT)
        except ProcessLookupError:
            return
        self.timer = threading.Timer(self.grace, _stop_group, args=(self.process, self.escalated))
        self.timer.daemon = True
        self.timer.start()

    def cancel(self) -> None:
        if self.timer:
            self.timer.cancel()

    def notices(self, command: str) -> list[str]:
        if self.cause is None:
            return []
        cause = "terminated (SIGTERM)" if isinstance(self.cause, Terminated) else "interrupted"
        said = [INTERRUPT_MESSAGE.format(cause=cause, command=command)]
        if self.escalated.is_set():
            said.append(ESCALATED_MESSAGE.format(command=command, grace=f"{self.grace:g}"))
        return said


def _stop_group(process: subprocess.Popen, fired: threading.Event) -> None:
    fired.set()
    for sig, grace in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=grace or None)
            return
        except subprocess.TimeoutExpired:
            continue


def validate_stack(stack_dir: Path, cli_config: Path | None) -> TerraformResult:
    """`terraform init -backend=false` then `terraform validate`; the first failure is returned."""
    init = run_terraform(stack_dir, "init", "-backend=false", "-input=false", "-no-color", cli_config=cli_config)
    if not init.ok:
        return init
    return run_terraform(stack_dir, "validate", "-no-color", cli_config=cli_config)
