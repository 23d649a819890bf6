"""The `nexus` command: a thin layer over the library. Every command calls one library function and prints."""
from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, MutableMapping
from pathlib import Path

import click

from .. import __version__
from ..errors import NexusError
from . import render
from .options import ALLOW_UNSAFE_OVERRIDES, BLUEPRINT_VALUES, is_stdout, output_file_option, parse_assignments


class NexusGroup(click.Group):
    """Turns every NexusError into a clear message and its exit code; never a traceback unless --debug. Under
    --log-format json every error, click's usage errors included, is one JSON object on stderr."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        words = list(args)  # click consumes `args` as it parses
        try:
            return super().parse_args(ctx, args)
        except click.ClickException as error:  # before --log-format is parsed: look for it in the raw words
            if _asks_for_json(words):
                render.usage_error(error)
                sys.exit(error.exit_code)
            raise

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except NexusError as error:
            render.error(error, ctx.obj or {})
            sys.exit(error.exit_code)
        except click.ClickException as error:
            if (ctx.obj or {}).get("log_format") == "json":
                render.usage_error(error)
                sys.exit(error.exit_code)
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:  # an internal bug: say so, keep the traceback for --debug
            if (ctx.obj or {}).get("debug"):
                raise
            render.internal_error(error, ctx.obj or {})
            sys.exit(70)


class LazyCommands(MutableMapping):
    """A group's commands by name, where a command may still be "module:attribute" (relative to this package):
    looking it up imports it. Listing the names imports nothing."""

    def __init__(self, loaded: dict[str, click.Command], lazy: dict[str, str]) -> None:
        self._loaded = dict(loaded)
        self._lazy = {name: where for name, where in lazy.items() if name not in self._loaded}

    def __getitem__(self, name: str) -> click.Command:
        if name not in self._loaded:
            module, _, attribute = self._lazy[name].partition(":")
            self._loaded[name] = getattr(importlib.import_module(module, __package__), attribute)
        return self._loaded[name]

    def __setitem__(self, name: str, command: click.Command) -> None:
        self._loaded[name] = command
        self._lazy.pop(name, None)

    def __delitem__(self, name: str) -> None:
        if self._loaded.pop(name, None) is None:
            del self._lazy[name]

    def __contains__(self, name: object) -> bool:
        return name in self._loaded or name in self._lazy

    def __iter__(self) -> Iterator[str]:
        return iter([*self._loaded, *self._lazy])

    def __len__(self) -> int:
        return len(self._loaded) + len(self._lazy)


def _asks_for_json(args: list[str]) -> bool:
    return "--log-format=json" in args or any(a == "--log-format" and b == "json" for a, b in zip(args, args[1:]))


@click.group(cls=NexusGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="nexus")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: errors and results as JSON lines on stderr/stdout, for machines.")
@click.option("--debug", is_flag=True, envvar="NEXUS_DEBUG", help="Show tracebacks of internal errors.")
@click.option("--no-worker", is_flag=True,
              help="Synthesize in this process, not in the project's warm synth worker (.nexus/synth-worker/; "
                   "NEXUS_SYNTH_WORKER=off does the same).")
@click.pass_context
def cli(ctx: click.Context, log_format: str, debug: bool, no_worker: bool) -> None:
    """Nexus: describe infrastructure once, get compliant Terraform for AWS, GCP, Azure and edge sites.

    \b
    A typical session:
      nexus blueprints list
      nexus blueprints render fintech --set region=eu-west-1 -o nexus.yaml
      nexus validate nexus.yaml
      nexus synth nexus.yaml          # cdktf.out/stacks/<stack>/cdk.tf.json
    """
    from ..synth_worker.switch import session

    ctx.obj = {**(ctx.obj or {}), "log_format": log_format, "debug": debug}
    ctx.with_resource(session(enabled=not no_worker))


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--providers", is_flag=True,
              help="Also synthesize and check every resource against its provider's schema, offline (derived from "
                   "the installed bindings, cached): exit 2 with the spec line of each argument a provider rejects.")
@click.pass_obj
def validate(obj: dict, spec: Path, providers: bool) -> None:
    """Check a spec: YAML, keys, types, ranges and references. Exit 2 with one line per problem."""
    from ..spec import load_spec

    loaded = load_spec(spec)
    if providers:
        from ..provider_schema.report import validate_providers

        render.validated(loaded, obj, validate_providers(loaded))
        return
    render.validated(loaded, obj)


@cli.command()
@output_file_option("Write the schema to this file.")
@click.pass_obj
def schema(obj: dict, output_file: Path | None) -> None:
    """Print the JSON Schema of the Nexus spec (for editors, CI linters and LLM prompts)."""
    from ..spec.schema import spec_json_schema_text

    render.document(spec_json_schema_text(), output_file, obj)


@cli.command()
@click.argument("spec", type=click.Path(dir_okay=False, path_type=Path), default="nexus.yaml")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output directory (cdktf's layout: OUT/stacks/<stack>/cdk.tf.json). Default: CDKTF_OUTDIR when "
                   "set, else cdktf.out beside the spec.")
@click.option("--no-cache", is_flag=True, help="Run the CDK app even if the spec is unchanged.")
@ALLOW_UNSAFE_OVERRIDES
@click.pass_obj
def synth(obj: dict, spec: Path, out_dir: Path | None, no_cache: bool, allow_unsafe_overrides: tuple[str, ...]) -> None:
    """Compile a spec into Terraform JSON: one stack per environment x provider, one per edge location.

    Also writes OUT/manifest.json (cdktn's), OUT/provenance.json (resource -> spec line) and OUT/nexus.json.
    With `compliance.auto_remediate: true` the safe fixes of `nexus check --fix` are applied to the spec first.
    Every stack is checked against its provider's schema, offline (`nexus validate --providers`).
    An unchanged spec reuses the previous output (a content hash of spec, Nexus and binding versions).
    """
    from ..stacks import preload

    if obj.get("one_command"):  # before the imports below: they run while Node loads the bindings
        preload.one_synth_process(spec, out_dir, use_cache=not no_cache)
    from ..build import build
    from ..provider_schema.report import check_synthesized
    from .check import show_fix

    built = build(spec, out_dir, use_cache=not no_cache, allow_unsafe_overrides=allow_unsafe_overrides)
    if obj.get("one_command"):
        preload.release_node()
    if built.remediation is not None and built.remediation.changed:
        show_fix(built.remediation, obj)
    check_synthesized(built.result)
    render.synthesized(built.result, obj)


@cli.group()
def blueprints() -> None:
    """Industry blueprints: templates that render to Nexus specs."""


@blueprints.command("list")
@click.pass_obj
def blueprints_list(obj: dict) -> None:
    """List the blueprints with their industry and the standards they declare."""
    from ..blueprints.catalog import list_blueprints

    render.blueprint_table(list_blueprints(), obj)


@blueprints.command("show")
@click.argument("name")
@click.pass_obj
def blueprints_show(obj: dict, name: str) -> None:
    """Show a blueprint's parameters, their defaults and allowed values."""
    from ..blueprints.catalog import get_blueprint

    render.blueprint_detail(get_blueprint(name), obj)


@blueprints.command("render")
@click.argument("name")
@BLUEPRINT_VALUES
@output_file_option("Write the spec to this file (refuses to overwrite unless --force).")
@click.option("--force", is_flag=True, help="Overwrite the output file if it exists.")
@click.pass_obj
def blueprints_render(obj: dict, name: str, values: tuple[str, ...], output_file: Path | None, force: bool) -> None:
    """Render a blueprint to a Nexus spec (validated before it is written)."""
    from ..blueprints.catalog import render_blueprint
    from ..errors import UsageError

    text = render_blueprint(name, parse_assignments(values))
    if not is_stdout(output_file) and output_file.exists() and not force:
        raise UsageError(f"{output_file} exists; pass --force to overwrite it")
    render.document(text, output_file, obj)


# Commands of other concerns live in their own modules (cli/<concern>.py), listed here by name and imported only
# when a command line names them (or --help lists them): `nexus synth` does not load the visualizer, the cost
# catalogues or boto3.
cli.commands = LazyCommands(cli.commands, {
    "visualize": ".visualize:visualize",
    "cost": ".cost:cost",
    "optimize": ".optimize:optimize",
    "review": ".review:review",
    "generate": ".generate:generate",
    "check": ".check:check",
    "plan": ".deploy:plan",
    "deploy": ".deploy:deploy",
    "destroy": ".deploy:destroy",
    "drift": ".drift:drift",
    "runs": ".runs:runs",
    "insights": ".insights:insights",
    "sandbox": ".sandbox:sandbox",
    "packs": ".packs:packs",
    "init": ".init:init",
    "ci": ".ci:ci",
    "keys": ".keys:keys",
    "key-provider": ".keys:key_provider",
    "release": ".release:release",
    "bundle": ".bundle:bundle",
    "secrets": ".secrets:secrets",
    "watch": ".watch:watch",
})

def main() -> None:
    """The `nexus` executable: one command, then the process exits (what lets synth load bindings ahead)."""
    cli(prog_name="nexus", obj={"one_command": True})


if __name__ == "__main__":
    main()

