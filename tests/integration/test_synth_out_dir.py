"""The synth out dir under attack: hand-edited outputs, junk in the way, unwritable folders, a move that fails."""
from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.stacks.synth import synth
from tests.helpers import AWS_SPEC_HEAD

SPEC = AWS_SPEC_HEAD + "environments: [dev, prod]\ncomponents:\n  assets: {type: bucket}\n"
DEV, PROD = "stacks/shop-dev-aws/cdk.tf.json", "stacks/shop-prod-aws/cdk.tf.json"


@pytest.fixture(scope="module")
def first_output(tmp_path_factory) -> Path:
    """A project synthesized once; each test works on its own copy."""
    project = tmp_path_factory.mktemp("synthesized")
    (project / "nexus.yaml").write_text(SPEC)
    synth(project / "nexus.yaml", project / "cdktf.out")
    return project


@pytest.fixture
def project(first_output, tmp_path) -> Path:
    copy = tmp_path / "project"
    shutil.copytree(first_output, copy, symlinks=True)
    return copy


def run_synth(project: Path, *extra: str):
    result = CliRunner().invoke(cli, ["synth", str(project / "nexus.yaml"), *extra])
    assert "Traceback" not in result.output and "internal error" not in result.output, result.output
    return result


def snapshot(out_dir: Path) -> dict[str, bytes]:
    return {path.relative_to(out_dir).as_posix(): path.read_bytes() for path in sorted(out_dir.rglob("*"))
            if path.is_file()}


@pytest.mark.parametrize("tamper", ["edit", "delete"])
def test_a_hand_edited_or_deleted_output_is_not_served_from_the_cache(project, tamper):
    out = project / "cdktf.out"
    written = (out / DEV).read_bytes()
    if tamper == "edit":
        (out / DEV).write_text(json.dumps({"resource": {}}))
    else:
        (out / "manifest.json").unlink()
    result = synth(project / "nexus.yaml", out)
    assert not result.cached
    assert (out / DEV).read_bytes() == written and (out / "manifest.json").is_file()
    assert synth(project / "nexus.yaml", out).cached  # and the restored output is reused again


def test_junk_where_a_stack_folder_belongs_is_a_clear_error(project):
    out = project / "cdktf.out"
    shutil.rmtree(out / "stacks" / "shop-prod-aws")
    (out / "stacks" / "shop-prod-aws").write_text("junk")
    (project / "nexus.yaml").write_text(SPEC.replace("{type: bucket}", "{type: bucket, versioned: false}"))
    before = snapshot(out)
    result = run_synth(project, "--out", str(out))
    assert result.exit_code == 2
    assert f"{out / 'stacks' / 'shop-prod-aws'}: File exists" in result.output
    assert "remove what is in the way" in result.output
    assert snapshot(out) == before


def test_an_unwritable_out_dir_is_a_clear_error(project):
    # /sys refuses new folders even to root (the tests run as root, for whom a chmod'ed folder is writable)
    result = run_synth(project, "--out", "/sys/nexus-out")
    assert result.exit_code == 2
    assert "cannot write the synth output: /sys/nexus-out: Operation not permitted" in result.output
    assert "pass --out to another folder" in result.output


def test_a_move_that_fails_midway_leaves_the_previous_output_whole(project):
    """The prod stack folder is a link to another file system: renaming into it fails after dev's output moved."""
    out = project / "cdktf.out"
    elsewhere = Path(tempfile.mkdtemp(dir="/dev/shm"))
    try:
        for entry in (out / "stacks" / "shop-prod-aws").iterdir():
            shutil.move(entry, elsewhere / entry.name)
        (out / "stacks" / "shop-prod-aws").rmdir()
        (out / "stacks" / "shop-prod-aws").symlink_to(elsewhere)
        (project / "nexus.yaml").write_text(SPEC.replace("{type: bucket}", "{type: bucket, versioned: false}"))
        before = snapshot(out)
        result = run_synth(project, "--out", str(out))
        assert result.exit_code == 2
        assert f"{out / PROD}: Invalid cross-device link" in result.output
        assert snapshot(out) == before
        assert [entry.name for entry in out.iterdir() if entry.name.startswith(".")] == []

        (out / "stacks" / "shop-prod-aws").unlink()  # the junk removed, the same synth goes through
        assert run_synth(project, "--out", str(out)).exit_code == 0
        assert (out / DEV).read_bytes() != before[DEV]
    finally:
        shutil.rmtree(elsewhere)
