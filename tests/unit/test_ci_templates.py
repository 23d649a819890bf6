"""The CI templates users copy (templates/ci, .pre-commit-hooks.yaml): valid for the tools that read them, checked
offline with maintained validators (check-jsonschema's vendored GitHub workflow and GitLab CI schemas, pre-commit's
own manifest and config validation), and every `nexus` command in them exists with those flags and values.
tests/integration/test_ci_templates_run.py runs them."""
from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.paths import repo_root
from cdktf_app.project import HOOKS, PRE_COMMIT, WORKFLOW_TEMPLATE, init_project

BIN = Path(sys.executable).parent
GITHUB_WORKFLOW = repo_root() / WORKFLOW_TEMPLATE
GITLAB_JOB = repo_root() / "templates/ci/gitlab/nexus.gitlab-ci.yml"
PRE_COMMIT_HOOKS = repo_root() / HOOKS


def validate(schema: str, path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "check-jsonschema"), "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("schema, template, breakage", [
    ("vendor.github-workflows", GITHUB_WORKFLOW, ("runs-on: ubuntu-latest", "run-on: ubuntu-latest")),
    ("vendor.gitlab-ci", GITLAB_JOB, ("  script:\n", "  scripts:\n"))])
def test_templates_pass_their_hosts_schemas(tmp_path, schema, template, breakage):
    checked = validate(schema, template)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    broken = tmp_path / template.name
    broken.write_text(template.read_text().replace(*breakage, 1))
    assert validate(schema, broken).returncode == 1     # the validator would see a mistake


def test_pre_commit_accepts_the_hooks_and_the_config_nexus_init_writes(tmp_path):
    project = init_project(tmp_path / "p").directory
    for command, path in (("validate-manifest", PRE_COMMIT_HOOKS), ("validate-config", project / PRE_COMMIT)):
        checked = subprocess.run([str(BIN / "pre-commit"), command, str(path)], capture_output=True, text=True,
                                 timeout=120)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def shell_texts() -> dict[str, list[str]]:
    """Every shell script of the templates: GitHub `run:` steps, GitLab script lines, hook entry + args."""
    workflow = yaml.safe_load(GITHUB_WORKFLOW.read_text())
    gitlab = yaml.safe_load(GITLAB_JOB.read_text())["nexus-plan-and-check"]
    hooks = yaml.safe_load(PRE_COMMIT_HOOKS.read_text())
    return {"github": [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step],
            "gitlab": gitlab["before_script"] + gitlab["script"],
            "pre-commit": [shlex.join([*hook["entry"].split(), *hook["args"]]) for hook in hooks]}


def nexus_invocations(script: str) -> list[list[str]]:
    """The argument lists of the `nexus` commands in a shell script (inside `$(...)` and `&&` chains too)."""
    found = []
    for segment in re.split(r"&&|\|\||[;|\n]|\$\(|\)", script):
        words = shlex.split(segment) if "nexus" in segment else []
        if words and words[0] == "nexus":
            found.append(words[1:])
    return found


def resolve(arguments: list[str]) -> tuple[click.Command, list[str], list[str]]:
    """The click command named by the leading words, the path to it, and the arguments after it."""
    command, path, rest = cli, [], list(arguments)
    while isinstance(command, click.Group) and rest and rest[0] in command.commands:
        path.append(rest[0])
        command = command.commands[rest.pop(0)]
    return command, path, rest


def test_every_nexus_command_in_the_templates_exists_with_those_flags():
    invocations = {name: [words for script in scripts for words in nexus_invocations(script)]
                   for name, scripts in shell_texts().items()}
    assert [" ".join(resolve(words)[1]) for words in invocations["github"]] == ["ci matrix", "ci plan-and-check",
                                                                                 "ci merge"]
    assert [" ".join(resolve(words)[1]) for words in invocations["gitlab"]] == ["ci plan-and-check"]
    assert [" ".join(resolve(words)[1]) for words in invocations["pre-commit"]] == ["validate", "check"]
    for words in (words for found in invocations.values() for words in found):
        command, path, rest = resolve(words)
        shown = CliRunner().invoke(cli, [*path, "--help"])
        assert shown.exit_code == 0 and not isinstance(command, click.Group), (words, shown.output)
        options = {opt: param for param in command.params if isinstance(param, click.Option) for opt in param.opts}
        for index, word in enumerate(rest):
            if not word.startswith("--"):
                continue
            assert word in options and word in shown.output, f"nexus {' '.join(path)}: no option {word}"
            param = options[word]
            if isinstance(param.type, click.Choice):
                assert rest[index + 1] in param.type.choices, (words, word)


def test_no_expression_is_pasted_into_a_script():
    """`${{ ... }}` inside `run:` is pasted into the shell before it runs: a stack name from a pull request's
    spec could run code there. Values reach scripts through `env:`."""
    assert all("${{" not in script for script in shell_texts()["github"])
