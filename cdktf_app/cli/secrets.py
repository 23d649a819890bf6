"""`nexus secrets list SPEC`: each secret's kind, store, rotation and readers (library: cdktf_app.secret_catalog)."""
from __future__ import annotations

import json
from pathlib import Path

import click

from . import render
from .options import chosen_format, output_format_option

OUTPUTS = ("table", "json")


@click.group()
def secrets() -> None:
    """Secrets of a spec: managed (the cloud makes and rotates them), generated (Nexus draws them in the store),
    external (read by reference) and dynamic (Vault leases). Components get references, never values."""


@secrets.command("list")
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path), default="nexus.yaml")
@output_format_option(OUTPUTS, "table", "table for people, json for machines.")
@click.pass_obj
def secrets_list(obj: dict, spec: Path, output_format: str | None) -> None:
    """List each secret of SPEC: its kind, the store it is kept in, how it rotates and the components that read it.

    \b
    Examples:
      nexus secrets list nexus.yaml
      nexus secrets list nexus.yaml --output json
    """
    from ..secret_catalog import list_secrets
    from ..spec import load_spec

    entries = list_secrets(load_spec(spec).spec)
    if chosen_format(obj, output_format, "table", OUTPUTS) == "json":
        click.echo(json.dumps({"secrets": [entry.as_dict() for entry in entries]}, indent=2, sort_keys=True))
        return
    if not entries:
        click.echo(f"{spec} declares no secrets")
        return
    from rich.table import Table

    table = Table(title=f"Secrets of {spec}")
    for column in ("secret", "kind", "store", "rotation", "read by"):
        table.add_column(column, no_wrap=column in ("secret", "kind"))
    for entry in entries:
        table.add_row(entry.name, entry.kind, "\n".join(entry.stores), entry.rotation,
                      ", ".join(entry.read_by) or "-")
    render.console().print(table)
