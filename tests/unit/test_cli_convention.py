"""One output convention on every command: `-o/--output-file PATH` is a file, `--output FORMAT` (`--format`, `-f`)
a format; old spellings that meant the other thing are usage errors naming the right option; README examples
parse."""
from __future__ import annotations

import json
import re
import shlex

import click
import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.cli.options import OutputFile, OutputFormat
from cdktf_app.paths import repo_root


def leaf_commands(group: click.Group = cli, prefix: tuple[str, ...] = ()):
    """Every command that runs: the leaves, and the groups that run without a subcommand (`nexus cost TARGET`)."""
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            if command.invoke_without_command:
                yield (*prefix, name), command
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield (*prefix, name), command


LEAVES = list(leaf_commands())


def options_of(command: click.Command) -> list[click.Option]:
    return [param for param in command.params if isinstance(param, click.Option)]


@pytest.mark.parametrize("path, command", LEAVES, ids=[" ".join(path) for path, _ in LEAVES])
def test_every_file_option_is_o_output_file_and_every_format_option_is_output(path, command):
    for option in options_of(command):
        names = set(option.opts) | set(option.secondary_opts)
        if names & {"-o", "--output-file"}:
            assert names == {"-o", "--output-file"} and isinstance(option.type, OutputFile), (path, names)
            assert option.type.dir_okay is False and option.type.allow_dash
        if names & {"-f", "--output", "--format"}:
            assert names == {"-f", "--output", "--format"}, (path, names)
            assert isinstance(option.type, OutputFormat) and option.default is None, path
        if isinstance(option.type, click.Path) and not isinstance(option.type, OutputFile):
            assert option.type.dir_okay, f"{' '.join(path)} {option.opts}: a file option that is not -o"


@pytest.mark.parametrize("path, command", LEAVES, ids=[" ".join(path) for path, _ in LEAVES])
def test_help_shows_output_file_as_a_path_and_output_as_a_choice(path, command):
    text = CliRunner().invoke(cli, [*path, "--help"]).output
    flat = " ".join(text.split())
    declared = {name for option in options_of(command) for name in option.opts}
    assert ("-o, --output-file PATH" in flat) == ("-o" in declared), path
    if "--output" in declared:
        choices = "|".join(next(o for o in options_of(command) if "--output" in o.opts).type.choices)
        assert f"-f, --output, --format [{choices}]" in flat, path


def test_the_commands_that_write_documents_all_take_o():
    takes_o = {" ".join(path) for path, command in LEAVES
               if any("-o" in option.opts for option in options_of(command))}
    assert takes_o == {"blueprints render", "bundle", "bundle keygen", "check", "cost", "drift", "generate",
                       "insights report", "keys generate", "optimize", "review", "schema", "visualize"}


def parse(arguments: list[str]) -> None:
    """Parse a command line down to its leaf command, as `nexus` would, without running it."""
    command: click.Command = cli
    context = command.make_context("nexus", list(arguments))
    while isinstance(command, click.Group):
        # click < 9 keeps the subcommand name apart from the rest of the arguments
        remaining = [*getattr(context, "_protected_args", ()), *context.args]
        if not remaining and command.invoke_without_command:
            return
        name, command, rest = command.resolve_command(context, remaining)
        context = command.make_context(name, rest, parent=context)


def readme_examples() -> list[str]:
    text = (repo_root() / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S)
    lines = []
    for block in blocks:
        for line in block.replace("\\\n", " ").splitlines():   # a continued line is one command
            found = re.search(r"(?:^|&&\s*|^\S+=\S+\s+)(?:\.venv/bin/)?nexus (.*)", line)
            if found:
                command = re.split(r"\s+(?:#|\||>|&&)\s*", found.group(1))[0]
                lines.append(command)
    return lines


def test_every_readme_example_parses():
    examples = readme_examples()
    assert len(examples) >= 20 and any("-o nexus.sarif" in line for line in examples)
    for example in examples:
        try:
            parse(shlex.split(example.replace("RUN_ID", "abc").replace("[--output json]", "")))
        except click.BadParameter as error:
            if "does not exist" not in error.format_message():    # an input file the example's reader has
                pytest.fail(f"README example `nexus {example}` does not parse: {error.format_message()}")
        except click.UsageError as error:
            pytest.fail(f"README example `nexus {example}` does not parse: {error.format_message()}")


@pytest.mark.parametrize("arguments, hint", [
    (["cost", "nexus.yaml", "-o", "json"], "use --output json"),
    (["packs", "list", "-o", "json"], "No such option '-o'"),  # packs writes no file: -o is gone
    (["check", "nexus.yaml", "--output", "report.sarif"], "write the file with -o/--output-file report.sarif"),
    (["runs", "list", "--output", "./runs.json"], "-o/--output-file ./runs.json"),
])
def test_an_old_spelling_is_a_usage_error_that_names_the_right_option(arguments, hint):
    result = CliRunner().invoke(cli, arguments)
    assert result.exit_code == 2 and hint in " ".join(result.output.split()), result.output


def test_visualize_takes_the_products_own_spelling_of_a_file(tmp_path):
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text('resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n', encoding="utf-8")
    page = tmp_path / "architecture.md"
    result = CliRunner().invoke(cli, ["visualize", str(infra), "--format=mermaid", f"--output={page}"])
    assert result.exit_code == 0, result.output
    assert page.read_text(encoding="utf-8").startswith("#") and "```mermaid" in page.read_text(encoding="utf-8")
    both = CliRunner().invoke(cli, ["visualize", str(infra), "--output", str(page), "-o", str(page)])
    assert both.exit_code == 2 and "name the file once" in both.output


def test_output_file_writes_the_document_and_dash_is_stdout(tmp_path):
    target = tmp_path / "nexus.schema.json"
    written = CliRunner().invoke(cli, ["schema", "-o", str(target)])
    assert written.exit_code == 0 and written.stdout == "" and f"wrote {target}" in written.stderr
    printed = CliRunner().invoke(cli, ["schema", "-o", "-"])
    assert printed.exit_code == 0 and json.loads(printed.stdout) == json.loads(target.read_text())
    long_form = CliRunner().invoke(cli, ["--log-format", "json", "schema", "--output-file", str(tmp_path / "s.json")])
    assert json.loads(long_form.stderr) == {"level": "info", "result": "written", "file": str(tmp_path / "s.json")}


def test_format_is_an_alias_of_output_and_log_format_json_makes_json_the_default():
    as_output = CliRunner().invoke(cli, ["packs", "list", "--output", "json"])
    assert as_output.exit_code == 0 and json.loads(as_output.stdout)["packs"]
    assert CliRunner().invoke(cli, ["packs", "list", "--format", "json"]).stdout == as_output.stdout
    assert CliRunner().invoke(cli, ["packs", "list", "-f", "json"]).stdout == as_output.stdout
    assert CliRunner().invoke(cli, ["--log-format", "json", "packs", "list"]).stdout == as_output.stdout
    table = CliRunner().invoke(cli, ["--log-format", "json", "packs", "list", "--output", "table"]).stdout
    assert "Nexus compliance packs" in table


def test_cost_writes_markdown_to_a_file_and_refuses_a_table_there(tmp_path):
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text('resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n', encoding="utf-8")
    report = tmp_path / "cost.md"
    result = CliRunner().invoke(cli, ["cost", str(infra), "--output", "markdown", "-o", str(report)])
    assert result.exit_code == 0, result.output
    assert report.read_text().startswith("## Monthly cost estimate") and result.stdout == ""
    refused = CliRunner().invoke(cli, ["cost", str(infra), "-o", str(report)])
    assert refused.exit_code == 2 and "needs a file format" in refused.output
