"""compliance.auto_remediate skips its checkov pass only for exactly the inputs a previous pass found nothing to
fix in (the record in `.nexus/remediation.json`); anything in its key that differs runs the pass again.

The counter is checkov itself: NEXUS_CHECKOV names a `python` that notes each start of a checkov process in a file,
then runs the managed checkov's Python.
"""
from __future__ import annotations

import shutil
import stat

import pytest

from cdktf_app.build import build
from cdktf_app.compliance.checkov import checkov_python
from cdktf_app.compliance.remediation_record import record_path
from cdktf_app.layout import FINDINGS_FILE
from cdktf_app.paths import compliance_dir
from tests.helpers import aws_spec, write_spec

SPEC = aws_spec("remember", "compliance:\n  auto_remediate: true\ncomponents:\n  files: {type: bucket}\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A project whose checkov starts are counted, with a compliance folder of its own to edit."""
    folder = tmp_path_factory.mktemp("remediation-record")
    starts = folder / "checkov-starts"
    wrapper = folder / "checkov-bin" / "python"
    wrapper.parent.mkdir()
    wrapper.write_text(f'#!/bin/sh\necho started >> "{starts}"\nexec "{checkov_python()}" "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    compliance = folder / "compliance"
    shutil.copytree(compliance_dir(), compliance, ignore=shutil.ignore_patterns("__pycache__"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEXUS_CHECKOV", str(wrapper))
        patch.setenv("NEXUS_COMPLIANCE_DIR", str(compliance))
        spec = write_spec(folder, SPEC)
        yield {"spec": spec, "out": folder / "cdktf.out", "starts": starts, "compliance": compliance}


def checkov_starts(project) -> int:
    return len(project["starts"].read_text().splitlines()) if project["starts"].exists() else 0


def clean_build(project):
    """A build after which the record holds the project's current inputs."""
    built = build(project["spec"], project["out"])
    assert record_path(project["spec"]).exists()
    return built


def test_an_unchanged_build_skips_the_pass(project):
    clean_build(project)
    before, findings = checkov_starts(project), (project["out"] / FINDINGS_FILE).read_bytes()
    again = build(project["spec"], project["out"])
    assert checkov_starts(project) == before
    assert again.remediation.reused and not again.remediation.changed
    assert again.result.cached
    assert (project["out"] / FINDINGS_FILE).read_bytes() == findings


def test_an_edited_spec_runs_the_pass(project):
    clean_build(project)
    before = checkov_starts(project)
    with project["spec"].open("a", encoding="utf-8") as spec:
        spec.write("# a comment changes the bytes, nothing else\n")
    edited = build(project["spec"], project["out"])
    assert checkov_starts(project) == before + 1
    assert not edited.remediation.reused


def test_a_changed_pack_runs_the_pass(project):
    clean_build(project)
    before = checkov_starts(project)
    pack = sorted((project["compliance"] / "packs").glob("*.yaml"))[0]
    pack.write_text(pack.read_text(encoding="utf-8") + "# reviewed\n", encoding="utf-8")
    assert build(project["spec"], project["out"]).result.cached  # the synth cache does not care
    assert checkov_starts(project) == before + 1


def test_a_changed_output_runs_the_pass(project):
    clean_build(project)
    before = checkov_starts(project)
    (project["out"] / FINDINGS_FILE).write_text("{}\n", encoding="utf-8")
    build(project["spec"], project["out"])
    assert checkov_starts(project) == before + 1
    stack = next((project["out"] / "stacks").glob("*/cdk.tf.json"))
    stack.write_bytes(stack.read_bytes() + b"\n")
    assert not build(project["spec"], project["out"]).result.cached
    assert checkov_starts(project) == before + 2


@pytest.mark.parametrize("damage", ["", "{not json", '{"key": 7}', '["key"]'])
def test_a_damaged_record_runs_the_pass(project, damage):
    clean_build(project)
    before = checkov_starts(project)
    record_path(project["spec"]).write_text(damage, encoding="utf-8")
    assert not build(project["spec"], project["out"]).remediation.reused
    assert checkov_starts(project) == before + 1


def test_a_project_folder_that_cannot_keep_a_record_still_builds(tmp_path):
    spec = write_spec(tmp_path, SPEC)
    (tmp_path / ".nexus").write_text("a file where the state folder would be\n", encoding="utf-8")
    assert build(spec, tmp_path / "out").remediation.report is not None
    assert not build(spec, tmp_path / "out").remediation.reused
