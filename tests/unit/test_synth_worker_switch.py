"""Which synths go to the warm worker: NEXUS_SYNTH_WORKER and the CLI's session (no worker is started here)."""
from __future__ import annotations

import os

import pytest

from cdktf_app.errors import UsageError
from cdktf_app.spec.loader import load_spec_text
from cdktf_app.synth_worker import WORKER_VARIABLE, pin_project, session
from cdktf_app.synth_worker.switch import worker_project
from tests.performance.scale import scale_spec


@pytest.fixture
def loaded(tmp_path):
    return load_spec_text(scale_spec(1), path=tmp_path / "app" / "nexus.yaml")


def test_on_pins_the_first_specs_folder_for_the_rest_of_the_command(loaded, tmp_path, monkeypatch):
    monkeypatch.setenv(WORKER_VARIABLE, "on")
    assert worker_project(loaded) == (tmp_path / "app").resolve()
    scratch_copy = load_spec_text(scale_spec(1), path=tmp_path / "scratch" / "nexus.yaml")
    assert worker_project(scratch_copy) == (tmp_path / "app").resolve()  # ci's base spec uses the same worker
    assert os.environ[WORKER_VARIABLE] == str((tmp_path / "app").resolve())  # what children inherit


def test_pin_project_names_the_worker_before_any_synth(loaded, tmp_path, monkeypatch):
    monkeypatch.setenv(WORKER_VARIABLE, "on")
    pin_project(tmp_path / "out")
    assert worker_project(loaded) == (tmp_path / "out").resolve()


@pytest.mark.parametrize("value", ["", "off"])
def test_unset_or_off_synthesizes_in_the_process(loaded, monkeypatch, value):
    monkeypatch.setenv(WORKER_VARIABLE, value)
    assert worker_project(loaded) is None


def test_a_value_that_is_neither_on_off_nor_a_folder_is_a_usage_error(loaded, monkeypatch):
    monkeypatch.setenv(WORKER_VARIABLE, "yes please")
    with pytest.raises(UsageError, match="NEXUS_SYNTH_WORKER='yes please': expected 'off', 'on' or the absolute"):
        worker_project(loaded)


def test_the_cli_session_turns_it_on_keeps_a_users_off_and_restores_the_environment(monkeypatch):
    monkeypatch.delenv(WORKER_VARIABLE, raising=False)
    with session():
        assert os.environ[WORKER_VARIABLE] == "on"
    assert WORKER_VARIABLE not in os.environ
    monkeypatch.setenv(WORKER_VARIABLE, "off")
    with session():
        assert os.environ[WORKER_VARIABLE] == "off"
    monkeypatch.setenv(WORKER_VARIABLE, "/somewhere")
    with session(enabled=False):  # --no-worker wins over the environment
        assert os.environ[WORKER_VARIABLE] == "off"
    assert os.environ[WORKER_VARIABLE] == "/somewhere"
