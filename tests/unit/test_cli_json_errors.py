"""`--log-format json` on every command: an error is one JSON object on stderr (code = exit code, message; a spec
error adds file/line/path per problem), never a traceback or a line of text; results default to json."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from tests.helpers import PAYMENTS_SPEC, write_spec
from tests.unit.test_cli_convention import LEAVES

BROKEN_SPEC = PAYMENTS_SPEC.replace("engine: postgres", "engine: postgress")

# command -> (arguments after the command, exit code); bad.yaml is a spec with one mistake (line 6,
# components.db.engine)
CASES = {
    "validate": (["bad.yaml"], 2), "synth": (["bad.yaml"], 2), "check": (["bad.yaml"], 2), "cost": (["bad.yaml"], 2),
    "optimize": (["bad.yaml"], 2),
    "visualize": (["bad.yaml"], 2), "plan": (["bad.yaml"], 2), "deploy": (["bad.yaml", "--auto-approve"], 2),
    "destroy": (["bad.yaml", "--auto-approve"], 2),
    "schema": (["-o", "json"], 2),
    "generate": (["--offline", "-p", "a bucket on aws", "-o", "EXISTING"], 2),
    "blueprints list": (["--bogus"], 2),
    "blueprints show": (["no-such-blueprint"], 2),
    "blueprints render": (["fintech", "--set", "region"], 2),
    "packs list": (["--output", "yaml"], 2),
    "packs show": (["no-such-pack"], 2),
    "packs checks": (["--check", "NO_SUCH_CHECK"], 2),
    "runs list": (["--limit", "0"], 2),
    "runs show": (["no-such-run", "--project", "."], 2),
    "sandbox up": (["--output", "xml"], 2),
    "sandbox down": (["--output", "xml"], 2),
    "sandbox status": (["--output", "xml"], 2),
    "sandbox env": ([], 2),
    "init": (["--set", "region=eu-west-1"], 2),
    "ci plan-and-check": (["bad.yaml"], 2), "ci matrix": (["bad.yaml"], 2), "ci merge": (["."], 2),
    "insights import github": (["not-a-repo"], 2), "insights import gitlab": ([], 2),
    "insights import junit": (["EXISTING"], 2), "insights anomalies": (["--since", "yesterday"], 2),
    "insights report": (["--output", "xml"], 2), "insights heal github": (["not-a-repo"], 2),
    "insights generate": (["--runs", "0", "--out", "x"], 2),
    "drift": (["bad.yaml"], 2), "cost catalogue refresh": (["--cloud", "nope"], 2),
    "keys generate": (["-o", "EXISTING"], 2), "keys show": (["-k", "EXISTING"], 2),
    "keys rotate": (["EXISTING", "-k", "EXISTING", "--to", "nexus1-x25519-AAAA"], 2),
    "keys decrypt": (["EXISTING", "-k", "EXISTING"], 2),
    "key-provider": ([], 2), "review": (["bad.yaml"], 2), "release": (["bad.yaml", "--component", "web"], 2),
    "watch": (["missing.yaml"], 2), "secrets list": (["bad.yaml"], 2), "bundle": (["bad.yaml", "--location", "x", "-o", "x.bundle"], 2),
    "bundle keygen": (["-o", "EXISTING"], 2), "bundle verify": (["missing.bundle", "--public-key", "x"], 2),
    "bundle apply": (["missing.bundle", "--public-key", "x", "--dir", "d"], 2),
}


def test_every_command_has_an_error_case():
    assert set(CASES) == {" ".join(path) for path, _ in LEAVES}


@pytest.mark.parametrize("command", sorted(CASES))
def test_an_error_is_one_json_object_on_stderr(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_spec(tmp_path, BROKEN_SPEC, "bad.yaml")
    (tmp_path / "EXISTING").write_text("keep me\n", encoding="utf-8")
    arguments, code = CASES[command]
    result = CliRunner().invoke(cli, ["--log-format", "json", *command.split(), *arguments])
    assert result.exit_code == code, result.output
    assert isinstance(result.exception, SystemExit) and "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    error = json.loads(lines[0])
    assert error["level"] == "error" and error["code"] == code and error["message"] and error["error"]
    if arguments[:1] == ["bad.yaml"]:
        assert error["error"] == "SpecError"
        assert [(p["file"], p["line"], p["path"]) for p in error["problems"]] == [
            ("bad.yaml", 6, "components.db.engine")], error
    assert (tmp_path / "EXISTING").read_text() == "keep me\n"


def test_a_usage_error_before_the_command_is_json_too():
    result = CliRunner().invoke(cli, ["--log-format", "json", "--no-such-option", "validate"])
    assert result.exit_code == 2 and json.loads(result.stderr)["message"] == "No such option '--no-such-option'."


def test_text_errors_stay_text():
    result = CliRunner().invoke(cli, ["packs", "list", "--output", "yaml"])
    assert result.exit_code == 2 and "Error: Invalid value for '-f' / '--output' / '--format'" in result.stderr


@pytest.mark.parametrize("arguments", [["runs", "list", "--project", "."], ["sandbox", "status", "--project", "."],
                                        ["packs", "checks", "--check", "CKV_AWS_19"]])
def test_results_are_json_by_default_under_log_format_json(arguments, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--log-format", "json", *arguments])
    assert result.exit_code == 0, result.output
    json.loads(result.stdout)
