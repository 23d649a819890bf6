"""The fixed cost of every `nexus` command: a command imports what it runs, not every other command (no
timing: what a process imported is counted)."""
from __future__ import annotations

import json
import subprocess
import sys

import click
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.paths import repo_root
from tests.performance.scale import scale_spec

NOT_FOR_VALIDATE = ("botocore", "boto3", "cdktf_app.cli.visualize", "cdktf_app.visualize", "cdktf_app.cost",
                    "cdktf_app.cli.insights")
IMPORTED_BY_VALIDATE = f"""
import json, sys
from cdktf_app.cli.main import cli
cli.main(["validate", sys.argv[1]], standalone_mode=False)
print(json.dumps(sorted(name for name in {NOT_FOR_VALIDATE!r} if name in sys.modules)))
"""


def test_validate_imports_neither_other_commands_nor_botocore(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text(scale_spec(3))   # an AWS region: the region check runs
    completed = subprocess.run([sys.executable, "-c", IMPORTED_BY_VALIDATE, str(spec)], cwd=repo_root(),
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert json.loads(completed.stdout.splitlines()[-1]) == []


def test_help_lists_every_command_with_its_short_help():
    text = " ".join(CliRunner().invoke(cli, ["--help"]).output.split())
    assert len(cli.commands) >= 26
    for name in cli.commands:
        command = cli.commands[name]
        assert isinstance(command, click.Command) and command.name == name
        assert f"{name} {command.get_short_help_str(limit=40)[:20]}" in text


def test_aws_regions_are_botocores_endpoints_data():
    import botocore.session

    from cdktf_app.spec.regions import known_regions

    endpoints = botocore.session.get_session().get_data("endpoints")
    assert known_regions("aws") == {region for partition in endpoints["partitions"] for region in partition["regions"]}
    assert {"us-east-1", "eu-west-1", "cn-north-1", "us-gov-west-1"} <= known_regions("aws")
