"""A pool of warm checkov workers for a loop that scans the same stacks again and again (`nexus watch`).

A request is split into one request per file. A file whose inputs (its bytes, the framework, the checks, the
external check files and the context the checks read) are the same as when this pool last scanned it gets that
answer again; the others are scanned at once, each on a free worker. checkov judges each terraform_json file on
its own (tests/integration/test_checkov_pool.py compares a per-file scan with one of every file), so the merged
answer is the one a single CheckovWorker gives. Same interface as CheckovWorker: `check(..., worker=pool)`.
"""
from __future__ import annotations

import hashlib
import queue
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from .checkov import CheckovWorker, ScanAnswer, ScanRequest

POOL_SIZE = 2


class CheckovPool:
    """SIZE checkov workers, started together, that answer scan requests file by file. A context manager."""

    def __init__(self, size: int = POOL_SIZE) -> None:
        self.workers = tuple(CheckovWorker() for _ in range(size))
        self.scan_seconds: list[float] = []
        self._answers: dict[str, tuple[tuple, ScanAnswer]] = {}  # file -> ((its digest, request inputs), answer)

    def __enter__(self) -> CheckovPool:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> None:
        try:
            with ThreadPoolExecutor(max_workers=len(self.workers)) as executor:
                starting = [executor.submit(worker.start) for worker in self.workers]
            for started in starting:
                started.result()
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()

    def scan(self, request: ScanRequest) -> ScanAnswer:
        """One answer for every file of REQUEST; any file that cannot be scanned is a ScanError (exit 4) and
        nothing of the others is answered."""
        started = time.perf_counter()
        shared = _request_inputs(request)
        inputs = {file: _digest(Path(file)) for file in request.files}
        answers = {file: answer for file, (known, answer) in self._answers.items()
                   if inputs.get(file) is not None and known == (inputs[file], shared)}
        stale = [file for file in request.files if file not in answers]
        scanned = _on_every_worker(self.workers, CheckovWorker.scan,
                                   [replace(request, files=(file,)) for file in stale])
        unchanged_meanwhile = bool(stale) and _request_inputs(request) == shared
        for file, answer in zip(stale, scanned):
            answers[file] = answer
            if unchanged_meanwhile and inputs[file] is not None and _digest(Path(file)) == inputs[file]:
                self._answers[file] = ((inputs[file], shared), answer)
        self.scan_seconds.append(time.perf_counter() - started)
        return ScanAnswer(results=[result for file in request.files for result in answers[file].results],
                          unparsed=tuple(sorted({path for answer in answers.values() for path in answer.unparsed})))


def _on_every_worker(workers, work, items: list) -> list:
    """WORK(worker, item) for each item, at once on as many free workers; the first error is raised once every
    item has finished (so no worker is left half-way through a request)."""
    if not items:
        return []
    free: queue.SimpleQueue = queue.SimpleQueue()
    for worker in workers:
        free.put(worker)

    def on_a_free_worker(item):
        worker = free.get()
        try:
            return work(worker, item)
        finally:
            free.put(worker)

    with ThreadPoolExecutor(max_workers=len(workers)) as executor:
        futures = [executor.submit(on_a_free_worker, item) for item in items]
    return [future.result() for future in futures]


def _request_inputs(request: ScanRequest) -> tuple:
    """What every file's scan depends on besides its own bytes (a file that cannot be read has no digest and is
    always scanned: checkov says what is wrong with it) and checkov itself (which a pool does not change)."""
    return (request.framework, request.checks,
            tuple(_files_of(Path(folder)) for folder in request.external_checks_dirs),
            _digest(Path(request.context)) if request.context else None)


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _files_of(folder: Path) -> tuple[tuple[str, int, int], ...]:
    """Each check file's name, mtime and size (Python's bytecode caches left out: checkov writes them)."""
    found = []
    for path in sorted(folder.rglob("*")):
        if "__pycache__" in path.parts or not path.is_file():
            continue
        status = path.stat()
        found.append((str(path.relative_to(folder)), status.st_mtime_ns, status.st_size))
    return tuple(found)
