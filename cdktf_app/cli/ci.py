"""`nexus ci plan-and-check | matrix | merge`: thin click commands over cdktf_app.ci."""
from __future__ import annotations

import contextlib
import json
import sys
from pathlib import Path

import click

from ..tools.terraform import sigterm_stops_like_ctrl_c
from .options import ALLOW_UNSAFE_OVERRIDES

SPEC = click.argument("spec", type=click.Path(dir_okay=False, path_type=Path), default="nexus.yaml")
POST = click.option("--post", type=click.Choice(["github", "gitlab", "none"]), default="none", show_default=True,
                    help="Post the report on the pull/merge request (tokens and ids from the CI's environment).")
COMMENT_WHEN = click.option("--comment-when", type=click.Choice(["always", "changed", "failed"]), default="always",
                            show_default=True, help="With --post: when to write the comment.")


@click.group()
def ci() -> None:
    """CI for pull requests: plan and check a change in one pass, fan out over runners, merge the results."""


@ci.command("plan-and-check")
@SPEC
@click.option("--base", type=click.Path(path_type=Path), metavar="BASE_SPEC",
              help="The spec before the change (the findings it already has are not new).")
@click.option("--base-ref", metavar="GIT_REF", help="Read the base spec from git (`git show REF:./<spec>`), "
                                                    "e.g. origin/main.")
@click.option("--env", "environment", metavar="ENV", help="Only the stacks of this environment.")
@click.option("--stack", "stacks", multiple=True, metavar="NAME",
              help="Only this stack (one entry of `nexus ci matrix`); repeatable.")
@click.option("--sandbox", is_flag=True, help="Plan against a local moto server on 127.0.0.1 (AWS stacks): a "
                                              "real plan without cloud credentials.")
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("nexus-ci"),
              show_default=True, help="Where report.md, nexus.sarif, junit.xml and summary.json are written.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Synth output directory of the head spec (default: cdktf.out beside it).")
@click.option("--fail-on", type=click.Choice(["low", "medium", "high", "critical", "never"]),
              help="Fail (exit 1) on new findings at or above this severity (default: the spec's compliance.gate).")
@POST
@COMMENT_WHEN
@click.option("--workers", type=click.IntRange(1, 64), metavar="N",
              help="Stacks planned at once (default: the machine's cores).")
@click.option("--timeout", type=click.FloatRange(min=1), metavar="SECONDS",
              help="Watchdog for every terraform call (default per phase: init 300, plan 900).")
@click.option("--review", is_flag=True,
              help="Add the five roles' review and their consensus to the report (`nexus review`; a model with "
                   "OPENAI_API_KEY or OPENAI_BASE_URL, else the rule sets). It never changes the outcome.")
@ALLOW_UNSAFE_OVERRIDES
@click.pass_obj
def plan_and_check_command(obj: dict, spec: Path, post: str, comment_when: str, **given) -> None:
    """Spec diff, plan of every changed stack (in parallel), compliance check of the plans (new vs base
    findings, on spec lines), cost delta, deletions first, drift; report.md, nexus.sarif, junit.xml and
    summary.json in --report-dir; recorded in `nexus runs list` as kind ci.

    \b
    Pull request:  nexus ci plan-and-check nexus.yaml --base-ref origin/main --sandbox --post github

    Exit codes: 0 passed, 1 gate failed (new findings at or above --fail-on, or an expired suppression), 2 usage
    or spec error, 4 tooling failure (terraform, checkov or the network).
    """
    from ..ci.plan_and_check import CiOptions, CiToolingFailed, plan_and_check
    from ..deploy import project_state_dir
    from ..nli.pipeline import model_settings_from_environment
    from ..review import ReviewOptions
    from ..sandbox import sandbox_session
    from ..workspace import load

    review = ReviewOptions(model=model_settings_from_environment(None, None)) if given["review"] else None
    options = CiOptions(base=given["base"], base_ref=given["base_ref"], environment=given["environment"],
                        stacks=given["stacks"], fail_on=given["fail_on"], report_dir=given["report_dir"],
                        out_dir=given["out_dir"], workers=given["workers"], timeout=given["timeout"],
                        allow_unsafe_overrides=given["allow_unsafe_overrides"], review=review)
    session = sandbox_session(project_state_dir(load(spec))) if given["sandbox"] else contextlib.nullcontext()
    try:
        with sigterm_stops_like_ctrl_c(), session as sandbox:
            options.sandbox_url = sandbox.url if sandbox is not None else None
            result = plan_and_check(spec, options, on_stage=lambda text: _note(obj, text))
    except CiToolingFailed:
        _post(obj, post, options.report_dir, comment_when)
        raise
    _post(obj, post, options.report_dir, comment_when)
    _show(obj, result.summary, options.report_dir)
    sys.exit(result.exit_code)


def _note(obj: dict, text: str) -> None:
    if obj.get("log_format") == "json":
        click.echo(json.dumps({"level": "info", "stage": text}), err=True)
    else:
        click.echo(f"nexus ci: {text}", err=True)


def _post(obj: dict, target: str, report_dir: Path, comment_when: str) -> None:
    if target == "none":
        return
    from ..ci.outputs import REPORT, read_summary
    from ..ci.posting import post_results

    outcome = post_results(target, report_markdown=(report_dir / REPORT).read_text(encoding="utf-8"),
                           summary=read_summary(report_dir), comment_when=comment_when)
    for line in outcome.lines():
        _note(obj, line)


def _show(obj: dict, summary: dict, report_dir: Path) -> None:
    if obj.get("log_format") == "json":
        click.echo(json.dumps(summary, sort_keys=True))
        return
    totals = summary["totals"]
    click.echo(f"{summary['outcome']}: {totals['add']} to add, {totals['change']} to change, "
               f"{totals['destroy']} to destroy; {totals['new_findings_at_gate']} new finding(s) at or above "
               f"{summary['fail_on']}; {len(summary['spec_changes'])} spec change(s)")
    for row in summary["stacks"]:
        click.echo(f"  {row['name']:<32} {row['status']:<12} +{row['add']} ~{row['change']} -{row['destroy']}"
                   f"  new findings: {row['new_findings']}")
    click.echo(f"report: {report_dir / 'report.md'} (also nexus.sarif, junit.xml, summary.json)")


@ci.command("matrix")
@SPEC
@click.option("--env", "environment", metavar="ENV", help="Only the stacks of this environment.")
@click.pass_obj
def matrix_command(obj: dict, spec: Path, environment: str | None) -> None:
    """Print the stacks to plan as a GitHub Actions matrix (JSON): `strategy.matrix: ${{ fromJSON(...) }}`,
    each job running `nexus ci plan-and-check SPEC --stack ${{ matrix.stack }}`."""
    from ..ci.matrix import matrix

    click.echo(json.dumps(matrix(spec, environment), sort_keys=True))


@ci.command("merge")
@click.argument("folders", nargs=-1, required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("nexus-ci"),
              show_default=True, help="Where the merged report.md, nexus.sarif, junit.xml and summary.json go.")
@POST
@COMMENT_WHEN
@click.pass_obj
def merge_command(obj: dict, folders: tuple[Path, ...], report_dir: Path, post: str, comment_when: str) -> None:
    """Merge the report folders of several plan-and-check jobs (a matrix) into one report; exits as the worst
    of them (0 passed, 1 gate failed, 4 a job's tooling failed)."""
    from ..ci.matrix import merge

    merged = merge(list(folders), report_dir)
    _post(obj, post, report_dir, comment_when)
    _show(obj, merged, report_dir)
    sys.exit({"passed": 0, "failed": 1, "error": 4}[merged["outcome"]])
