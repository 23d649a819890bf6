"""Shared fixtures: each spec is synthesized once per session and shared by every test that reads it."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cdktf_app.blueprints.catalog import list_blueprints, render_blueprint
from cdktf_app.paths import repo_root
from cdktf_app.sandbox import start_sandbox, stop_sandbox
from cdktf_app.stacks.synth import synth
from cdktf_app.tools.terraform import ensure_cli_config
from tests.helpers import write_spec

FIXTURES = Path(__file__).parent / "fixtures"

# The CLI's warm synth worker outlives the command (minutes of a Node process per project folder): tests synthesize
# in their own process unless a test turns the worker on (tests/integration/test_synth_worker.py).
os.environ["NEXUS_SYNTH_WORKER"] = "off"
# The bindings' own type checks stay on here (a construct passing a wrong type fails at its line); a synth outside
# the tests runs without them. The worker (python -O) never has them: the worker tests compare its bytes with these.
os.environ["NEXUS_BINDING_TYPE_CHECKS"] = "on"


@pytest.fixture(scope="session")
def terraform_cli_config(tmp_path_factory) -> Path | None:
    """The provider-mirror CLI config (the image ships hashicorp/aws in a filesystem mirror)."""
    return ensure_cli_config(tmp_path_factory.mktemp("terraform"))


@pytest.fixture(scope="session")
def aws_all(tmp_path_factory):
    """The spec that uses every component type on AWS, synthesized once."""
    work = tmp_path_factory.mktemp("aws-all")
    spec = work / "nexus.yaml"
    shutil.copyfile(FIXTURES / "specs" / "aws-all.yaml", spec)
    return synth(spec, work / "cdktf.out", use_cache=False)


@pytest.fixture(scope="session")
def secrets_clouds(tmp_path_factory):
    """Secrets of every kind on GCP and Azure and a Vault dynamic secret, synthesized once."""
    work = tmp_path_factory.mktemp("secrets-clouds")
    spec = work / "nexus.yaml"
    shutil.copyfile(FIXTURES / "specs" / "secrets-clouds.yaml", spec)
    shutil.copytree(FIXTURES / "specs" / "fn", work / "fn")
    return synth(spec, work / "cdktf.out", use_cache=False)


@pytest.fixture(scope="session")
def project_root() -> Path:
    return repo_root()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A moto sandbox on 127.0.0.1 for the module's tests, stopped after them."""
    server = start_sandbox(tmp_path_factory.mktemp("sandbox"), record=False)
    yield server
    stop_sandbox(Path(server.log_file).parent, server)


@pytest.fixture(scope="session")
def checkov_worker():
    """One warm checkov process for the whole session (checkov's import alone costs ~2.4 s)."""
    from cdktf_app.compliance import CheckovWorker

    with CheckovWorker() as worker:
        yield worker


def synthesized(tmp_path_factory, name: str, values: dict):
    return synthesized_text(tmp_path_factory, name, render_blueprint(name, values))


def synthesized_text(tmp_path_factory, folder: str, spec_text: str):
    """A spec written into its own folder as nexus.yaml and synthesized there (no cache)."""
    work = tmp_path_factory.mktemp(folder)
    return synth(write_spec(work, spec_text), work / "cdktf.out", use_cache=False)


class _Outputs(dict):
    """Each blueprint synthesized with defaults once per session, on first use."""

    def __init__(self, tmp_path_factory):
        super().__init__()
        self.tmp_path_factory = tmp_path_factory

    def __missing__(self, name: str):
        self[name] = synthesized(self.tmp_path_factory, name, {})
        return self[name]


@pytest.fixture(scope="session")
def blueprint_outputs(tmp_path_factory):
    return _Outputs(tmp_path_factory)


@pytest.fixture(scope="session")
def blueprint_out_dirs(blueprint_outputs) -> dict[str, Path]:
    """Every blueprint's out dir, each synthesized once per session."""
    return {blueprint.name: blueprint_outputs[blueprint.name].out_dir for blueprint in list_blueprints()}
