"""How the CLI shows results and errors: rich tables for people, JSON for machines (`--log-format json`)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..errors import NexusError
from ..files import write_atomically
from .options import is_stdout


# Wide enough for any row: piped output is read by programs and people's pagers, which need every character.
PIPED_WIDTH = 100_000


def console(stderr: bool = False):
    """The one rich Console of the CLI. On a terminal tables fit its width; piped (not a TTY) nothing is cut
    to 80 columns: tables take the width their cells need, so names and ids are never ellipsised."""
    from rich.console import Console

    out = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not out.is_terminal:
        out.width = PIPED_WIDTH
    return out


def _json(payload: dict, stderr: bool = False) -> None:
    click.echo(json.dumps(payload, sort_keys=True), err=stderr)


def error(error: NexusError, options: dict) -> None:
    if options.get("log_format") == "json":
        _json({"level": "error", "code": error.exit_code, "message": str(error), **error.as_dict()}, stderr=True)
        return
    from rich.markup import escape

    console(stderr=True).print(f"[bold red]error:[/] {escape(str(error))}")


def usage_error(error: click.ClickException) -> None:
    """A command line click rejected, as one JSON object (click prints the text form itself)."""
    _json({"level": "error", "error": "UsageError", "code": error.exit_code, "message": error.format_message(),
           **({"command": error.ctx.command_path} if getattr(error, "ctx", None) else {})}, stderr=True)


def internal_error(error: Exception, options: dict) -> None:
    message = f"internal error ({type(error).__name__}): {str(error).splitlines()[0] if str(error) else ''}"
    if options.get("log_format") == "json":
        _json({"level": "error", "error": "InternalError", "code": 70, "message": message}, stderr=True)
        return
    click.echo(f"error: {message}\nThis is a bug in Nexus; run again with --debug for the traceback.", err=True)


def document(text: str, output_file: Path | None, options: dict, *, private: bool = False, note: str = "",
             **detail) -> None:
    """A command's result document: to stdout, or written to -o/--output-file with one notice on stderr
    (`note` for people, `detail` as fields of the JSON notice)."""
    if is_stdout(output_file):
        click.echo(text, nl=False)
        return
    write_atomically(output_file, text, private=private)
    if options.get("log_format") == "json":
        _json({"level": "info", "result": "written", "file": str(output_file), **detail}, stderr=True)
    else:
        click.echo(f"wrote {output_file}{note}", err=True)


def fixed(result) -> None:
    """What `check --fix` (or auto_remediate before synth) changed in the spec, as one JSON line on stderr."""
    _json({"level": "info", "result": "fixed", "spec": str(result.spec), "passes": result.passes,
           "fixed": [edit.describe() for edit in result.edits],
           "skipped_unsafe": [edit.describe() for edit in result.skipped_unsafe], "diff": result.diff}, stderr=True)


def validated(loaded, options: dict, schema_report=None) -> None:
    """The spec is valid; with `schema_report` (validate --providers) its stacks also match the provider schemas."""
    spec = loaded.spec
    summary = {"file": str(loaded.path), "name": spec.name, "providers": spec.providers.enabled(),
               "environments": spec.environments, "components": len(spec.components),
               "standards": [f"{s.id} {s.version}" for s in spec.compliance.standards]}
    if options.get("log_format") == "json":
        extra = {"provider_schemas": schema_report.as_dict()} if schema_report else {}
        _json({"level": "info", "result": "valid", **summary, **extra})
        return
    click.echo(f"{loaded.path}: valid — {spec.name}: {len(spec.components)} components on "
               f"{', '.join(summary['providers'])}; environments {', '.join(spec.environments)}"
               + (f"; standards {', '.join(summary['standards'])}" if summary["standards"] else ""))
    if schema_report:
        click.echo(f"{loaded.path}: {schema_report.summary()}")


def resource_count(stack_json: Path) -> int:
    data = json.loads(stack_json.read_text(encoding="utf-8"))
    return sum(len(block) for block in data.get("resource", {}).values()) + len(data.get("module", {}))


def synthesized(result, options: dict) -> None:
    rows = [{"stack": stack.name, "provider": stack.provider, "environment": stack.environment,
             "resources": resource_count(result.stack_json(stack.name)),
             "file": str(result.stack_json(stack.name))} for stack in result.stacks]
    if options.get("log_format") == "json":
        _json({"level": "info", "result": "synthesized", "cached": result.cached,
               "seconds": round(result.seconds, 3), "out_dir": str(result.out_dir), "stacks": rows})
        return
    if not rows:
        click.echo("nothing to synthesize: the spec has no components and no edge locations", err=True)
        return
    from rich.table import Table

    table = Table(title=f"synthesized into {result.out_dir}" + (" (unchanged, reused)" if result.cached else ""))
    for column in ("stack", "provider", "environment", "resources", "file"):
        table.add_column(column, justify="right" if column == "resources" else "left")
    for row in rows:
        table.add_row(*(str(row[column]) for column in ("stack", "provider", "environment", "resources", "file")))
    console().print(table)


def blueprint_table(blueprints, options: dict) -> None:
    if options.get("log_format") == "json":
        _json({"blueprints": [{"name": b.name, "title": b.title, "industry": b.industry,
                               "standards": list(b.standards), "summary": b.summary} for b in blueprints]})
        return
    from rich.table import Table

    table = Table(title="Nexus blueprints")
    for column in ("name", "industry", "standards", "summary"):
        table.add_column(column)
    for blueprint in blueprints:
        table.add_row(blueprint.name, blueprint.industry, ", ".join(blueprint.standards) or "-", blueprint.summary)
    console().print(table)


def blueprint_detail(blueprint, options: dict) -> None:
    parameters = [{"name": p.name, "type": p.type, "default": p.default, "description": p.description,
                   "choices": list(p.choices or [])} for p in blueprint.parameters]
    if options.get("log_format") == "json":
        _json({"name": blueprint.name, "title": blueprint.title, "summary": blueprint.summary,
               "standards": list(blueprint.standards), "parameters": parameters})
        return
    from rich.table import Table

    out = console()
    out.print(f"[bold]{blueprint.title}[/] ({blueprint.name}) — {blueprint.summary}")
    table = Table(title="parameters (set with --set KEY=VALUE)")
    for column in ("name", "type", "default", "allowed", "description"):
        table.add_column(column)
    for p in parameters:
        table.add_row(p["name"], p["type"], json.dumps(p["default"]), ", ".join(map(str, p["choices"])) or "-",
                      p["description"])
    out.print(table)


