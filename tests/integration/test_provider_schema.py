"""The provider schema check on real synth output and against real `terraform validate`: every blueprint's stacks
pass; overrides that break a GCP, an Azure stack are caught by `nexus validate --providers` and `nexus synth` at
their spec lines, offline; what terraform (aws 5.100 from the mirror) rejects among broken AWS stacks, the offline
check rejects too."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from cdktf_app.blueprints.catalog import list_blueprints
from cdktf_app.cli.main import cli
from cdktf_app.provider_schema import SchemaStore, check_configuration
from cdktf_app.provider_schema.report import check_synthesized
from cdktf_app.stacks.synth import synth
from cdktf_app.tools.terraform import run_terraform
from tests.helpers import write_spec

FIXTURES = Path(__file__).parent.parent / "fixtures"


@pytest.fixture(scope="module")
def store() -> SchemaStore:
    """Every installed binding's schema derived (or read from the cache): what setup leaves behind."""
    store = SchemaStore()
    for provider in store.bindings:
        store.schema(provider)
    return store


@pytest.fixture(scope="module")
def azure_all(tmp_path_factory):
    """The spec with every component type on Azure (no blueprint uses Azure), synthesized once."""
    work = tmp_path_factory.mktemp("azure-all")
    shutil.copyfile(FIXTURES / "specs" / "azure-all.yaml", work / "nexus.yaml")
    for source in ("fn", "fn_src"):
        shutil.copytree(FIXTURES / "specs" / source, work / source)
    return synth(work / "nexus.yaml", work / "cdktf.out", use_cache=False)


def test_every_blueprints_stacks_and_every_azure_component_match_their_provider_schemas(
        blueprint_outputs, azure_all, store):
    results = {blueprint.name: blueprint_outputs[blueprint.name] for blueprint in list_blueprints()}
    results["azure-all"] = azure_all
    checked = {}
    for name, result in results.items():
        report = check_synthesized(result, store=store)
        assert (report.problems, report.unchecked) == ([], {}), name
        assert report.stacks == len(result.stacks) and report.checked > 0, name
        checked[name] = report.checked
    assert sum(checked.values()) > 1000
    assert set(store.loaded) >= {"aws", "google", "azurerm"}


BROKEN = """apiVersion: nexus/v1
name: shop
environments: [dev, prod]
providers:
  gcp: {project: acme-shop, region: europe-west1}
  azure: {location: westeurope}
  edge: {locations: [factory_floor], update_strategy: air_gapped}
components:
  files: {type: bucket, provider: gcp}
  assets: {type: bucket, provider: azure}
overrides:
  google_storage_bucket.files:
    uniform_bucket_level_acess: true
  azurerm_storage_account.assets:
    account_tier: null
    min_tls_version: [TLS1_2]
"""


def invoke(*arguments: str):
    return CliRunner().invoke(cli, list(arguments), catch_exceptions=False)


def test_overrides_that_break_gcp_and_azure_stacks_are_located_errors_of_validate_and_synth(tmp_path, store,
                                                                                           monkeypatch):
    write_spec(tmp_path, BROKEN)
    monkeypatch.chdir(tmp_path)
    validated = invoke("validate", "nexus.yaml", "--providers")   # the README's command
    assert validated.exit_code == 2, validated.output
    assert validated.stderr.splitlines() == [
        "error: 3 arguments the provider schemas reject (checked offline)",
        "  nexus.yaml:13:5: overrides.google_storage_bucket.files.uniform_bucket_level_acess: unknown argument "
        "'uniform_bucket_level_acess' (did you mean 'uniform_bucket_level_access'?) "
        "[google_storage_bucket.files.uniform_bucket_level_acess in shop-dev-gcp, shop-prod-gcp]",
        "  nexus.yaml:15:5: overrides.azurerm_storage_account.assets.account_tier: the argument 'account_tier' is "
        "required [azurerm_storage_account.assets.account_tier in shop-dev-azure, shop-prod-azure]",
        "  nexus.yaml:16:5: overrides.azurerm_storage_account.assets.min_tls_version: expected a string, got a list "
        "['TLS1_2'] [azurerm_storage_account.assets.min_tls_version in shop-dev-azure, shop-prod-azure]"]

    synthesized = invoke("synth", "nexus.yaml")   # the schemas are cached: synth checks by default
    assert synthesized.exit_code == 2 and synthesized.stderr == validated.stderr

    as_json = invoke("--log-format", "json", "validate", "nexus.yaml", "--providers")
    error = json.loads(as_json.stderr)
    assert error["error"] == "ProviderSchemaError" and [p["line"] for p in error["problems"]] == [13, 15, 16]


def test_the_schemas_are_derived_and_cached_by_the_setup_command(store):
    result = subprocess.run([sys.executable, "-m", "cdktf_app.provider_schema"], capture_output=True, text=True,
                            timeout=600, check=True)
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == sorted(store.bindings)
    assert all("(cached in" in line for line in lines), lines   # the module fixture derived them already


def test_a_clean_spec_on_three_providers_passes_validate_providers(tmp_path, store):
    spec = write_spec(tmp_path, BROKEN.split("overrides:")[0])
    result = invoke("validate", str(spec), "--providers")
    assert result.exit_code == 0, result.output
    assert "match their provider schemas (hashicorp/azurerm" in result.output
    for provider in ("hashicorp/google", "hashicorp/kubernetes"):
        assert provider in result.output
    as_json = json.loads(invoke("--log-format", "json", "validate", str(spec), "--providers").output)
    assert as_json["provider_schemas"]["stacks"] == 6 and as_json["provider_schemas"]["problems"] == []


# Each case breaks one thing terraform's schema validation catches; `valid` must pass both, with values that
# terraform converts (a number as a string, a string as a number, "false" as a bool) and expressions.
AWS_CASES = {
    "valid": {"resource": {"aws_sqs_queue": {"fine": {
        "name": 42, "delay_seconds": "5", "fifo_queue": "false", "tags": "${var.tags}"}}},
        "variable": {"tags": {"type": "map(string)", "default": {}}}},
    "unknown_argument": {"resource": {"aws_s3_bucket": {"typo": {"bucket_prefixx": "logs-"}}}},
    "unknown_type": {"resource": {"aws_s3_buckett": {"typo": {"bucket": "x"}}}},
    "unknown_nested_argument": {"resource": {"aws_instance": {"nested": {
        "ami": "ami-12345678", "instance_type": "t3.micro", "root_block_device": {"volume_typ": "gp3"}}}}},
    "missing_argument": {"resource": {"aws_sqs_queue_policy": {"bare": {
        "queue_url": "https://sqs.us-east-1.amazonaws.com/123456789012/q"}}}},
    "missing_block": {"resource": {"aws_lb_listener": {"bare": {
        "load_balancer_arn": "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1",
        "port": 80, "protocol": "HTTP"}}}},
    "wrong_nesting": {"resource": {"aws_instance": {"flat": {
        "ami": "ami-12345678", "instance_type": "t3.micro", "root_block_device": "gp3"}}}},
    "wrong_type": {"resource": {"aws_sqs_queue": {"typed": {"name": "typed", "delay_seconds": "soon"}}}},
    "wrong_collection": {"resource": {"aws_security_group": {"listy": {"name": "listy", "tags": ["a", "b"]}}}},
    "computed_only": {"resource": {"aws_sqs_queue": {"computed": {
        "name": "computed", "arn": "arn:aws:sqs:us-east-1:123456789012:computed"}}}},
}
AWS_ROOT = {"terraform": {"required_providers": {"aws": {"source": "hashicorp/aws", "version": ">= 5.100, < 7.0"}}},
            "provider": {"aws": [{"region": "us-east-1", "access_key": "test", "secret_key": "test",
                                  "skip_credentials_validation": True, "skip_requesting_account_id": True,
                                  "skip_metadata_api_check": True}]}}


@pytest.fixture(scope="module")
def aws_folder(tmp_path_factory, terraform_cli_config) -> Path:
    """Every case in a file of its own beside the provider configuration, `terraform init`ed once."""
    folder = tmp_path_factory.mktemp("aws-broken")
    (folder / "main.tf.json").write_text(json.dumps(AWS_ROOT), encoding="utf-8")
    for case, document in AWS_CASES.items():
        (folder / f"{case}.tf.json").write_text(json.dumps(document), encoding="utf-8")
    init = run_terraform(folder, "init", "-backend=false", "-input=false", "-no-color", cli_config=terraform_cli_config)
    assert init.ok, init.output
    return folder


def terraform_json(folder: Path, cli_config: Path | None, *arguments: str) -> dict:
    result = run_terraform(folder, *arguments, cli_config=cli_config)
    return json.loads(result.output[result.output.index("{"):])


@pytest.fixture(scope="module")
def terraform_verdicts(aws_folder, terraform_cli_config) -> dict[str, list[str]]:
    """One `terraform validate -json` over every case: the error summaries per case file."""
    diagnostics = terraform_json(aws_folder, terraform_cli_config, "validate", "-json", "-no-color")["diagnostics"]
    verdicts: dict[str, list[str]] = {case: [] for case in AWS_CASES}
    for diagnostic in diagnostics:
        if diagnostic["severity"] == "error":
            verdicts[diagnostic["range"]["filename"].removesuffix(".tf.json")].append(diagnostic["summary"])
    return verdicts


def test_what_terraform_validate_rejects_the_offline_check_rejects_too(terraform_verdicts, store):
    ours = {case: [str(finding) for finding in check_configuration(document, case, store.schema).findings]
            for case, document in AWS_CASES.items()}
    assert terraform_verdicts["valid"] == [] and ours["valid"] == []
    for case in AWS_CASES:
        if case != "valid":
            assert terraform_verdicts[case], f"terraform accepted {case}: not a broken case"
            assert len(ours[case]) == 1, (case, terraform_verdicts[case], ours[case])


def test_the_derived_aws_schema_agrees_with_terraforms_own(aws_folder, terraform_cli_config, store):
    """`terraform providers schema -json` of the mirror's aws 5.100 against the schema derived from the 6.x
    binding, on the types both have: what differs is what changed between the versions (measured: 99.9% of
    argument names, 99.6% of required flags, 99.8% of computed-only attributes, 99.5% of blocks agree)."""
    schemas = terraform_json(aws_folder, terraform_cli_config, "providers", "schema", "-json")["provider_schemas"]
    theirs = schemas["registry.terraform.io/hashicorp/aws"]
    ours = store.schema("aws")
    tally = {"arguments": [0, 0], "required": [0, 0], "computed": [0, 0], "blocks": [0, 0]}
    for their_kind, our_kind in (("resource_schemas", "resources"), ("data_source_schemas", "data_sources")):
        for name, schema in theirs[their_kind].items():
            if name in ours[our_kind]:
                compare_blocks(schema["block"], ours[our_kind][name], tally)
    for what, (agree, total) in tally.items():
        assert total > 1000 and agree / total > 0.99, (what, agree, total)


def compare_blocks(theirs: dict, ours: dict, tally: dict[str, list[int]]) -> None:
    def count(what: str, agrees: bool) -> None:
        tally[what][0] += agrees
        tally[what][1] += 1

    for name, attribute in theirs.get("attributes", {}).items():
        if attribute.get("computed") and not (attribute.get("optional") or attribute.get("required")):
            count("computed", name in ours["computed"])
            continue
        count("arguments", name in ours["attributes"] or name in ours["blocks"])
        if name in ours["attributes"]:
            count("required", bool(attribute.get("required")) == ours["attributes"][name]["required"])
    for name, nested in theirs.get("block_types", {}).items():
        count("blocks", name in ours["blocks"])
        if name in ours["blocks"]:
            compare_blocks(nested["block"], ours["blocks"][name]["block"], tally)
