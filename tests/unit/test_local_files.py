"""Local files under attack: the spec file Nexus reads, the function sources it zips, the files it writes back."""
from __future__ import annotations

import os
import resource
import stat
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.errors import Problem, SpecError
from cdktf_app.files import write_atomically
from cdktf_app.spec import load_spec, load_spec_text
from cdktf_app.kit.assets import function_source_files
from tests.helpers import PAYMENTS_SPEC as VALID, aws_spec, write_spec



def validate(spec) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["validate", str(spec)])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def validate_in_a_process(spec, command: tuple[str, ...] = ("validate",)) -> tuple[int, str]:
    """`nexus validate` (or `command`) in its own process, at most 1 GiB and 60 s: the attacks crashed, filled or
    hung it."""
    def bounded() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    try:
        completed = subprocess.run([sys.executable, "-m", "cdktf_app.cli.main", *command, str(spec)],
                                   capture_output=True, text=True, timeout=60, preexec_fn=bounded)
    except subprocess.TimeoutExpired:
        pytest.fail(f"nexus {' '.join(command)} {spec} did not finish in 60 s")
    assert "Traceback" not in completed.stderr
    return completed.returncode, completed.stdout + completed.stderr


# ---------------------------------------------------------------- reading the spec
@pytest.mark.parametrize("nested", [
    "a: " + "[" * 40_000 + "]" * 40_000,  # 80 KB: libyaml's composer recursed until the process crashed
    "a:\n  " + "- " * 40_000 + "x",
    "a: " + "{b: " * 40_000 + "1" + "}" * 40_000,
], ids=["flow-sequences", "block-sequences", "flow-mappings"])
def test_deep_nesting_is_refused_before_the_parser_recurses(tmp_path, nested):
    spec = write_spec(tmp_path, nested + "\n")
    code, output = validate_in_a_process(spec)
    assert code == 2, output
    assert f"{spec}:" in output and "nesting deeper than 64 levels" in output


def test_nesting_within_the_limit_is_read():
    text = VALID + "tags: {deep: '" + "[" * 70 + "'}\n"  # brackets inside a string are text, not nesting
    assert load_spec_text(text).spec.tags["deep"] == "[" * 70


READERS = [("validate",), ("check", "--fix")]


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_spec_symlinked_to_an_endless_device_is_refused(tmp_path, command):
    spec = tmp_path / "nexus.yaml"
    spec.symlink_to("/dev/zero")
    code, output = validate_in_a_process(spec, command)
    assert code == 2 and "not a regular file" in output


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_a_fifo_spec_is_refused_without_waiting_for_a_writer(tmp_path, command):
    spec = tmp_path / "nexus.yaml"
    os.mkfifo(spec)
    code, output = validate_in_a_process(spec, command)
    assert code == 2 and "not a regular file" in output


def test_a_symlink_to_a_regular_spec_is_read(tmp_path):
    (tmp_path / "real.yaml").write_text(VALID)
    (tmp_path / "nexus.yaml").symlink_to(tmp_path / "real.yaml")
    assert load_spec(tmp_path / "nexus.yaml").spec.name == "payments"


# ---------------------------------------------------------------- YAML merge keys
MERGED = aws_spec("payments", textwrap.dedent("""\
    components:
      db: &db
        type: database
        engine: postgres
        backup_retention_days: 14
      replica:
        <<: *db
        engine: mysql
      copy:
        <<: [*db]
"""))


def test_merge_keys_are_applied_and_own_keys_win():
    loaded = load_spec_text(MERGED, file="nexus.yaml")
    replica, copy = loaded.spec.components["replica"], loaded.spec.components["copy"]
    assert (replica.engine, replica.backup_retention_days) == ("mysql", 14)
    assert (copy.engine, copy.backup_retention_days) == ("postgres", 14)
    # the own key points at its own line, a merged one at the line where the value is written
    assert loaded.line_of("components", "replica", "engine") == 12
    assert loaded.line_of("components", "replica", "backup_retention_days") == 9


def test_a_merged_value_that_is_wrong_is_located_where_the_override_is():
    with pytest.raises(SpecError) as caught:
        load_spec_text(MERGED.replace("engine: mysql", "engine: mysqll"), file="nexus.yaml")
    problem, = caught.value.problems
    assert (problem.path, problem.line) == ("components.replica.engine", 12) and "'mysqll'" in problem.message


def test_a_real_duplicate_key_beside_a_merge_is_still_refused():
    with pytest.raises(SpecError) as caught:
        load_spec_text(MERGED.replace("    engine: mysql\n", "    engine: mysql\n    engine: postgres\n"),
                       file="nexus.yaml")
    problem, = caught.value.problems
    assert "duplicate key 'engine'" in problem.message and problem.line == 13


def test_merging_a_scalar_is_a_located_error():
    with pytest.raises(SpecError) as caught:
        load_spec_text(VALID + "  other:\n    <<: plain\n    type: cache\n", file="nexus.yaml")
    assert any("'<<' merges a mapping" in problem.message and problem.path == "components.other"
               for problem in caught.value.problems)


# ---------------------------------------------------------------- function sources
def function_spec(source: str) -> str:
    return VALID + f"  worker: {{type: function, source: {source!r}}}\n"


@pytest.mark.parametrize("source", ["/etc", "~/.ssh", "../elsewhere", "code/../../x", ".aws", "code/.ssh"])
def test_a_source_outside_the_project_or_in_a_dot_folder_fails_validation(tmp_path, source):
    spec = write_spec(tmp_path, function_spec(source))
    code, output = validate(spec)
    assert code == 2 and f"{spec}:7:" in output and "components.worker.source" in output


@pytest.fixture
def project(tmp_path):
    """A real project folder: the spec beside a function folder with a handler and a library."""
    root = tmp_path / "project"
    (root / "code" / "lib").mkdir(parents=True)
    (root / "code" / "main.py").write_text("def handler(event, context):\n    return 200\n")
    (root / "code" / "lib" / "util.py").write_text("X = 1\n")
    (root / "code" / ".git").mkdir()
    (root / "code" / ".git" / "config").write_text("[remote] url = https://token@example.com\n")
    (root / "code" / "__pycache__").mkdir()
    (root / "code" / "__pycache__" / "main.cpython-312.pyc").write_bytes(b"\0")
    return root


WHERE = Problem("", file="nexus.yaml", line=7, column=3, path="components.worker.source")


def test_a_clean_source_is_packaged_without_version_control_and_caches(project):
    names = [name for name, _ in function_source_files(project, "code", WHERE)]
    assert names == ["lib/util.py", "main.py"]


@pytest.mark.parametrize("planted, named", [
    (".aws/credentials", "code/.aws"),
    (".ssh/id_ed25519", "code/.ssh"),
    (".env", "code/.env"),
    ("lib/deploy.pem", "code/lib/deploy.pem"),
    ("keys/id_rsa.pub", "code/keys/id_rsa.pub"),
    ("credentials", "code/credentials"),
    ("terraform.tfstate", "code/terraform.tfstate"),
    ("prod.tfvars", "code/prod.tfvars"),
])
def test_secret_and_dot_files_in_a_source_are_refused_by_name(project, planted, named):
    path = project / "code" / planted
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("secret\n")
    with pytest.raises(SpecError) as caught:
        function_source_files(project, "code", WHERE)
    problem, = caught.value.problems
    assert f"'{named}'" in problem.message and "never packaged" in problem.message
    assert (problem.file, problem.line, problem.path) == ("nexus.yaml", 7, "components.worker.source")


def test_a_symlink_out_of_the_project_is_outside(project, tmp_path):
    outside = tmp_path / "home" / ".ssh"
    outside.mkdir(parents=True)
    (outside / "id_ed25519").write_text("PRIVATE KEY\n")
    (project / "code" / "keys").symlink_to(outside)
    with pytest.raises(SpecError) as caught:
        function_source_files(project, "code", WHERE)
    assert "'code/keys' is a symlink to" in caught.value.problems[0].message
    assert "outside the project folder" in caught.value.problems[0].message


def test_a_source_folder_that_is_a_link_out_of_the_project_is_refused(project, tmp_path):
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "main.py").write_text("x = 1\n")
    (project / "linked").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(SpecError) as caught:
        function_source_files(project, "linked", WHERE)
    assert "outside the project folder" in caught.value.problems[0].message


def test_links_inside_the_project_are_followed_once(project):
    (project / "shared").mkdir()
    (project / "shared" / "common.py").write_text("Y = 2\n")
    (project / "code" / "shared").symlink_to(project / "shared")
    (project / "code" / "lib" / "loop").symlink_to(project / "code")
    names = [name for name, _ in function_source_files(project, "code", WHERE)]
    assert names == ["lib/util.py", "main.py", "shared/common.py"]


def test_a_fifo_in_a_source_is_refused_not_read(project):
    os.mkfifo(project / "code" / "pipe")
    with pytest.raises(SpecError) as caught:
        function_source_files(project, "code", WHERE)
    assert "'code/pipe' is not a regular file" in caught.value.problems[0].message


def test_synth_refuses_a_source_holding_credentials(project):
    spec = write_spec(project, function_spec("code"))
    (project / "code" / ".aws").mkdir()
    (project / "code" / ".aws" / "credentials").write_text("aws_secret_access_key = x\n")
    result = CliRunner().invoke(cli, ["synth", str(spec), "--out", str(project / "out")])
    assert result.exit_code == 2, result.output
    assert f"{spec}:7:" in result.output and "'code/.aws'" in result.output
    assert not list(project.glob("out/stacks/*/assets/*.zip"))


# ---------------------------------------------------------------- writing files back
def test_write_atomically_writes_through_a_symlink_and_keeps_the_mode(tmp_path):
    target = tmp_path / "real" / "nexus.yaml"
    target.parent.mkdir()
    target.write_text("old\n")
    target.chmod(0o600)
    os.chown(target, 65534, 65534)  # the tests run as root: the file belongs to someone else, and stays theirs
    link = tmp_path / "nexus.yaml"
    link.symlink_to(target)
    write_atomically(link, "new\n")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert (target.stat().st_uid, target.stat().st_gid) == (65534, 65534)
    assert sorted(path.name for path in target.parent.iterdir()) == ["nexus.yaml"]


def test_write_atomically_private_files_stay_owner_only(tmp_path):
    target = tmp_path / "state.json"
    target.write_text("{}")
    target.chmod(0o644)
    write_atomically(target, "{}\n", private=True)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
