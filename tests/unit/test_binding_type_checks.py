"""A synth runs without the bindings' per-argument typeguard checks (what `python -O` gives the worker), unless
NEXUS_BINDING_TYPE_CHECKS=on; the switch is undone when the synth ends."""
from __future__ import annotations

import pytest

from cdktf_app.stacks.runtime import TYPE_CHECKS_VARIABLE, binding_type_checks, prepare_jsii_environment


def _sleep_config_with_a_number_for_a_duration():
    prepare_jsii_environment()
    from cdktn_provider_time.sleep import SleepConfig  # the smallest provider binding Nexus uses

    return SleepConfig(create_duration=30)  # the struct's generated __init__ type-checks `create_duration`


def test_a_synth_skips_the_bindings_type_checks_and_restores_them_after(monkeypatch):
    monkeypatch.delenv(TYPE_CHECKS_VARIABLE, raising=False)
    with pytest.raises(TypeError, match="create_duration"):
        _sleep_config_with_a_number_for_a_duration()
    with binding_type_checks():
        assert _sleep_config_with_a_number_for_a_duration().create_duration == 30  # not checked: no TypeError
    with pytest.raises(TypeError, match="create_duration"):
        _sleep_config_with_a_number_for_a_duration()


def test_the_checks_stay_on_when_asked_for(monkeypatch):
    monkeypatch.setenv(TYPE_CHECKS_VARIABLE, "on")
    with binding_type_checks(), pytest.raises(TypeError, match="create_duration"):
        _sleep_config_with_a_number_for_a_duration()


def test_the_jsii_runtime_still_has_the_hook_the_switch_uses():
    import jsii._type_checking as type_checking

    assert hasattr(type_checking, "_resolved_check")  # without it the checks stay on: slower, never different
