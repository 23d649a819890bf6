"""The edit loop in fresh CLI processes, for scripts/bench: a cold synth, a changed spec synthesized by the warm
synth worker, a cache hit, and `nexus watch` from a save to its printed findings. Ratios, from one run."""
from __future__ import annotations

import os
import queue
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from rich.table import Table

from cdktf_app.blueprints.catalog import render_blueprint
from cdktf_app.synth_worker import WORKER_VARIABLE, stop_worker

NEXUS = [sys.executable, "-m", "cdktf_app.cli.main"]
RETENTION = re.compile(r"backup_retention_days: \d+")


def fintech(days: int) -> str:
    """fintech as rendered, without auto-remediation (a synth, not a fix loop, is what is measured), with a
    backup retention that each round changes."""
    text = render_blueprint("fintech", {}).replace("auto_remediate: true", "auto_remediate: false")
    return RETENTION.sub(f"backup_retention_days: {days}", text)


def run(arguments: list[str], environment: dict) -> float:
    started = time.perf_counter()
    subprocess.run([*NEXUS, *arguments], env=environment, check=True, capture_output=True)
    return time.perf_counter() - started


def save_to_findings(spec: Path, environment: dict, rounds: int) -> list[float]:
    """Seconds from writing the spec to `nexus watch` printing that save's headline."""
    watching = subprocess.Popen([*NEXUS, "watch", str(spec)], env={**environment, "PYTHONUNBUFFERED": "1"},
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in watching.stdout], daemon=True).start()
    try:
        while "nexus.yaml:" not in lines.get(timeout=600):
            pass
        seconds = []
        for day in range(rounds):
            spec.write_text(fintech(20 + day), encoding="utf-8")
            saved = time.perf_counter()
            while "saved" not in lines.get(timeout=600):
                pass
            seconds.append(time.perf_counter() - saved)
        return seconds
    finally:
        watching.send_signal(signal.SIGTERM)  # ends a watch like Ctrl-C, also where SIGINT is ignored
        watching.wait(timeout=60)


def worker_table(rounds: int = 3) -> Table:
    table = Table(title="Edit loop: fintech through the CLI (fresh processes, median of 3)")
    for column in ("case", "seconds", "note"):
        table.add_column(column)
    with tempfile.TemporaryDirectory() as scratch:
        project = Path(scratch)
        spec = project / "nexus.yaml"
        environment = {**os.environ, WORKER_VARIABLE: "on"}
        try:
            spec.write_text(fintech(7), encoding="utf-8")
            cold = statistics.median(run(["--no-worker", "synth", str(spec), "--no-cache"], environment)
                                     for _ in range(rounds))
            run(["synth", str(spec), "--no-cache"], environment)  # starts the worker
            warm = []
            for day in range(rounds):
                spec.write_text(fintech(8 + day), encoding="utf-8")
                warm.append(run(["synth", str(spec)], environment))
            hit = statistics.median(run(["synth", str(spec)], environment) for _ in range(rounds))
            watch = statistics.median(save_to_findings(spec, environment, rounds))
        finally:
            stop_worker(project)
    warm_median = statistics.median(warm)
    table.add_row("cold synth (--no-worker)", f"{cold:.2f}", "Node start + bindings + synth")
    table.add_row("changed spec, warm worker", f"{warm_median:.2f}", f"{warm_median / cold:.2f}x a cold synth")
    table.add_row("unchanged spec (cache hit)", f"{hit:.2f}", f"{hit / cold:.2f}x a cold synth")
    table.add_row("nexus watch: save -> findings", f"{watch:.2f}", f"{watch / cold:.2f}x a cold synth")
    return table
