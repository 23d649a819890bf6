"""`nexus review`: renders `cdktf_app.review.review` over what plan-and-check computed; all the work is in the
libraries."""
from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

import click

from ..errors import UsageError
from ..nli import DEFAULT_MODEL
from . import render
from .options import chosen_format, is_stdout, output_file_option, output_format_option

OUTPUTS = ("table", "json", "markdown")


@click.command()
@click.argument("target", metavar="PLAN_OR_SPEC", type=click.Path(path_type=Path), default="nexus-ci")
@click.option("--roles", metavar="ROLE,...", help="Some of security,cost,reliability,release,operations "
                                                  "(default: all five).")
@click.option("--model", metavar="M", default=DEFAULT_MODEL, show_default=True, help="Model name.")
@click.option("--base-url", metavar="URL",
              help="Any OpenAI-compatible server (Ollama, vLLM, Azure OpenAI); default: $OPENAI_BASE_URL.")
@click.option("--offline", is_flag=True, help="The deterministic rule sets, not a model.")
@click.option("--base", type=click.Path(path_type=Path), metavar="BASE_SPEC",
              help="With a spec: the spec before the change (as for `nexus ci plan-and-check`).")
@click.option("--base-ref", metavar="GIT_REF", help="With a spec: read the base spec from git, e.g. origin/main.")
@click.option("--env", "environment", metavar="ENV", help="With a spec: only the stacks of this environment.")
@click.option("--sandbox", is_flag=True, help="With a spec: plan against a local moto server on 127.0.0.1.")
@output_format_option(OUTPUTS, "table", "table for people, json for machines, markdown for pull requests.")
@output_file_option("Write the json or markdown review to this file.")
@click.pass_obj
def review(obj: dict, target: Path, roles: str | None, model: str, base_url: str | None, offline: bool,
           base: Path | None, base_ref: str | None, environment: str | None, sandbox: bool,
           output_format: str | None, output_file: Path | None) -> None:
    """Review a change with five roles (security, cost, reliability, release, operations) and their consensus.

    \b
    PLAN_OR_SPEC is the report folder of `nexus ci plan-and-check` (or its summary.json): the plan summary,
    findings, cost delta and spec diff it computed are what every role is shown. Given a spec instead,
    plan-and-check runs first (with --base/--base-ref, --env, --sandbox as there).
    With a model (OPENAI_API_KEY, or --base-url) each role answers in one JSON schema; the answer is untrusted:
    checked against the schema, concerns naming what the change does not have dropped, its text never obeyed.
    Without one, the same roles run as deterministic rule sets, and the result says so.
    A review only comments: it never changes the plan, the gate or what is applied.
    \b
    Exit codes: 0 reviewed (whatever the verdict; a model that fails leaves it to the rule sets), 2 usage or spec
    error, 4 a check that could not run.
    Examples:
      nexus ci plan-and-check nexus.yaml --base-ref origin/main --sandbox && nexus review nexus-ci
      nexus review nexus-ci --roles security,reliability --output markdown -o review.md
      nexus review nexus.yaml --base-ref origin/main --sandbox --offline
    """
    from ..nli.pipeline import model_settings_from_environment
    from ..review import ReviewOptions, review as run
    from ..review.engine import chosen_roles

    output = chosen_format(obj, output_format, "table", OUTPUTS)
    if output == "table" and not is_stdout(output_file):
        raise UsageError("-o/--output-file needs a file format: --output json|markdown")
    options = ReviewOptions(roles=chosen_roles(roles), offline=offline,
                            model=model_settings_from_environment(model, base_url))
    result = run(_summary(target, base, base_ref, environment, sandbox), options).as_dict()
    if output == "table":
        _print_table(result)
    elif output == "json":
        render.document(json.dumps(result, indent=2, sort_keys=True, allow_nan=False) + "\n", output_file, obj)
    else:
        from ..review.render import review_markdown

        render.document(review_markdown(result), output_file, obj)


def _summary(target: Path, base: Path | None, base_ref: str | None, environment: str | None, sandbox: bool) -> dict:
    """The plan-and-check summary to review: read from its folder, or computed for a spec."""
    from ..ci.outputs import SUMMARY, read_summary

    if target.is_dir():
        return read_summary(target)
    if target.name == SUMMARY:
        return read_summary(target.parent)
    if not target.exists():
        raise UsageError(f"{target}: no such file or folder (a plan-and-check report folder, or a spec)")
    if target.suffix == ".json":
        raise UsageError(f"{target}: a plan JSON alone has no findings, cost or spec diff to review; run "
                         "`nexus ci plan-and-check` on the spec and review its report folder")
    return _plan_and_check(target, base, base_ref, environment, sandbox)


def _plan_and_check(spec: Path, base: Path | None, base_ref: str | None, environment: str | None,
                    sandbox: bool) -> dict:
    from ..ci.plan_and_check import CiOptions, plan_and_check
    from ..deploy import project_state_dir
    from ..sandbox import sandbox_session
    from ..tools.terraform import sigterm_stops_like_ctrl_c
    from ..workspace import load

    session = sandbox_session(project_state_dir(load(spec))) if sandbox else contextlib.nullcontext()
    with tempfile.TemporaryDirectory(prefix="nexus-review-") as scratch, sigterm_stops_like_ctrl_c(), \
            session as running:
        options = CiOptions(base=base, base_ref=base_ref, environment=environment, report_dir=Path(scratch),
                            sandbox_url=running.url if running is not None else None)
        return plan_and_check(spec, options).summary


def _print_table(result: dict) -> None:
    from rich.table import Table

    console = render.console()
    consensus = result["consensus"]
    table = Table(title=f"Review of {result['change']['spec']} ({result['source']})")
    for column in ("role", "verdict", "confidence", "concerns", "source"):
        table.add_column(column, justify="right" if column in ("confidence", "concerns") else "left")
    for role in result["roles"]:
        table.add_row(role["role"], role["verdict"], f"{role['confidence']:.2f}", str(len(role["concerns"])),
                      role["source"])
    console.print(table)
    console.print(f"consensus: {consensus['verdict']} (confidence {consensus['confidence']:.2f})", style="bold",
                  markup=False)
    for item in consensus["disagreements"]:
        console.print(f"  {item['verdict']}: {', '.join(item['roles'])}", markup=False)
    for role in result["roles"]:
        for concern in role["concerns"]:
            where = " ".join(anchor for anchor in (concern["resource"], concern["spec_line"]) if anchor)
            console.print(f"  {role['role']} [{concern['severity']}] {where or 'the change'}: "
                          f"{concern['explanation']}", markup=False, highlight=False)
        if role["note"]:
            console.print(f"  {role['role']}: {role['note']}", markup=False, highlight=False)
    console.print(f"rule: {consensus['rule']}", markup=False, highlight=False)
