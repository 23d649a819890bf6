"""`make demo`: render a blueprint, validate it, synthesize it, `terraform validate` the AWS stacks, summarize,
then deploy its dev AWS stack to a local sandbox (moto) with real terraform and check it there with boto3."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cdktf_app.blueprints.catalog import render_blueprint
from cdktf_app.cli.render import resource_count
from cdktf_app.errors import NexusError
from cdktf_app.paths import repo_root
from cdktf_app.spec import load_spec
from cdktf_app.stacks.synth import synth
from cdktf_app.tools.terraform import ensure_cli_config, validate_stack

BLUEPRINT = "fintech"


def main() -> int:
    console = Console(highlight=False)
    work = repo_root() / ".nexus" / "demo"
    work.mkdir(parents=True, exist_ok=True)
    spec_file = work / "nexus.yaml"
    spec_file.write_text(render_blueprint(BLUEPRINT, {"region": "eu-west-1"}), encoding="utf-8")
    console.print(f"1. rendered blueprint [bold]{BLUEPRINT}[/] (region=eu-west-1) -> {spec_file}")
    loaded = load_spec(spec_file)
    console.print(f"2. validated: {len(loaded.spec.components)} components, standards "
                  f"{', '.join(f'{s.id} {s.version}' for s in loaded.spec.compliance.standards)}")
    result = synth(loaded, work / "cdktf.out")
    console.print(f"3. synthesized {len(result.stacks)} stacks in {result.seconds:.1f}s"
                  + (" (unchanged spec: output reused)" if result.cached else ""))
    cli_config = ensure_cli_config(repo_root() / ".nexus")
    table = Table(title="Nexus demo")
    for column in ("stack", "provider", "resources", "terraform validate", "seconds"):
        table.add_column(column)
    failures = 0
    for stack in result.stacks:
        verdict, seconds = "not run (no provider here)", ""
        if stack.provider == "aws":
            started = time.perf_counter()
            outcome = validate_stack(result.stack_dir(stack.name), cli_config)
            seconds = f"{time.perf_counter() - started:.1f}"
            verdict = "[green]valid[/]" if outcome.ok else f"[red]failed[/]: {outcome.output.strip()[-300:]}"
            failures += not outcome.ok
        table.add_row(stack.name, stack.provider, str(resource_count(result.stack_json(stack.name))), verdict,
                      seconds)
    console.print(table)
    if failures:
        return 1
    return deploy_to_sandbox(console, spec_file, loaded)


def deploy_to_sandbox(console: Console, spec_file: Path, loaded) -> int:
    """4. The dev AWS stack applied to a throwaway moto server; the gate's findings are overridden (recorded)."""
    import boto3

    from cdktf_app.cli.render_deploy import ProgressReporter
    from cdktf_app.deploy import DeployOptions, project_state_dir, run
    from cdktf_app.sandbox import sandbox_session

    console.print("4. deploying the dev AWS stack to a local sandbox (moto on 127.0.0.1; RDS and load balancer "
                  "waiters take a few minutes)")
    with sandbox_session(project_state_dir(loaded)) as sandbox, ProgressReporter() as reporter:
        record = run(spec_file, DeployOptions(
            command="deploy", environment="dev", sandbox_url=sandbox.url, auto_approve=True, override_gate=True,
            reason="demo in a throwaway sandbox; `nexus check` lists the findings"), reporter)
        s3 = boto3.client("s3", endpoint_url=sandbox.url, region_name="eu-west-1", aws_access_key_id="test",
                          aws_secret_access_key="test")
        buckets = [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
        encrypted = [name for name in buckets if s3.get_bucket_encryption(Bucket=name)[
            "ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"]]
    console.print(f"   {record.outcome}: {record.added} resources in {record.duration_seconds:.0f}s (run {record.id}, "
                  f"`nexus runs show {record.id} --project {spec_file.parent}`); {len(encrypted)}/{len(buckets)} "
                  "buckets encrypted in the sandbox; the sandbox is stopped, so nothing is left behind")
    return 0 if record.outcome == "succeeded" and buckets and len(encrypted) == len(buckets) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except NexusError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
