"""`nexus insights import | anomalies | report | heal | generate`: CI runs and Nexus's own runs in the run
history, their baselines, anomalies, flaky jobs, failure signatures and the healing of transient CI failures."""
from __future__ import annotations

import json
from pathlib import Path

import click

from . import render
from .options import chosen_format, is_stdout, output_file_option, output_format_option
from .runs import PROJECT

SINCE = click.option("--since", metavar="DATE", help="Only runs created from this date (2026-09-01 or an ISO "
                                                     "time, UTC).")
FROM_DIR = click.option("--from-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                        help="Read exported REST responses from this folder instead of the API.")
API_URL = click.option("--api-url", metavar="URL", help="The REST API's base URL.")
IMPORT_OUTPUT = output_format_option(("table", "json"), "table", "table for people, json for machines.")


def _token_env_option(default: str):
    return click.option("--token-env", default=default, show_default=True, metavar="NAME",
                        help="Environment variable holding the API token.")


def _api_import_options(token_env: str):
    """The options of an import from a CI's REST API (or its exported responses), in the order --help lists."""
    options = (FROM_DIR, API_URL, _token_env_option(token_env), SINCE, PROJECT, IMPORT_OUTPUT, click.pass_obj)

    def decorate(command):
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


@click.group()
def insights() -> None:
    """Pipeline insights: baselines, anomalies, flaky jobs, failure signatures and CI self-healing."""


@insights.group("import")
def import_group() -> None:
    """Import CI runs (GitHub Actions, GitLab) or JUnit results into the run history; twice changes nothing."""


def _imported(obj: dict, output_format: str | None, result) -> None:
    if chosen_format(obj, output_format, "table", ("table", "json")) == "json":
        click.echo(json.dumps(result.to_dict(), sort_keys=True))
    else:
        click.echo(f"{result.source}: {result.runs} imported, {result.new} new")


@import_group.command("github")
@click.argument("repo", required=False, metavar="OWNER/REPO")
@_api_import_options("GITHUB_TOKEN")
def import_github(obj: dict, repo: str | None, from_dir: Path | None, api_url: str | None, token_env: str,
                  since: str | None, project: Path, output_format: str | None) -> None:
    """GitHub Actions runs and jobs (every attempt) with the logs of failed jobs. From the API (--api-url,
    default $GITHUB_API_URL, else api.github.com) it is paginated, incremental and waits out rate limits; with
    --from-dir DIR it reads DIR/runs*.json (pages of GET .../actions/runs) and DIR/jobs-<run_id>.json."""
    from ..insights.service import import_github as run_import

    _imported(obj, output_format, run_import(project, repo, from_dir, api_url, token_env, since))


@import_group.command("gitlab")
@click.argument("gitlab_project", required=False, metavar="GROUP/PROJECT")
@_api_import_options("GITLAB_TOKEN")
def import_gitlab(obj: dict, gitlab_project: str | None, from_dir: Path | None, api_url: str | None,
                  token_env: str, since: str | None, project: Path, output_format: str | None) -> None:
    """GitLab pipelines and jobs (retried ones too) with failure_reason and traces. From the API (--api-url,
    default $CI_API_V4_URL, else gitlab.com) or from DIR/pipelines*.json and DIR/jobs-<pipeline_id>.json."""
    from ..insights.service import import_gitlab as run_import

    _imported(obj, output_format, run_import(project, gitlab_project, from_dir, api_url, token_env, since))


@import_group.command("junit")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--run-id", help="The CI run the results belong to (default: each file's name).")
@PROJECT
@IMPORT_OUTPUT
@click.pass_obj
def import_junit(obj: dict, files: tuple[Path, ...], run_id: str | None, project: Path,
                 output_format: str | None) -> None:
    """Test cases of JUnit XML files (outcome, time, failure message)."""
    from ..insights.service import import_junit as run_import

    _imported(obj, output_format, run_import(project, list(files), run_id))


@insights.command("anomalies")
@PROJECT
@SINCE
@output_format_option(("table", "json"), "table", "table for people, json for machines.")
@click.pass_obj
def anomalies(obj: dict, project: Path, since: str | None, output_format: str | None) -> None:
    """Every flagged run: run id, kind (duration, level_shift, failure_rate, flaky, signature, storm), subject
    and why (value, median, MAD, n, threshold)."""
    from ..insights.report import anomalies as listed
    from ..insights.service import load_insights

    items = listed(load_insights(project, since))
    if chosen_format(obj, output_format, "table", ("table", "json")) == "json":
        click.echo(json.dumps(items, indent=2, sort_keys=True))
        return
    _print_findings(items)


def _print_findings(items: list[dict]) -> None:
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"anomalies ({len(items)})")
    for column in ("run", "kind", "subject", "branch", "explanation"):
        table.add_column(column, no_wrap=column in ("run", "kind"))
    for item in items:
        table.add_row(escape(item["run_id"]), item["kind"], escape(item["subject"]), escape(item["branch"] or ""),
                      escape(item["explanation"]))
    render.console().print(table)


REPORT_FORMATS = ("table", "json", "html", "prometheus")


@insights.command("report")
@PROJECT
@SINCE
@output_format_option(REPORT_FORMATS, "table", "table for people, json for machines, html: one offline page with "
                                                "plots, prometheus: a node_exporter textfile.")
@output_file_option("Write the json, html or prometheus report to this file.")
@click.pass_obj
def report(obj: dict, project: Path, since: str | None, output_format: str | None, output_file: Path | None) -> None:
    """Anomalies, flaky jobs, failure signatures, baselines and healing outcomes."""
    from ..insights import report as documents
    from ..insights.history import CIHistory
    from ..insights.service import load_insights
    from ..runs import RunStore, runs_url

    found = load_insights(project, since)
    with RunStore(runs_url(project)) as store:
        history = CIHistory(store)
        healing, tests = history.healing(), history.tests()
    chosen = chosen_format(obj, output_format, "table", REPORT_FORMATS)
    if chosen == "table":
        _print_report(documents.report(found, healing, tests))
        return
    if chosen == "json":
        text = json.dumps(documents.report(found, healing, tests), indent=2, sort_keys=True) + "\n"
    elif chosen == "html":
        from ..insights.html import render_html

        text = render_html(found, healing)
    else:
        text = documents.prometheus(found, healing)
    if is_stdout(output_file):
        click.echo(text, nl=False)
    else:
        from ..files import write_atomically

        write_atomically(output_file, text)


def _print_report(data: dict) -> None:
    from rich.markup import escape
    from rich.table import Table

    console = render.console()
    counts = ", ".join(f"{count} {kind}" for kind, count in data["counts"].items()) or "none"
    console.print(f"[bold]anomalies:[/] {counts}")
    _print_findings(data["anomalies"])
    flaky = Table(title="flaky jobs")
    for column in ("subject", "flakes", "last run", "clean since", "flagged"):
        flaky.add_column(column)
    for entry in data["flaky"]:
        flaky.add_row(escape(entry["subject"]), str(entry["flakes"]), entry["last_run"], str(entry["clean_since"]),
                      "yes" if entry["flagged"] else "cleared")
    console.print(flaky)
    signatures = Table(title="failure signatures")
    for column in ("signature", "class", "kind", "runs", "first seen", "evidence"):
        signatures.add_column(column)
    for entry in data["signatures"][:20]:
        signatures.add_row(escape(entry["id"]), entry["class"], entry["kind"], str(entry["count"]),
                           entry["first_seen"], escape(entry["evidence"][:120]))
    console.print(signatures)
    healing = Table(title="healing outcomes")
    for column in ("class", "action", "succeeded", "failed", "pending", "success rate"):
        healing.add_column(column)
    for entry in data["healing"]:
        healing.add_row(entry["failure_class"], entry["action"], str(entry["succeeded"]), str(entry["failed"]),
                        str(entry["pending"]), "-" if entry["success_rate"] is None else f"{entry['success_rate']:.0%}")
    console.print(healing)
    if data["tests"]:
        tests = Table(title="tests (JUnit)")
        for column in ("suite", "test", "runs", "failed", "last failure"):
            tests.add_column(column)
        for entry in data["tests"][:20]:
            tests.add_row(escape(entry["suite"]), escape(entry["name"]), str(entry["runs"]), str(entry["failed"]),
                          escape((entry["message"] or "")[:100]))
        console.print(tests)


@insights.group("heal")
def heal_group() -> None:
    """Heal CI failures: re-run transient failures (bounded), one issue per persistent signature."""


@heal_group.command("github")
@click.argument("repo", metavar="OWNER/REPO")
@API_URL
@_token_env_option("GITHUB_TOKEN")
@click.option("--apply", "apply_actions", is_flag=True, help="Carry the actions out (default: dry run, only list "
                                                             "them).")
@click.option("--max-attempts", type=click.IntRange(1, 10), default=3, show_default=True,
              help="Re-run a run's failed jobs only while its attempt is below this.")
@PROJECT
@output_format_option(("table", "json"), "table", "table for people, json for machines.")
@click.pass_obj
def heal_github(obj: dict, repo: str, api_url: str | None, token_env: str, apply_actions: bool,
                max_attempts: int, project: Path, output_format: str | None) -> None:
    """Plan (and with --apply, take) the healing actions for the imported runs of OWNER/REPO."""
    from ..insights.service import heal_github as heal

    actions = heal(project, repo, api_url, token_env, apply_actions, max_attempts)
    if chosen_format(obj, output_format, "table", ("table", "json")) == "json":
        click.echo(json.dumps([action.to_dict() for action in actions], indent=2, sort_keys=True))
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title=f"healing ({'applied' if apply_actions else 'dry run: --apply to act'})")
    for column in ("action", "run", "class", "outcome", "detail"):
        table.add_column(column)
    for action in actions:
        table.add_row(action.action, action.run_id, action.failure_class, action.outcome, escape(action.detail))
    render.console().print(table)


@insights.command("generate")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--runs", "runs_per_workflow", type=click.IntRange(1, 100_000), default=400, show_default=True,
              help="Runs per workflow.")
@click.option("--provider", type=click.Choice(["github", "gitlab"]), default="github", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the REST responses and labels.json.")
def generate(seed: int, runs_per_workflow: int, provider: str, out_dir: Path) -> None:
    """A seeded CI history with known labels, as exported REST responses (for trying and testing insights)."""
    from ..insights.generator import generate as make, write_github, write_gitlab

    history = make(seed, runs_per_workflow)
    (write_github if provider == "github" else write_gitlab)(history, out_dir)
    click.echo(f"{len(history.runs)} runs, {len(history.labels)} labels in {out_dir}")
