"""Options several commands share, defined once so their help reads the same everywhere.

The output convention of every command: `-o/--output-file PATH` is always a file to write (`-` or none: stdout),
`--output FORMAT` (aliases `--format`, `-f`) is always a format. A value that belongs to the other option is a
usage error that names the right one, so an old spelling (`nexus cost -o json`, `--output=architecture.md`)
never silently writes a file called "json" or fails with a bare "invalid choice".
"""
from __future__ import annotations

from pathlib import Path

import click

ALLOW_UNSAFE_OVERRIDES = click.option(
    "--allow-unsafe-overrides", "allow_unsafe_overrides", multiple=True, metavar="ADDRESS.KEY",
    help="Accept this override although it is more than an attribute (provisioner, connection, count, for_each, "
         "depends_on, provider, lifecycle, dynamic, a module's source or version), e.g. "
         "aws_s3_bucket.assets.lifecycle; repeat for each. Recorded in nexus.json, the run and the check report.")

BLUEPRINT_VALUES = click.option(
    "--set", "values", multiple=True, metavar="KEY=VALUE",
    help="A blueprint parameter value; repeat for several (lists: --set environments=dev,prod).")


def parse_assignments(items: tuple[str, ...]) -> dict[str, str]:
    """`--set KEY=VALUE` values as a dict; a usage error for anything else."""
    from ..errors import UsageError

    parsed = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--set expects KEY=VALUE, got '{item}'")
        parsed[key.strip()] = value
    return parsed


# Every format any command offers: a bare one of these given as a file is a mistaken --output.
FORMAT_NAMES = frozenset({"table", "text", "json", "sarif", "junit", "markdown", "mermaid", "dot", "html"})


class OutputFile(click.Path):
    """A file to write, or `-` for stdout."""

    name = "output_file"

    def __init__(self) -> None:
        super().__init__(dir_okay=False, allow_dash=True, path_type=Path)

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value in FORMAT_NAMES:
            self.fail(f"'{value}' is a format, and -o/--output-file takes a file: use --output {value} "
                      f"(or -o ./{value} for a file of that name)", param, ctx)
        return super().convert(value, param, ctx)


class OutputFormat(click.Choice):
    """One of a command's formats; a file name here says to use -o/--output-file instead."""

    name = "output_format"

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value not in self.choices and ("." in value or "/" in value):
            self.fail(f"'{value}' is a file, and --output takes a format ({', '.join(self.choices)}): "
                      f"write the file with -o/--output-file {value}", param, ctx)
        return super().convert(value, param, ctx)


def output_file_option(help_text: str):
    return click.option("-o", "--output-file", "output_file", type=OutputFile(), metavar="PATH",
                        help=f"{help_text} `-` (or no -o): stdout.")


def output_format_option(choices: tuple[str, ...], default: str | None, help_text: str,
                         kind: type[OutputFormat] = OutputFormat):
    """`--output FORMAT` with `--format`/`-f` as aliases. Left out, it is `default`, or json under
    `--log-format json` when the command offers json (see `chosen_format`)."""
    shown = f"{default}; json with --log-format json" if default and "json" in choices else default
    return click.option("-f", "--output", "--format", "output_format", type=kind(choices), default=None,
                        show_default=shown or False, help=help_text)


def chosen_format(options: dict | None, given: str | None, default: str, choices: tuple[str, ...]) -> str:
    if given is not None:
        return given
    if (options or {}).get("log_format") == "json" and "json" in choices:
        return "json"
    return default


def is_stdout(output_file: Path | None) -> bool:
    return output_file is None or str(output_file) == "-"
