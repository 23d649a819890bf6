"""Every broken spec gets one clear problem per mistake: file:line:column, spec path, what was expected."""
from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.errors import SpecError
from cdktf_app.spec import load_spec, load_spec_text
from tests.helpers import PAYMENTS_SPEC as VALID, write_spec


# (spec text, spec path, line, fragment of the message)
BROKEN = [
    ("apiVersion: nexus/v1\nname: [unclosed\n", "", 3, "invalid YAML"),
    (VALID.replace("engine: postgres", "engine: postgress"), "components.db.engine", 6, "did you mean 'postgres'"),
    (VALID.replace("engine: postgres", "engin: postgres"), "components.db.engin", 6, "did you mean 'engine'"),
    (VALID.replace("type: database", "type: databse"), "components.db", 6, "did you mean 'database'"),
    (VALID.replace("name: payments", "name: Payments!"), "name", 2, "lower-case letters"),
    (VALID + "  web: {type: service, image: x, min: 9, max: 3}\n", "components.web", 7, "must not exceed max"),
    (VALID + "  web: {type: service, image: x, port: 70000}\n", "components.web.port", 7, "less than or equal"),
    (VALID + "  web: {type: service, image: x, min: many}\n", "components.web.min", 7, "valid integer"),
    (VALID + "  web: {type: service, image: x, network: nett}\n", "components.web.network", 7, "no component named"),
    (VALID + "  web: {type: service, image: x, secrets: [nope]}\n", "components.web.secrets", 7, "unknown secret"),
    (VALID + "  db: {type: cache}\n", "components.db", 7, "duplicate key 'db'"),
    (VALID.replace("region: us-east-1", "region: mars-1"), "providers.aws.region", 4, "not valid"),
    (VALID.replace("apiVersion: nexus/v1", "apiVersion: nexus/v2"), "apiVersion", 1, "nexus/v1"),
    (VALID + "compliance:\n  standards: [{pci-dss: '9.9'}]\n", "compliance.standards", 8, "4.0"),
    (VALID + "  fs: {type: warehouse}\n", "components.fs.type", 7, "available on gcp only"),
    (VALID + "  m: {type: module, source: edge-site, inputs: {site_nme: x}}\n", "components.m.inputs.site_nme", 7,
     "did you mean 'site_name'"),
    (VALID + "  m: {type: module, source: edge-site, inputs: {site_name: x, max_pods: lots}}\n",
     "components.m.inputs.max_pods", 7, "must be number"),
    (VALID + "  m: {type: module, source: edge-site, inputs: {}}\n", "components.m.inputs", 7, "needs input 'site_name'"),
    (VALID + "  m: {type: module, source: no-such-module}\n", "components.m.source", 7, "no module 'no-such-module'"),
    ("- just\n- a list\n", "", 1, "a spec is a mapping"),
    ("", "", 1, "empty"),
]


@pytest.mark.parametrize("text, path, line, fragment", BROKEN, ids=[case[3][:30] for case in BROKEN])
def test_broken_spec_names_place_and_expectation(text, path, line, fragment):
    with pytest.raises(SpecError) as caught:
        load_spec_text(text, file="nexus.yaml")
    matching = [p for p in caught.value.problems if fragment in p.message]
    assert matching, [str(p) for p in caught.value.problems]
    problem = matching[0]
    assert problem.file == "nexus.yaml" and problem.path == path and problem.line == line
    assert str(problem).startswith(f"nexus.yaml:{line}:")


def test_all_problems_are_reported_at_once():
    text = VALID.replace("engine: postgres", "engine: oracle") + "  web: {type: service, imag: x}\n"
    with pytest.raises(SpecError) as caught:
        load_spec_text(text)
    paths = {problem.path for problem in caught.value.problems}
    assert {"components.db.engine", "components.web.imag", "components.web.image"} <= paths


def test_alias_bomb_is_refused_quickly():
    layers = ['a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    layers += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    with pytest.raises(SpecError) as caught:
        load_spec_text("\n".join(layers) + "\n")
    assert "expands to more than" in caught.value.problems[0].message


def test_huge_document_is_refused(tmp_path):
    big = write_spec(tmp_path, "x: '" + "a" * (6 * 1024 * 1024) + "'\n", "big.yaml")
    with pytest.raises(SpecError) as caught:
        load_spec(big)
    assert "larger than 5 MiB" in caught.value.problems[0].message


def test_seed_compliance_form_is_accepted():
    spec = load_spec_text(VALID + "compliance:\n  standards:\n    - hipaa: v3.2\n    - soc2: type2\n"
                                  "  auto_remediate: true\n").spec
    assert [(s.id, s.version) for s in spec.compliance.standards] == [("hipaa", "v3.2"), ("soc2", "type2")]
    assert spec.compliance.auto_remediate is True


def test_cli_exits_2_with_located_messages_and_no_traceback(tmp_path):
    spec = write_spec(tmp_path, VALID.replace("engine: postgres", "engine: postgress"))
    result = CliRunner().invoke(cli, ["validate", str(spec)])
    assert result.exit_code == 2
    assert f"{spec}:6:" in result.output and "components.db.engine" in result.output
    assert "Traceback" not in result.output


def test_cli_json_errors_for_machines(tmp_path):
    spec = write_spec(tmp_path, VALID.replace("engine: postgres", "engine: postgress"))
    completed = subprocess.run([sys.executable, "-m", "cdktf_app.cli.main", "--log-format", "json", "validate",
                                str(spec)], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2 and "Traceback" not in completed.stderr
    import json

    payload = json.loads(completed.stderr)
    assert payload["error"] == "SpecError" and payload["problems"][0]["line"] == 6


def test_missing_file_is_a_clean_error():
    result = CliRunner().invoke(cli, ["validate", "/nonexistent/nexus.yaml"])
    assert result.exit_code == 2 and "no such file" in result.output


@pytest.mark.parametrize("cloud, outside, inside, key", [
    ("aws", "region: eu-west-1", "region: eu-central-1", "region"),
    ("gcp", "project: acme-prod-1, region: us-east1", "project: acme-prod-1, region: europe-west1", "region"),
    ("azure", "location: eastus", "location: westeurope", "location"),
])
def test_data_residency_rejects_a_region_outside_allowed_regions(cloud, outside, inside, key):
    from cdktf_app.compliance.context import check_context

    allowed = {"aws": ["eu-central-1"], "gcp": ["EU", "europe-west1"], "azure": ["westeurope"]}[cloud]
    spec = "apiVersion: nexus/v1\nname: shop\nproviders:\n  {cloud}: {{{settings}, allowed_regions: [{allowed}]}}\n"
    with pytest.raises(SpecError) as error:
        load_spec_text(spec.format(cloud=cloud, settings=outside, allowed=", ".join(allowed)), file="nexus.yaml")
    problem, = error.value.problems
    assert (problem.line, problem.path) == (4, f"providers.{cloud}.{key}")
    assert "outside allowed_regions" in problem.message
    loaded = load_spec_text(spec.format(cloud=cloud, settings=inside, allowed=", ".join(allowed)))
    assert check_context(loaded)["allowed_regions"] == {cloud: allowed}
