"""`nexus init`: the files a project gets, the refusal to overwrite them, and the cdktf.json app that runs the
installed Nexus from any folder. `nexus sandbox env` refuses when no sandbox runs."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml
from click.testing import CliRunner

from cdktf_app.blueprints.catalog import render_blueprint
from cdktf_app.cli.main import cli
from cdktf_app.paths import repo_root
from cdktf_app.project import CDKTF_JSON, GITIGNORE, HOOKS, PRE_COMMIT, SPEC_FILE, WORKFLOW, WORKFLOW_TEMPLATE, \
    init_project
from cdktf_app.spec import load_spec

PROJECT_FILES = {SPEC_FILE, CDKTF_JSON, GITIGNORE, WORKFLOW, PRE_COMMIT}


def nexus(*arguments: str):
    return CliRunner().invoke(cli, list(arguments))


def test_init_writes_a_project_that_loads(tmp_path):
    project = tmp_path / "My Shop_2"
    result = nexus("init", str(project))
    assert result.exit_code == 0, result.output
    written = {str(path.relative_to(project)) for path in project.rglob("*") if path.is_file()}
    assert written == PROJECT_FILES
    spec = load_spec(project / SPEC_FILE).spec
    assert spec.name == "my-shop-2" and set(spec.components) == {"jobs", "files"}
    assert (project / SPEC_FILE).read_text().startswith("# A Nexus spec")


def test_cdktf_json_runs_this_install_from_anywhere_and_ids_are_unique(tmp_path):
    first, second = init_project(tmp_path / "a"), init_project(tmp_path / "b")
    configs = [json.loads((result.directory / CDKTF_JSON).read_text()) for result in (first, second)]
    assert configs[0]["projectId"] != configs[1]["projectId"]
    for config in configs:
        assert config["language"] == "python"
        assert config["app"].split() == [sys.executable, "-m", "cdktf_app"]
        assert config["app"].startswith("/")


def test_the_app_command_runs_from_another_folder(tmp_path):
    """What the cdktn CLI does with `app`: /bin/sh -c APP in the project folder; no venv on PATH, none active."""
    project = init_project(tmp_path / "elsewhere").directory
    app = json.loads((project / CDKTF_JSON).read_text())["app"]
    run = subprocess.run(["/bin/sh", "-c", app], cwd=project, capture_output=True, text=True, timeout=300,
                         env={"PATH": "/usr/bin:/bin", "HOME": os.environ["HOME"]})
    assert (run.returncode, run.stderr) == (0, "")
    assert run.stdout == "1 stacks in cdktf.out\n"
    assert (project / "cdktf.out" / "stacks" / "elsewhere-dev-aws" / "cdk.tf.json").is_file()


def test_ignore_and_ci_templates(tmp_path):
    """The workflow and hooks a project gets are Nexus's templates (tests/unit/test_ci_templates.py), not copies."""
    project = init_project(tmp_path / "p").directory
    ignored = (project / GITIGNORE).read_text().split()
    assert {"cdktf.out/", ".nexus/", "*.tfstate*", ".terraform/", "*.tfplan"} <= set(ignored)
    assert (project / WORKFLOW).read_text() == (repo_root() / WORKFLOW_TEMPLATE).read_text()
    config = yaml.safe_load((project / PRE_COMMIT).read_text())
    assert config == {"repos": [{"repo": "local", "hooks": yaml.safe_load((repo_root() / HOOKS).read_text())}]}
    hooks = config["repos"][0]["hooks"]
    assert [(hook["entry"], hook["args"]) for hook in hooks] == [
        ("nexus validate", ["nexus.yaml"]), ("nexus check", ["nexus.yaml", "--fail-on", "high"])]
    assert all(hook["language"] == "system" and hook["pass_filenames"] is False for hook in hooks)


def test_init_refuses_to_overwrite_and_lists_the_files(tmp_path):
    (tmp_path / SPEC_FILE).write_text("mine\n")
    (tmp_path / GITIGNORE).write_text("mine too\n")
    result = nexus("init", str(tmp_path))
    assert result.exit_code == 2
    assert f"would overwrite {SPEC_FILE}, {GITIGNORE};" in result.output and "--force" in result.output
    assert (tmp_path / SPEC_FILE).read_text() == "mine\n" and not (tmp_path / CDKTF_JSON).exists()
    assert nexus("init", str(tmp_path), "--force").exit_code == 0
    assert load_spec(tmp_path / SPEC_FILE).spec.components


def test_init_from_a_blueprint_writes_its_rendering(tmp_path):
    result = nexus("init", str(tmp_path), "--blueprint", "ecommerce", "--set", "region=eu-west-1")
    assert result.exit_code == 0, result.output
    assert (tmp_path / SPEC_FILE).read_text() == render_blueprint("ecommerce", {"region": "eu-west-1"})
    assert "blueprint ecommerce" in result.output


def test_init_usage_errors_write_nothing(tmp_path):
    for arguments in (["--set", "region=eu-west-1"], ["--blueprint", "ecommerce", "--prompt", "a shop"],
                      ["--blueprint", "no-such-blueprint"], ["--blueprint", "ecommerce", "--set", "region"]):
        result = nexus("init", str(tmp_path / "p"), *arguments)
        assert result.exit_code == 2, (arguments, result.output)
        assert not (tmp_path / "p" / SPEC_FILE).exists()


def test_sandbox_env_refuses_without_a_running_sandbox(tmp_path):
    result = nexus("sandbox", "env", "--project", str(tmp_path))
    assert result.exit_code == 2
    assert "no sandbox is running" in result.output and "nexus sandbox up --project" in result.output
    assert "export" not in result.output


def test_init_from_a_prompt_writes_the_offline_draft(tmp_path):
    result = nexus("init", str(tmp_path), "--prompt", "ecommerce store on AWS in eu-west-1")
    assert result.exit_code == 0, result.output
    text = (tmp_path / SPEC_FILE).read_text()
    assert "#   ecommerce store on AWS in eu-west-1\n" in text and "the 'ecommerce' blueprint" in text
    assert load_spec(tmp_path / SPEC_FILE).spec.providers.aws.region == "eu-west-1"
    assert "spec from prompt, offline intent parser" in result.output
