"""The deploy commands' surface: clear usage errors (exit 2) before anything runs, the terraform version check,
and help that teaches."""
from __future__ import annotations

import stat

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from tests.integration.test_deploy_sandbox import FAST_SPEC


@pytest.fixture
def spec(tmp_path):
    path = tmp_path / "nexus.yaml"
    path.write_text(FAST_SPEC.format(owner="team-cli"), encoding="utf-8")
    return path


def invoke(*arguments: str):
    return CliRunner().invoke(cli, list(arguments))


def test_override_gate_needs_a_reason(spec):
    result = invoke("deploy", str(spec), "--override-gate")
    assert result.exit_code == 2 and "--override-gate needs --reason TEXT" in result.output
    assert "Traceback" not in result.output


def test_an_unknown_stack_or_environment_is_a_usage_error_with_a_suggestion(spec):
    result = invoke("plan", str(spec), "--stack", "fast-dev-awz")
    assert result.exit_code == 2 and "did you mean 'fast-dev-aws'?" in result.output
    result = invoke("plan", str(spec), "--env", "prod")
    assert result.exit_code == 2 and "no environment 'prod'; the spec has dev" in result.output


def test_a_too_old_terraform_is_refused(spec, tmp_path, monkeypatch):
    old = tmp_path / "terraform"
    old.write_text('#!/bin/sh\necho \'{"terraform_version": "1.4.6", "platform": "linux_amd64"}\'\n')
    old.chmod(old.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("NEXUS_TERRAFORM", str(old))
    result = invoke("plan", str(spec))
    assert result.exit_code == 1 and "terraform 1.4.6 is too old; Nexus needs 1.5.0 or newer" in result.output


def test_a_missing_spec_is_a_clear_error(tmp_path):
    result = invoke("deploy", str(tmp_path / "missing.yaml"))
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.parametrize("command, phrase", [("deploy", "--allow-destroy"), ("plan", "Exit codes"),
                                             ("destroy", "reverse dependency order"), ("runs", "failure class"),
                                             ("sandbox", "nexus sandbox up")])
def test_help_teaches(command, phrase):
    result = invoke(command, "--help")
    assert result.exit_code == 0 and phrase in result.output
