"""The component catalogue is written once, in the spec model: every offered (cloud, type) has a construct, every
construct honours (or refuses, with a reason) the secure settings its model declares, and the NLI safety list and
the fix files agree with the model's secure values."""
from __future__ import annotations

import ast
import importlib
import inspect
import json
from pathlib import Path

import pytest

from cdktf_app.compliance.fixes import load_fixes
from cdktf_app.components.base import ComponentConstruct
from cdktf_app.components.registry import construct_class, construct_path
from cdktf_app.errors import SpecError
from cdktf_app.nli.intent import parse_intent
from cdktf_app.nli.safety import harden
from cdktf_app.spec.loader import load_spec_text
from cdktf_app.spec.model import AVAILABILITY, CLOUDS, COMPONENT_TYPES, secure_settings
from cdktf_app.stacks.synth import synth

BUILT = [(cloud, kind) for kind in COMPONENT_TYPES if kind != "module" for cloud in AVAILABILITY.get(kind, CLOUDS)]


@pytest.mark.parametrize(("cloud", "kind"), BUILT)
def test_every_offered_cloud_and_type_has_a_construct(cloud, kind):
    cls = construct_class(cloud, kind)
    assert issubclass(cls, ComponentConstruct) and cls.__module__ == construct_path(cloud, kind)[0]


def test_no_construct_without_a_model_type():
    """A construct file for a type the model does not offer on that cloud would be dead code (or a forgotten
    `clouds`)."""
    offered = set(BUILT)
    for cloud in CLOUDS:
        package = importlib.import_module(f"cdktf_app.components.{cloud}")
        for module in sorted(path.stem for path in Path(package.__file__).parent.glob("*.py")):
            kind_module = importlib.import_module(f"{package.__name__}.{module}")
            constructs = [cls for cls in vars(kind_module).values() if isinstance(cls, type)
                          and issubclass(cls, ComponentConstruct) and cls.__module__ == kind_module.__name__]
            for cls in constructs:
                assert cls.__name__ == construct_path(cloud, module)[1], f"{cls.__name__} is not named by the rule"
                assert (cloud, module) in offered, f"{cls.__name__} builds a type the model does not offer on {cloud}"


def _attributes_read(cls: type) -> set[str]:
    tree = ast.parse(inspect.getsource(importlib.import_module(cls.__module__)))
    return {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}


@pytest.mark.parametrize(("cloud", "kind"), BUILT)
def test_every_construct_honours_or_refuses_its_secure_settings(cloud, kind):
    cls = construct_class(cloud, kind)
    secure = secure_settings(kind)
    assert set(cls.UNSUPPORTED) <= set(secure), "only a secure setting can be declared unsupported"
    ignored = set(secure) - _attributes_read(cls) - set(cls.UNSUPPORTED)
    assert not ignored, f"{cls.__name__} neither reads nor refuses {sorted(ignored)}"


def _azure_spec(settings: str) -> str:
    return ("apiVersion: nexus/v1\nname: azcache\nproviders:\n  azure: {location: westeurope}\ncomponents:\n"
            "  net: {type: network, flow_logs: false}\n"
            f"  cache: {{type: cache, {settings}}}\n")


def _azure_cache_stack(tmp_path: Path, settings: str) -> dict:
    synth(load_spec_text(_azure_spec(settings), "nexus.yaml"), tmp_path / "out", use_cache=False)
    stack, = (tmp_path / "out" / "stacks").iterdir()
    return json.loads((stack / "cdk.tf.json").read_text())["resource"]


@pytest.mark.parametrize("settings", ["encrypted: true", "replicas: 1"])
def test_azure_cache_encrypts_with_the_stack_key_through_an_identity_of_its_own(tmp_path, settings):
    """`encrypted: true`, written or left at its default, is honoured: Managed Redis with the stack's Key Vault key
    (it takes only a versioned id), read as the cache's own identity once that identity may use the key."""
    resources = _azure_cache_stack(tmp_path, settings)
    cache = resources["azurerm_managed_redis"]["cache"]
    identity = "${azurerm_user_assigned_identity.cache_key.id}"
    assert cache["customer_managed_key"] == {"key_vault_key_id": "${azurerm_key_vault_key.stack_key.id}",
                                             "user_assigned_identity_id": identity}
    assert cache["identity"] == {"type": "UserAssigned", "identity_ids": [identity]}
    assert cache["depends_on"] == ["azurerm_role_assignment.cache_key_user"]
    grant = resources["azurerm_role_assignment"]["cache_key_user"]
    assert grant["scope"] == "${azurerm_key_vault_key.stack_key.resource_versionless_id}"
    assert grant["role_definition_name"] == "Key Vault Crypto Service Encryption User"
    assert grant["principal_id"] == "${azurerm_user_assigned_identity.cache_key.principal_id}"
    assert cache["public_network_access"] == "Disabled"
    assert cache["default_database"]["client_protocol"] == "Encrypted"
    assert cache["default_database"]["access_keys_authentication_enabled"] is False


def test_azure_cache_not_encrypted_uses_microsoft_managed_keys(tmp_path):
    resources = _azure_cache_stack(tmp_path, "encrypted: false")
    cache = resources["azurerm_managed_redis"]["cache"]
    assert "customer_managed_key" not in cache and "identity" not in cache
    assert "cache_key" not in resources.get("azurerm_user_assigned_identity", {})
    assert "azurerm_key_vault_key" not in resources


def test_a_secure_setting_a_construct_declares_unsupported_is_refused_with_a_located_error(tmp_path, monkeypatch):
    """The way out for a service that cannot deliver a secure setting: an explicit request is refused, located."""
    monkeypatch.setattr(construct_class("azure", "cache"), "UNSUPPORTED", {"encrypted": "not on this service"})
    with pytest.raises(SpecError) as raised:
        synth(load_spec_text(_azure_spec("encrypted: true"), "nexus.yaml"), tmp_path / "out", use_cache=False)
    problem, = raised.value.problems
    assert (problem.file, problem.line, problem.path) == ("nexus.yaml", 7, "components.cache.encrypted")
    assert problem.message == "true cannot be honoured on azure: not on this service"
    assert raised.value.exit_code == 2


def test_fixes_only_set_secure_values_the_model_declares():
    for check, fix in load_fixes().items():
        for field, value in (fix.set or {}).items():
            for kind in fix.components:
                marker = secure_settings(kind).get(field)
                assert marker is not None, f"fix {check} sets {kind}.{field}, which the model does not mark secure"
                assert marker.allows(value), f"fix {check} sets {kind}.{field}: {value}, not secure ({marker})"


def test_nli_safety_puts_back_every_switch_the_model_marks_secure_unless_a_prompt_may_choose_it():
    weakened = {kind: {"type": kind, **{field: not marker.value for field, marker in secure_settings(kind).items()
                                        if isinstance(marker.value, bool)}}
                for kind in COMPONENT_TYPES}
    data = {"components": {kind: dict(component) for kind, component in weakened.items()}}
    harden(data, parse_intent(""))
    for kind, component in weakened.items():
        for field in component.keys() - {"type"}:
            marker = secure_settings(kind)[field]
            expected = component[field] if marker.prompt_may_choose else marker.value
            assert data["components"][kind][field] is expected, f"{kind}.{field}"
    assert any(len(component) > 1 for component in weakened.values())
    assert data["components"]["service"]["public"] is True  # a public web tier is what the prompt asked for
