"""What the `nexus insights` commands call: imports into a project's run history, and the insights read back."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..errors import UsageError
from ..rest import ApiError, Refused
from ..runs import RunStore, runs_url
from ..runs.record import RunRecord
from . import healing, sources
from .analyze import Insights, analyze
from .history import CIHistory

NEXUS_RUNS_LIMIT = 100_000
# An incremental import starts this long before the newest run it has: a run that was still going at the last
# import (not listed then: only completed runs are) is complete now. Rows are keyed, so the overlap doubles nothing.
OVERLAP = 24 * 3600


@dataclass
class Imported:
    source: str
    runs: int
    new: int
    since: float | None = None

    def to_dict(self) -> dict:
        return {"source": self.source, "runs": self.runs, "new": self.new, "since": self.since}


def parse_since(value: str | None) -> float | None:
    """--since: a date (2026-09-01) or an ISO time, UTC unless it says otherwise."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--since expects a date like 2026-09-01 or 2026-09-01T12:00:00Z, got '{value}'") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp()


def _save(history: CIHistory, source: str, runs, since: float | None, incremental: bool) -> Imported:
    newest: list[float] = []

    def noting(iterable):
        for run in iterable:
            newest.append(run.created_at)
            yield run

    seen, new = history.save_runs(noting(runs))
    if incremental and newest:
        history.set_cursor(source, max(max(newest), history.cursor(source) or 0.0))
    return Imported(source, seen, new, since)


@contextmanager
def _api_answers() -> Iterator[None]:
    """A refusal (401, 403) or a 404 from the API is bad input, the repository's name or the token: exit 2."""
    try:
        yield
    except ApiError as error:
        if isinstance(error, Refused) or error.status == 404:
            raise UsageError(f"{error} (check the repository name and the token's access)") from None
        raise


def _resume(history: CIHistory, source: str) -> float | None:
    newest = history.cursor(source)
    return None if newest is None else newest - OVERLAP


def import_github(project: Path, repo: str | None = None, from_dir: Path | None = None, api_url: str | None = None,
                  token_env: str = "GITHUB_TOKEN", since: str | None = None) -> Imported:
    """GitHub Actions runs with the jobs of every attempt and the logs of failed jobs, from exported responses
    or from the API. From the API it is incremental: without --since it starts at the newest run imported
    before, less OVERLAP (those runs are read again; rows are keyed, so nothing doubles)."""
    with RunStore(runs_url(project)) as store:
        history = CIHistory(store)
        if from_dir is not None:
            return _save(history, f"github:{repo or from_dir}", sources.github_from_dir(from_dir, repo or ""),
                         None, incremental=False)
        if not repo or repo.count("/") != 1:
            raise UsageError(f"import github expects OWNER/REPO (or --from-dir DIR), got '{repo or ''}'")
        source = f"github:{repo}"
        start = parse_since(since) if since else _resume(history, source)
        client = sources.github_client(api_url, token_env)
        with _api_answers():
            return _save(history, source, sources.github_from_api(client, repo, start), start, incremental=True)


def import_gitlab(project: Path, gitlab_project: str | None = None, from_dir: Path | None = None,
                  api_url: str | None = None, token_env: str = "GITLAB_TOKEN", since: str | None = None) -> Imported:
    """GitLab pipelines with every job (retried ones too), their failure_reason and the traces of failed jobs."""
    with RunStore(runs_url(project)) as store:
        history = CIHistory(store)
        if from_dir is not None:
            return _save(history, f"gitlab:{gitlab_project or from_dir}",
                         sources.gitlab_from_dir(from_dir, gitlab_project or ""), None, incremental=False)
        if not gitlab_project:
            raise UsageError("import gitlab expects a project path or id (GROUP/PROJECT), or --from-dir DIR")
        source = f"gitlab:{gitlab_project}"
        start = parse_since(since) if since else _resume(history, source)
        client = sources.gitlab_client(api_url, token_env)
        with _api_answers():
            return _save(history, source, sources.gitlab_from_api(client, gitlab_project, start), start,
                         incremental=True)


def import_junit(project: Path, files: list[Path], run_id: str | None = None) -> Imported:
    """Test results of JUnit XML files, each under `run_id` (default: the file's name without .xml)."""
    results = [result for path in files for result in sources.junit_results(path, run_id or path.stem)]
    with RunStore(runs_url(project)) as store:
        seen, new = CIHistory(store).save_tests(results)
    return Imported("junit", seen, new)


def load_insights(project: Path, since: str | None = None) -> Insights:
    """The insights of everything in the project's run history (CI runs and Nexus's own runs)."""
    start = parse_since(since)
    with RunStore(runs_url(project)) as store:
        ci_runs = CIHistory(store).runs(start)
        nexus_runs = [run for run in store.list(NEXUS_RUNS_LIMIT) if isinstance(run, RunRecord)
                      and (start is None or run.started_at >= start)]
    return analyze(ci_runs, nexus_runs)


def heal_github(project: Path, repo: str, api_url: str | None = None, token_env: str = "GITHUB_TOKEN",
                apply: bool = False, max_attempts: int = healing.MAX_ATTEMPTS) -> list[healing.Action]:
    """The healing actions for the imported runs of a GitHub repository; taken only with apply=True."""
    if repo.count("/") != 1:
        raise UsageError(f"heal github expects OWNER/REPO, got '{repo}'")
    with RunStore(runs_url(project)) as store:
        history = CIHistory(store)
        runs = history.runs()
        healing.learn_outcomes(history, runs)
        found = analyze(runs)
        actions = healing.plan_healing(found, runs, repo, history, max_attempts)
        if not apply:
            return actions
        with _api_answers():
            return healing.apply_healing(actions, found, sources.github_client(api_url, token_env), repo, history)
