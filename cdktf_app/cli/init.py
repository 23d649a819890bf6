"""`nexus init`: a project folder for `nexus` and the cdktn/cdktf CLI (cdktf_app.project)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from .options import BLUEPRINT_VALUES, parse_assignments


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--blueprint", metavar="NAME", help="Start from this blueprint (see `nexus blueprints list`).")
@BLUEPRINT_VALUES
@click.option("-p", "--prompt", help="Start from this description, drafted offline as `nexus generate --offline`.")
@click.option("--force", is_flag=True, help="Overwrite the project's files where they exist.")
@click.pass_obj
def init(obj: dict, directory: Path, blueprint: str | None, values: tuple[str, ...], prompt: str | None,
         force: bool) -> None:
    """Make a project folder that `nexus` and `cdktn synth/deploy` (or `cdktf`) both run in.

    \b
    Writes nexus.yaml (the blueprint rendered, the prompt drafted offline, or a small commented starter),
    cdktf.json (its app runs this Nexus install, from any folder), .gitignore, a GitHub Actions workflow
    (nexus check, nexus plan) and .pre-commit-config.yaml (nexus validate, nexus check). Refuses to
    overwrite any of them (exit 2, naming them) unless --force.

    \b
    Examples:
      nexus init my-app
      nexus init shop --blueprint ecommerce --set region=eu-west-1
      nexus init portal -p "HIPAA patient portal on AWS in eu-west-1 with MySQL"
      cd my-app && cdktn synth        # the same cdktf.out as `nexus synth`, gated like `nexus deploy`
    """
    from ..project import init_project

    result = init_project(directory, blueprint=blueprint, values=parse_assignments(values), prompt=prompt,
                          force=force)
    if obj.get("log_format") == "json":
        click.echo(json.dumps({"directory": str(result.directory), "files": [str(f) for f in result.files],
                               "spec": result.spec_source, "notes": list(result.notes)}, sort_keys=True))
        return
    click.echo(f"made a Nexus project in {result.directory} (spec from {result.spec_source}):")
    for name in result.files:
        click.echo(f"  {name}")
    for note in result.notes:
        click.echo(f"note: {note}")
    click.echo(f"next: cd {result.directory} && nexus check && cdktn synth")
