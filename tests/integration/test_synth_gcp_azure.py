"""GCP and Azure stacks of specs using every component type: structure checked (no provider to validate here)."""
from __future__ import annotations

import shutil

import pytest

from cdktf_app.kit.provenance import Provenance
from cdktf_app.stacks.synth import synth
from tests.conftest import FIXTURES
from tests.helpers import declared_addresses, load_stack, referenced_addresses

# spec fixture -> resource types every one of its stacks must contain
EXPECTED = {
    "gcp-all.yaml": {"google_compute_network", "google_cloud_run_v2_service", "google_sql_database_instance",
                     "google_redis_instance", "google_storage_bucket", "google_pubsub_topic",
                     "google_cloudfunctions2_function", "google_container_cluster", "google_kms_crypto_key"},
    "azure-all.yaml": {"azurerm_virtual_network", "azurerm_container_app", "azurerm_managed_redis",
                       "azurerm_storage_account", "azurerm_servicebus_namespace", "azurerm_linux_function_app",
                       "azurerm_kubernetes_cluster", "azurerm_cdn_frontdoor_profile"},
}


@pytest.fixture(scope="module", params=sorted(EXPECTED))
def synthesized(request, tmp_path_factory):
    work = tmp_path_factory.mktemp(request.param.split(".")[0])
    shutil.copyfile(FIXTURES / "specs" / request.param, work / "nexus.yaml")
    for source in ("fn", "fn_src"):
        shutil.copytree(FIXTURES / "specs" / source, work / source)
    return request.param, synth(work / "nexus.yaml", work / "cdktf.out", use_cache=False)


def test_stacks_hold_the_idiomatic_resources_and_resolve_their_references(synthesized):
    fixture, result = synthesized
    provenance = Provenance.read(result.out_dir)
    for stack_info in result.stacks:
        stack = load_stack(result.stack_json(stack_info.name))
        assert EXPECTED[fixture] <= set(stack["resource"]), stack_info.name
        missing = referenced_addresses(stack) - declared_addresses(stack)
        assert not missing, f"{stack_info.name}: dangling references {sorted(missing)}"
        declared = {a for a in declared_addresses(stack) if not a.startswith("var.")}
        assert declared == set(provenance.addresses(stack_info.name))
