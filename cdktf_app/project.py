"""`nexus init`: a project folder that `nexus` and the cdktn/cdktf CLI both run in.

    nexus.yaml                       the spec: a rendered blueprint, an offline draft of a prompt, or a starter
    cdktf.json                       the app `cdktn synth` runs: this Nexus install's Python, `-m cdktf_app`
    .gitignore                       synth output, .nexus/ (runs, sandbox), state and plans stay out of git
    .github/workflows/nexus.yml      CI: nexus ci plan-and-check on pull requests (templates/ci/github/nexus.yml)
    .pre-commit-config.yaml          nexus validate and nexus check before each commit (.pre-commit-hooks.yaml)

The workflow and the hooks are Nexus's own templates, the ones a user copies by hand: one text each.

The app is the absolute path of the Python running Nexus now (`sys.executable`, not resolved: a venv's python is
a symlink whose target lies outside the venv) with `-m cdktf_app`: it runs from any folder, needs no PATH and no
activated venv, and pins the project to the Nexus install that made it (`nexus init --force` re-points it).
"""
from __future__ import annotations

import json
import os
import re
import shlex
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import yaml

from .blueprints.catalog import render_blueprint
from .errors import UsageError
from .files import write_atomically
from .paths import repo_root
from .spec.loader import load_spec_text

SPEC_FILE = "nexus.yaml"
CDKTF_JSON = "cdktf.json"
GITIGNORE = ".gitignore"
WORKFLOW = ".github/workflows/nexus.yml"
PRE_COMMIT = ".pre-commit-config.yaml"
WORKFLOW_TEMPLATE = "templates/ci/github/nexus.yml"
HOOKS = ".pre-commit-hooks.yaml"

STARTER_SPEC = """\
# A Nexus spec: what to build, once; `nexus synth` or `cdktn synth` compile it to Terraform.
# Every field: `nexus schema`. Industry starting points: `nexus blueprints list`.
apiVersion: nexus/v1
name: {name}
providers:
  aws:
    region: us-east-1
components:
  jobs:
    type: queue     # SQS: encrypted, with a dead-letter queue
  files:
    type: bucket    # S3: private, encrypted, versioned, with an access-log bucket
"""

GITIGNORE_TEXT = """\
# Written by `nexus init`: what synth, deploy and the sandbox make stays out of git.
cdktf.out/
.nexus/
*.tfstate*
.terraform/
*.tfplan
"""

@dataclass(frozen=True)
class InitResult:
    directory: Path
    files: tuple[Path, ...]        # written, relative to `directory`
    spec_source: str               # "blueprint fintech", "prompt, offline intent parser (--offline)", "starter"
    notes: tuple[str, ...] = ()


class FilesExist(UsageError):
    """`nexus init` would overwrite files (exit 2); --force allows it."""


def app_command(python: str | None = None) -> str:
    """The `app` of cdktf.json: this Python (absolute, symlink kept) running `-m cdktf_app`; shell-quoted, as the
    cdktn CLI runs it through /bin/sh."""
    return shlex.join([os.path.abspath(python or sys.executable), "-m", "cdktf_app"])


def cdktf_json(project_id: str | None = None, python: str | None = None) -> str:
    return json.dumps({"language": "python", "app": app_command(python),
                       "projectId": project_id or str(uuid.uuid4()), "sendCrashReports": "false",
                       "terraformProviders": [], "terraformModules": [], "context": {}}, indent=2) + "\n"


def project_name(directory: Path) -> str:
    """A spec name (lower-case letters, digits and '-', starting with a letter, at most 30) from the folder."""
    name = re.sub(r"[^a-z0-9-]+", "-", directory.resolve().name.lower()).strip("-")
    name = re.sub(r"^[^a-z]+", "", name)[:30].rstrip("-")
    return name or "app"


def spec_text(directory: Path, blueprint: str | None, values: dict[str, str] | None,
              prompt: str | None) -> tuple[str, str, tuple[str, ...]]:
    """The spec to write, where it came from, and notes for the user."""
    if blueprint and prompt:
        raise UsageError("give --blueprint or --prompt, not both")
    if values and not blueprint:
        raise UsageError("--set needs --blueprint")
    if blueprint:
        return render_blueprint(blueprint, values or {}), f"blueprint {blueprint}", ()
    if prompt is not None:
        from .nli.pipeline import GenerateOptions, generate

        result = generate(GenerateOptions(prompt=prompt, offline=True))
        notes = (*result.notes, *([f"not understood: {', '.join(result.not_understood)}"]
                                  if result.not_understood else []))
        return result.text, f"prompt, {result.source}", tuple(notes)
    text = STARTER_SPEC.format(name=project_name(directory))
    load_spec_text(text, file=SPEC_FILE)  # the starter must load, whatever the folder is called
    return text, "starter", ()


def pre_commit_config() -> str:
    """Nexus's pre-commit hooks (.pre-commit-hooks.yaml) as a local repo: they run the nexus on the PATH."""
    hooks = yaml.safe_load((repo_root() / HOOKS).read_text(encoding="utf-8"))
    return ("# Written by `nexus init` from Nexus's .pre-commit-hooks.yaml.\n"
            "# `pre-commit install` runs these with the nexus on your PATH.\n"
            + yaml.safe_dump({"repos": [{"repo": "local", "hooks": hooks}]}, sort_keys=False, width=120))


def project_files(spec: str, python: str | None = None) -> dict[str, str]:
    workflow = (repo_root() / WORKFLOW_TEMPLATE).read_text(encoding="utf-8")
    return {SPEC_FILE: spec, CDKTF_JSON: cdktf_json(python=python), GITIGNORE: GITIGNORE_TEXT,
            WORKFLOW: workflow, PRE_COMMIT: pre_commit_config()}


def init_project(directory: str | Path = ".", *, blueprint: str | None = None, values: dict[str, str] | None = None,
                 prompt: str | None = None, force: bool = False, python: str | None = None) -> InitResult:
    """Write a project into `directory` (made if missing). FilesExist, listing them, when any of its files is
    there already, unless `force`; the spec is made (and validated) before anything is written."""
    directory = Path(directory)
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory}: not a directory")
    existing = [name for name in project_files("") if (directory / name).exists()]
    if existing and not force:
        raise FilesExist(f"{directory}: would overwrite {', '.join(existing)}; pass --force to replace them")
    text, source, notes = spec_text(directory, blueprint, values, prompt)
    files = project_files(text, python)
    for name, content in files.items():
        write_atomically(directory / name, content)
    return InitResult(directory, tuple(Path(name) for name in files), source, notes)
