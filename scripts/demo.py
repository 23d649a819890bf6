"""`make demo`: render a blueprint, validate it, synthesize it, `terraform validate` the AWS stacks, summarize."""
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
    return 1 if failures else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except NexusError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(error.exit_code)
