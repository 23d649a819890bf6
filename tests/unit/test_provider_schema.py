"""Provider schemas derived offline from the installed bindings' jsii assemblies, and the check of synthesized
Terraform JSON against them, each finding at its spec line. Reader level: hand-edited out dirs, the real schemas
(derived once into the user's cache, then read back)."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cdktf_app.errors import ScanError
from cdktf_app.hcl_modules import read_hcl
from cdktf_app.kit.provenance import Origin, Provenance
from cdktf_app.paths import repo_root
from cdktf_app.provider_schema import ProviderSchemaError, SchemaStore, check_configuration, check_out_dir
from cdktf_app.provider_schema.store import FORMAT, installed_bindings
from cdktf_app.spec.loader import load_spec_text

SPEC = """apiVersion: nexus/v1
name: shop
providers:
  gcp: {project: acme-shop, region: europe-west1}
  azure: {location: westeurope}
  edge: {locations: [factory_floor], update_strategy: air_gapped}
components:
  files: {type: bucket, provider: gcp}
  vms: {type: vm_group, provider: azure}
overrides:
  google_storage_bucket.files:
    uniform_bucket_level_acess: true
    versioning.enabled: "sometimes"
"""
# Lines of SPEC: components.files 8, components.vms 9, the two override keys 12 and 13, providers.edge 6.


@pytest.fixture(scope="module")
def store() -> SchemaStore:
    return SchemaStore()


@pytest.fixture(scope="module")
def loaded():
    return load_spec_text(SPEC, file="nexus.yaml")


def out_dir_with(tmp_path: Path, stacks: dict[str, dict], origins: list[Origin]) -> Path:
    """An out dir as synth leaves it: OUT/stacks/<stack>/cdk.tf.json and OUT/provenance.json."""
    out = tmp_path / "cdktf.out"
    for stack, document in stacks.items():
        (out / "stacks" / stack).mkdir(parents=True)
        (out / "stacks" / stack / "cdk.tf.json").write_text(json.dumps(document), encoding="utf-8")
    provenance = Provenance(spec_file="../nexus.yaml")
    for origin in origins:
        provenance.record(origin)
    provenance.write(out)
    return out


def origin(stack: str, address: str, component: str, line: int, spec_path: str | None = None) -> Origin:
    return Origin(stack=stack, address=address, component=component, spec_path=spec_path or f"components.{component}",
                  line=line, column=3)


def problems_by_path(report) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in report.problems:
        found.setdefault(f"{problem.line} {problem.path}", []).append(problem.message)
    return found


def test_the_schema_names_terraform_arguments_their_requirements_nesting_and_computed_attributes(store):
    bucket = store.schema("google")["resources"]["google_storage_bucket"]
    assert bucket["attributes"]["name"]["required"] and bucket["attributes"]["location"]["required"]
    assert bucket["attributes"]["force_destroy"] == {"type": "bool", "required": False}
    assert bucket["blocks"]["versioning"]["nesting"] == "single"
    assert bucket["blocks"]["lifecycle_rule"]["nesting"] == "list"
    assert "self_link" in bucket["computed"] and "self_link" not in bucket["attributes"]
    config_map = store.schema("kubernetes")["resources"]["kubernetes_config_map_v1"]
    assert config_map["attributes"]["binary_data"]["type"] == ["map", "string"]   # camelCase binaryData, renamed
    assert config_map["blocks"]["metadata"]["required"]
    assert "uid" in config_map["blocks"]["metadata"]["block"]["computed"]
    scale_set = store.schema("azurerm")["resources"]["azurerm_linux_virtual_machine_scale_set"]
    assert scale_set["blocks"]["os_disk"]["required"] and scale_set["attributes"]["sku"]["required"]
    assert store.schema("aws")["terraform_provider"].startswith("hashicorp/aws 6.")
    assert store.schema("null") is None
    # ephemeral resources (values that never reach plan or state) are described too
    password = store.schema("random")["ephemeral_resources"]["random_password"]
    assert password["attributes"]["length"]["required"] and "result" in password["computed"]


def test_the_schema_is_derived_once_per_binding_version_then_read_from_the_cache(tmp_path):
    binding = installed_bindings()["kubernetes"]
    first = SchemaStore(tmp_path, {"kubernetes": binding})
    derived = first.schema("kubernetes")
    cache_file = tmp_path / f"cdktn-provider-kubernetes-{binding.version}.schema{FORMAT}.json"
    assert first.cache_file(binding) == cache_file and cache_file.is_file()

    again = SchemaStore(tmp_path, {"kubernetes": binding})
    assert again.is_cached("kubernetes")
    assert again.schema("kubernetes") == derived
    # What a later store returns comes from the cache file, not from deriving the assembly again.
    cache_file.write_text(json.dumps({**derived, "read_from": "the cache"}), encoding="utf-8")
    assert SchemaStore(tmp_path, {"kubernetes": binding}).schema("kubernetes")["read_from"] == "the cache"
    newer = type(binding)(provider="kubernetes", package=binding.package, version="99.0.0")
    assert not SchemaStore(tmp_path, {"kubernetes": newer}).is_cached("kubernetes")

    cache_file.write_text("{damaged", encoding="utf-8")
    assert SchemaStore(tmp_path, {"kubernetes": binding}).schema("kubernetes") == derived
    written = json.loads(cache_file.read_text(encoding="utf-8"))   # each type's block a JSON string of its own
    block = written["resources"]["kubernetes_config_map_v1"]
    assert isinstance(block, str) and json.loads(block) == derived["resources"]["kubernetes_config_map_v1"]
    assert SchemaStore(tmp_path, {"kubernetes": binding}).schema("kubernetes") == derived


def test_a_damaged_type_in_the_cached_schema_is_a_scan_error_naming_the_file(tmp_path):
    binding = installed_bindings()["kubernetes"]
    store = SchemaStore(tmp_path, {"kubernetes": binding})
    store.schema("kubernetes")
    written = json.loads(store.cache_file(binding).read_text(encoding="utf-8"))
    written["resources"]["kubernetes_config_map_v1"] = "{damaged"
    store.cache_file(binding).write_text(json.dumps(written), encoding="utf-8")
    schema = SchemaStore(tmp_path, {"kubernetes": binding}).schema("kubernetes")
    assert "kubernetes_secret_v1" in schema["resources"] and schema["resources"]["kubernetes_secret_v1"]
    with pytest.raises(ScanError, match="damaged at 'kubernetes_config_map_v1'"):
        schema["resources"]["kubernetes_config_map_v1"]


def test_a_broken_gcp_stack_is_caught_with_the_spec_line_of_each_resource(tmp_path, store):
    stack = "shop-dev-gcp"
    document = {"resource": {
        "google_storage_bucket": {"files": {"name": "shop-files", "uniform_bucket_level_acess": True,
                                            "self_link": "x", "versioning": "yes", "labels": ["a"],
                                            "force_destroy": "maybe"}},
        "google_compute_instance": {"vm": {"name": "vm", "machine_type": "e2-small",
                                           "network_interface": {"network": "default"}}}}}
    out = out_dir_with(tmp_path, {stack: document}, [origin(stack, "google_storage_bucket.files", "files", 8),
                                                     origin(stack, "google_compute_instance.vm", "vms", 9)])
    report = check_out_dir(out, store=store)
    found = problems_by_path(report)
    assert sorted(found) == ["8 components.files", "9 components.vms"]
    assert sorted(message.split(" [")[0] for message in found["8 components.files"]) == [
        "'self_link' is set by the provider (computed only) and cannot be configured",
        "'versioning' is a block: expected an object (or a list of objects), got a string",
        "expected a bool, got a string 'maybe'",
        "expected a map of strings, got a list",
        "the argument 'location' is required",
        "unknown argument 'uniform_bucket_level_acess' (did you mean 'uniform_bucket_level_access'?)"]
    assert found["9 components.vms"] == [
        f"a 'boot_disk' block is required [google_compute_instance.vm.boot_disk in {stack}; Nexus generated this "
        "for 'vms': a bug in Nexus, please report it]"]
    assert all(problem.file == str(tmp_path / "nexus.yaml") for problem in report.problems)
    with pytest.raises(ProviderSchemaError) as raised:
        report.raise_for_problems()
    assert raised.value.exit_code == 2 and "nexus.yaml:8:3: components.files:" in str(raised.value)


def test_a_broken_azure_stack_is_caught_with_the_spec_line(tmp_path, store):
    stack = "shop-dev-azure"
    document = {"resource": {"azurerm_linux_virtual_machine_scale_set": {"vms": {
        "name": "vms", "location": "westeurope", "resource_group_name": "rg", "sku": "Standard_B2s",
        "admin_username": "nexus", "instances": "many", "network_interface": [{"name": "nic", "primary": True,
                                                                             "ip_configuration": [{"name": "ip"}]}],
        "source_image_referense": {"publisher": "Canonical"}}}}}
    out = out_dir_with(tmp_path, {stack: document},
                       [origin(stack, "azurerm_linux_virtual_machine_scale_set.vms", "vms", 9)])
    messages = [(problem.line, problem.path, problem.message.split(" [")[0])
                for problem in check_out_dir(out, store=store).problems]
    assert sorted(messages) == [
        (9, "components.vms", "a 'os_disk' block is required"),
        (9, "components.vms", "expected a number, got a string 'many'"),
        (9, "components.vms", "unknown argument 'source_image_referense' (did you mean 'source_image_reference'?)")]


def test_a_broken_kubernetes_edge_stack_is_caught_in_its_module_and_provider_block(tmp_path, store, loaded):
    stack = "shop-dev-edge-factory-floor"
    document = {"provider": {"kubernetes": [{"config_paht": "~/.kube/config"}]},
                "module": {"site": {"source": "./modules/edge-site", "site_name": "factory_floor"}}}
    out = out_dir_with(tmp_path, {stack: document},
                       [origin(stack, "module.site", "providers.edge", 6, "providers.edge.locations")])
    module = out / "stacks" / stack / "modules" / "edge-site"
    shutil.copytree(repo_root() / "modules" / "edge-site", module)
    main = (module / "main.tf").read_text(encoding="utf-8")
    broken = main.replace("automount_service_account_token = false", "automount_service_account_tokn = false")
    config_map = broken.index('resource "kubernetes_config_map_v1" "site"')
    metadata = broken.index("  metadata {", config_map)
    broken = broken[:metadata] + broken[broken.index("  data = {", metadata):]   # the config map loses metadata
    (module / "main.tf").write_text(broken, encoding="utf-8")

    report = check_out_dir(out, store=store, loaded=loaded)
    messages = sorted((problem.line, problem.path, problem.message) for problem in report.problems)
    assert [(line, path, message.split(" [")[0]) for line, path, message in messages] == [
        (6, "providers.edge", "unknown argument 'config_paht' (did you mean 'config_path'?)"),
        (6, "providers.edge.locations", "a 'metadata' block is required"),
        (6, "providers.edge.locations",
         "unknown argument 'automount_service_account_tokn' (did you mean 'automount_service_account_token'?)")]
    assert "module.site.kubernetes_config_map_v1.site.metadata in " + stack in messages[1][2]


def test_an_argument_an_override_set_is_the_users_error_at_the_override_line(tmp_path, store, loaded):
    stack = "shop-dev-gcp"
    document = {"resource": {"google_storage_bucket": {"files": {
        "name": "shop-files", "location": "EU", "uniform_bucket_level_acess": True,
        "versioning": {"enabled": "sometimes"}}}}}
    out = out_dir_with(tmp_path, {stack: document, "shop-prod-gcp": document},
                       [origin(name, "google_storage_bucket.files", "files", 8) for name in (stack, "shop-prod-gcp")])
    report = check_out_dir(out, store=store, loaded=loaded)
    assert [(p.line, p.path, p.message) for p in report.problems] == [
        (12, "overrides.google_storage_bucket.files.uniform_bucket_level_acess",
         "unknown argument 'uniform_bucket_level_acess' (did you mean 'uniform_bucket_level_access'?) "
         "[google_storage_bucket.files.uniform_bucket_level_acess in shop-dev-gcp, shop-prod-gcp]"),
        (13, "overrides.google_storage_bucket.files.versioning.enabled",
         "expected a bool, got a string 'sometimes' "
         "[google_storage_bucket.files.versioning.enabled in shop-dev-gcp, shop-prod-gcp]")]


def test_values_terraform_converts_and_expressions_pass(tmp_path, store):
    stack = "shop-dev-gcp"
    document = {"resource": {"google_storage_bucket": {"files": {
        "name": 42, "location": "EU", "force_destroy": "false", "labels": "${var.labels}",
        "versioning": "${var.versioning}", "lifecycle_rule": [{"action": {"type": "Delete"},
                                                                "condition": {"age": "30"}}],
        "count": 1, "lifecycle": {"prevent_destroy": True}, "//": {"metadata": {}}}}}}
    out = out_dir_with(tmp_path, {stack: document}, [origin(stack, "google_storage_bucket.files", "files", 8)])
    report = check_out_dir(out, store=store)
    assert report.problems == [] and report.checked == 1 and report.raise_for_problems() is report


def test_resources_of_a_provider_without_a_binding_fail_the_check_never_pass(tmp_path, store):
    stack = "shop-dev-gcp"
    document = {"resource": {"null_resource": {"db": {}}, "tls_private_key": {"ca": {}}}}
    out = out_dir_with(tmp_path, {stack: document}, [])
    report = check_out_dir(out, store=store)
    assert report.unchecked == {stack: {"null": ["null_resource.db"], "tls": ["tls_private_key.ca"]}}
    with pytest.raises(ScanError) as raised:
        report.raise_for_problems()
    assert raised.value.exit_code == 4 and str(raised.value).splitlines() == [
        "the provider schema check could not run on 1 stack(s): no installed binding for their provider",
        f"  {stack}: null (null_resource.db)", f"  {stack}: tls (tls_private_key.ca)"]


def test_ephemeral_resources_are_checked_like_resources(store):
    """An ephemeral block (a generated secret's value) is held to its provider's schema; before, the whole
    `ephemeral` section went unchecked."""
    document = {"ephemeral": {"random_password": {"value": {"lenght": 32}},
                              "random_passphrase": {"other": {"length": 4}}}}
    found = {(finding.address, finding.kind, finding.message)
             for finding in check_configuration(document, "s", store.schema).findings}
    assert ("ephemeral.random_password.value", "unknown-argument",
            "unknown argument 'lenght' (did you mean 'length'?)") in found
    assert ("ephemeral.random_password.value", "missing-required", "the argument 'length' is required") in found
    assert any(address == "ephemeral.random_passphrase.other" and kind == "unknown-type"
               and "has no ephemeral resource 'random_passphrase'" in message for address, kind, message in found)
    clean = {"ephemeral": {"random_password": {"value": {"length": 32, "special": True}}}}
    assert check_configuration(clean, "s", store.schema).findings == []


def test_a_dynamic_block_in_a_module_counts_as_the_block_it_generates(tmp_path, store):
    (tmp_path / "main.tf").write_text(
        'resource "kubernetes_service_account_v1" "generated" {\n'
        '  dynamic "metadata" {\n    for_each = [1]\n    content { name = "a" }\n  }\n}\n'
        'resource "kubernetes_service_account_v1" "bare" {\n  automount_service_account_token = false\n}\n',
        encoding="utf-8")
    result = check_configuration(read_hcl(tmp_path), "site", store.schema)
    assert [str(finding) for finding in result.findings] == [
        "site: kubernetes_service_account_v1.bare.metadata: a 'metadata' block is required"]


KEYS = st.sampled_from(["name", "location", "metadata", "labels", "versioning", "enabled", "dynamic", "count", "//",
                         "files", "google_storage_bucket", "kubernetes", "resource"])
SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.sampled_from(["x", "${a}", "5"])


def containers_of(values):
    return st.lists(values, max_size=3) | st.dictionaries(KEYS, values, max_size=4)


JSON_VALUES = st.recursive(SCALARS, containers_of, max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(resource=JSON_VALUES, data=JSON_VALUES, provider=JSON_VALUES)
def test_any_hand_edited_json_gives_findings_never_a_crash(store, resource, data, provider):
    document = {"resource": {"google_storage_bucket": resource, "kubernetes_config_map_v1": {"site": resource}},
                "data": data, "provider": provider}
    result = check_configuration(document, "shop-dev-gcp", store.schema)
    assert all(finding.message for finding in result.findings)


def test_a_read_only_cache_still_checks_and_a_binding_without_its_assembly_cannot_run(tmp_path):
    binding = installed_bindings()["kubernetes"]
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("", encoding="utf-8")   # the cache folder cannot be made: nothing can be written there
    schema = SchemaStore(blocked, {"kubernetes": binding}).schema("kubernetes")
    assert "kubernetes_config_map_v1" in schema["resources"]

    missing = type(binding)(provider="null", package="cdktn-provider-null", version="15.0.2")
    with pytest.raises(ScanError) as raised:
        SchemaStore(tmp_path, {"null": missing}).schema("null")
    assert raised.value.exit_code == 4
    assert "the provider schema of null cannot be derived from cdktn-provider-null 15.0.2" in str(raised.value)
