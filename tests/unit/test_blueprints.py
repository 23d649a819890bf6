"""Industry blueprints: catalog, parameter coercion and checks, safe rendering, and the specs they produce.

Rendering only: synthesis of these specs is tested elsewhere.
"""
from __future__ import annotations

import shlex

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from cdktf_app.blueprints import get_blueprint, list_blueprints, render_blueprint
from cdktf_app.blueprints.catalog import BLUEPRINTS_DIR_ENV, to_yaml
from cdktf_app.errors import BlueprintError, DataFileError
from cdktf_app.spec import load_spec_text
from cdktf_app.spec.model import DATABASE_VERSIONS

NAMES = ("devops-platform", "ecommerce", "fintech", "gamedev", "healthcare")
INJECTIONS = ('${file("/etc/passwd")}', "x: y", "a, b: [c]", "{evil: true}", "- item", "#comment", "&anchor", "'q'")


def spec_of(text: str, name: str = "test"):
    return load_spec_text(text, file=f"blueprint:{name}").spec


def render_spec(name: str, values: dict | None = None):
    return spec_of(render_blueprint(name, values or {}), name)


def problems_of(error: pytest.ExceptionInfo) -> str:
    return str(error.value)


# ---------------------------------------------------------------- catalog
def test_the_five_industry_blueprints_are_listed_with_their_metadata():
    blueprints = {blueprint.name: blueprint for blueprint in list_blueprints()}
    assert sorted(blueprints) == list(NAMES)
    assert blueprints["fintech"].standards == ("pci-dss-4.0", "soc2-type2")
    assert blueprints["healthcare"].standards == ("hipaa-v3.2",)
    for blueprint in blueprints.values():
        assert blueprint.title and blueprint.summary and blueprint.industry
        names = [parameter.name for parameter in blueprint.parameters]
        assert names[:2] == ["name", "environments"]
        assert any("region" in name for name in names)
        assert blueprint.parameter("environments").default == ["dev", "prod"]
        for parameter in blueprint.parameters:
            assert parameter.description, parameter.name
            assert parameter.type in ("string", "integer", "boolean", "list", "choice")
            if parameter.type == "choice":
                assert parameter.default in parameter.choices


def test_get_blueprint_returns_the_parameters_in_file_order():
    fintech = get_blueprint("fintech")
    assert fintech.parameter("web_cpu").choices == (256, 512, 1024, 2048, 4096)
    assert fintech.parameter("audit_log_days").min == 365
    assert fintech.parameter("nope") is None


@pytest.mark.parametrize("given, suggestion", [("fintch", "fintech"), ("health-care", "healthcare"),
                                                ("devops", "devops-platform")])
def test_an_unknown_blueprint_suggests_the_closest(given, suggestion):
    with pytest.raises(BlueprintError) as error:
        get_blueprint(given)
    assert f"unknown blueprint '{given}'" in problems_of(error)
    assert f"did you mean '{suggestion}'" in problems_of(error)
    with pytest.raises(BlueprintError):
        render_blueprint(given, {})


def test_a_path_is_not_a_blueprint_name():
    with pytest.raises(BlueprintError, match="unknown blueprint"):
        get_blueprint("../cdktf_app")


# ---------------------------------------------------------------- defaults
@pytest.mark.parametrize("name", NAMES)
def test_every_blueprint_renders_a_valid_spec_with_defaults(name):
    blueprint = get_blueprint(name)
    text = render_blueprint(name, {})
    spec = spec_of(text, name)
    assert spec.name == blueprint.parameter("name").default
    assert spec.environments == ["dev", "prod"]
    assert [f"{standard.id}-{standard.version}" for standard in spec.compliance.standards] == \
        list(blueprint.standards)
    assert spec.tags["blueprint"] == name
    assert spec.tags["owner"] == blueprint.parameter("owner").default
    assert len(spec.components) >= 6
    assert any(component.type == "monitoring" for component in spec.components.values())


@pytest.mark.parametrize("name", NAMES)
def test_the_rendered_yaml_is_readable_block_style_with_a_header(name):
    blueprint = get_blueprint(name)
    text = render_blueprint(name, {})
    lines = text.splitlines()
    assert lines[0].startswith(f"# Nexus spec rendered from the '{name}' blueprint")
    header = lines[:lines.index("apiVersion: nexus/v1")]
    assert all(line.startswith("#") for line in header)
    for parameter in blueprint.parameters:
        assert any(line.startswith(f"#   {parameter.name} ") for line in header), parameter.name
    assert f"# Render again with: nexus blueprints render {name}" in text
    body = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
    # block style: no flow mappings, and keys in the order a person writes them
    assert not any("{" in line for line in body), [line for line in body if "{" in line]
    top_level = [line.split(":")[0] for line in body if not line.startswith(" ")]
    assert top_level[:3] == ["apiVersion", "name", "description"]
    assert top_level.index("providers") < top_level.index("environments") < top_level.index("components")
    for component in yaml.safe_load(text)["components"].values():
        assert next(iter(component)) == "type"
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert "\t" not in text


@pytest.mark.parametrize("name", NAMES)
def test_rendering_is_deterministic(name):
    values = {"environments": "dev,staging,prod", "owner": "team-a"}
    reordered = dict(reversed(list(values.items())))
    assert render_blueprint(name, values) == render_blueprint(name, values) == render_blueprint(name, reordered)


@pytest.mark.parametrize("name", NAMES)
def test_the_render_again_command_in_the_header_reproduces_the_spec(name):
    values = {"environments": "qa,prod", "owner": "ops team"}
    text = render_blueprint(name, values)
    command = next(line for line in text.splitlines() if line.startswith("# Render again with: "))
    words = shlex.split(command.removeprefix("# Render again with: "))
    assert words[:4] == ["nexus", "blueprints", "render", name]
    settings_given = dict(word.split("=", 1) for word in words[5::2])
    assert words[4::2] == ["--set"] * len(settings_given)
    assert settings_given == {"environments": "qa,prod", "owner": "ops team"}
    assert render_blueprint(name, settings_given) == text


# ---------------------------------------------------------------- every parameter matters
ALTERNATIVE_STRINGS = {
    "name": "other-name", "region": {"aws": "eu-west-1", "gcp": "europe-west4"}, "aws_region": "ap-northeast-1",
    "gcp_region": "asia-northeast1", "gcp_project": "other-project", "owner": "someone-else",
    "alert_email": "oncall@acme.io", "cidr": "10.99.0.0/16", "web_image": "ghcr.io/acme/web:2.0",
    "api_image": "ghcr.io/acme/api:2.0", "app_image": "ghcr.io/acme/portal:2.0",
    "certificate": "arn:aws:acm:us-east-1:123456789012:certificate/12345678-1234-1234-1234-123456789012",
}
BASELINES = {"gamedev": {"edge_locations": "venue_a"}}  # the edge strategy only shows with an edge site


def _alternative(parameter, cloud: str):
    default = parameter.default
    if parameter.type == "integer":
        return default + 1 if parameter.max is None or default < parameter.max else default - 1
    if parameter.type == "boolean":
        return not default
    if parameter.type == "choice":
        return next(choice for choice in parameter.choices if choice != default)
    if parameter.type == "list":
        return ["qa"] if parameter.name == "environments" else ["site_b"]
    alternative = ALTERNATIVE_STRINGS[parameter.name]  # a new string parameter needs an entry here
    return alternative[cloud] if isinstance(alternative, dict) else alternative


@pytest.mark.parametrize("name", NAMES)
def test_every_parameter_changes_the_spec(name):
    blueprint = get_blueprint(name)
    cloud = "gcp" if name == "devops-platform" else "aws"
    baseline = dict(BASELINES.get(name, {}))
    reference = yaml.safe_load(render_blueprint(name, baseline))
    for parameter in blueprint.parameters:
        if parameter.name in baseline:
            continue
        changed = yaml.safe_load(render_blueprint(name, {**baseline, parameter.name: _alternative(parameter, cloud)}))
        assert changed != reference, f"{name}: parameter {parameter.name} does not change the spec"


# ---------------------------------------------------------------- non-default values land in the spec
def test_fintech_with_other_region_sizes_and_scaling():
    spec = render_spec("fintech", {
        "name": "card-vault", "region": "eu-west-1", "environments": "dev,staging,prod", "web_min": "5",
        "web_max": "20", "web_cpu": "1024", "api_min": "3", "api_max": "9", "db_size": "large",
        "db_storage_gb": "500", "db_version": "17", "cache_replicas": "2", "cache_size": "medium",
        "audit_log_days": "730", "auto_remediate": "no", "zones": "2", "cidr": "10.8.0.0/16"})
    c = spec.components
    assert spec.name == "card-vault"
    assert spec.providers.aws.region == "eu-west-1" and spec.providers.aws.allowed_regions == ["eu-west-1"]
    assert spec.providers.enabled() == ["aws"]
    assert spec.environments == ["dev", "staging", "prod"]
    assert (c["web"].type, c["web"].min, c["web"].max, c["web"].public) == ("service", 5, 20, True)
    assert (c["web"].cpu, c["web"].memory) == (1024, 2048)
    assert (c["api"].min, c["api"].max, c["api"].public) == (3, 9, False)
    assert (c["db"].engine, c["db"].version, c["db"].size, c["db"].storage_gb) == ("postgres", "17", "large", 500)
    assert c["db"].high_availability and c["db"].encrypted and not c["db"].public
    assert (c["cache"].engine, c["cache"].size, c["cache"].replicas) == ("redis", "medium", 2)
    assert (c["network"].cidr, c["network"].zones) == ("10.8.0.0/16", 2)
    buckets = {name: comp for name, comp in c.items() if comp.type == "bucket"}
    assert len(buckets) >= 2 and all(bucket.encrypted and not bucket.public for bucket in buckets.values())
    assert c["audit_logs"].expire_days == 730
    assert any(comp.type == "queue" for comp in c.values())
    assert spec.compliance.auto_remediate is False
    db_password = spec.secrets["db_password"]
    assert (db_password.kind, db_password.database, db_password.rotation.days) == ("managed", "db", 30)
    assert c["api"].secrets == ["db_password"]


def test_healthcare_with_other_region_retention_and_function_sizing():
    spec = render_spec("healthcare", {
        "region": "us-west-2", "environments": ["staging", "prod"], "phi_retention_days": 3650,
        "intake_memory": 1024, "intake_timeout": 300, "intake_runtime": "nodejs22", "db_high_availability": False,
        "app_min": 3, "app_max": 12})
    c = spec.components
    assert spec.providers.aws.region == "us-west-2"
    assert spec.environments == ["staging", "prod"]
    assert [standard.id for standard in spec.compliance.standards] == ["hipaa"]
    phi = c["phi_records"]
    assert (phi.type, phi.expire_days, phi.encrypted, phi.public) == ("bucket", 3650, True, False)
    assert phi.tags["data-classification"] == "phi"
    worker = c["intake_processor"]
    assert (worker.type, worker.memory, worker.timeout, worker.runtime) == ("function", 1024, 300, "nodejs22")
    assert c[worker.trigger].type == "queue"
    assert c["db"].engine == "postgres" and c["db"].high_availability is False and c["db"].encrypted
    assert c["consent_records"].type == "document_store" and c["consent_records"].partition_key == "patient_id"
    assert (c["portal"].min, c["portal"].max) == (3, 12)
    assert {comp.type for comp in c.values()} >= {"network", "service", "database", "bucket", "queue",
                                                  "function", "document_store", "monitoring"}


@pytest.mark.parametrize("engine", ["mysql", "postgres"])
def test_ecommerce_database_engine_and_cdn_origins(engine):
    spec = render_spec("ecommerce", {"db_engine": engine, "region": "eu-central-1", "web_max": "40",
                                     "cdn_price_class": "all", "orders_fifo": "false", "cache_replicas": "0"})
    c = spec.components
    assert spec.providers.aws.region == "eu-central-1"
    assert c["db"].engine == engine and c["db"].version == DATABASE_VERSIONS[engine][-1]
    origins = {c[comp.origin].type for comp in c.values() if comp.type == "cdn"}
    assert origins == {"bucket", "service"}
    assert all(comp.price_class == "all" for comp in c.values() if comp.type == "cdn")
    assert c["web"].max == 40 and c["web"].public
    assert {comp.kind for comp in c.values() if comp.type == "queue"} == {"queue", "topic"}
    assert c["orders"].fifo is False
    assert c[c["order_worker"].trigger].type == "queue"
    assert c["cache"].replicas == 0


def test_gamedev_in_two_clouds_and_regions_with_edge_sites():
    spec = render_spec("gamedev", {
        "aws_region": "eu-central-1", "gcp_project": "studio-games-prod", "gcp_region": "asia-northeast1",
        "nodes_min": "4", "nodes_max": "40", "node_size": "xlarge", "edge_locations": "[esports_arena, lan_hall]",
        "edge_update_strategy": "air_gapped", "primary_cloud": "gcp", "kubernetes_version": "1.32"})
    c = spec.components
    assert spec.providers.aws.region == "eu-central-1"
    assert (spec.providers.gcp.project, spec.providers.gcp.region) == ("studio-games-prod", "asia-northeast1")
    assert spec.providers.edge.locations == ["esports_arena", "lan_hall"]
    assert spec.providers.edge.update_strategy == "air_gapped"
    servers = c["game_servers"]
    assert (servers.type, servers.min, servers.max, servers.node_size, servers.version) == \
        ("kubernetes", 4, 40, "xlarge", "1.32")
    assert spec.clouds_for(servers) == ["aws", "gcp"]            # one cluster in each region
    assert spec.clouds_for(c["sessions"]) == ["aws", "gcp"] and c["sessions"].type == "cache"
    for single in ("player_data", "game_assets", "assets_cdn"):  # one source of truth, on the primary cloud
        assert c[single].provider == "gcp"
    assert c["player_data"].type == "document_store" and c["assets_cdn"].type == "cdn"


def test_gamedev_without_edge_locations_has_no_edge_provider():
    spec = render_spec("gamedev", {})
    assert spec.providers.edge is None
    assert spec.providers.enabled() == ["aws", "gcp"]
    assert spec.providers.aws.region != spec.providers.gcp.region


def test_devops_platform_is_gcp_only_with_secret_manager_and_kms():
    spec = render_spec("devops-platform", {
        "gcp_project": "acme-ci-intel", "region": "europe-west1", "environments": "prod", "api_min": "1",
        "api_max": "50", "analytics_table_days": "90", "secret_rotation_days": "30", "function_memory": "1024"})
    c = spec.components
    assert spec.providers.enabled() == ["gcp"]
    assert (spec.providers.gcp.project, spec.providers.gcp.region) == ("acme-ci-intel", "europe-west1")
    assert spec.environments == ["prod"]
    types = {comp.type for comp in c.values()}
    assert types >= {"service", "function", "queue", "warehouse", "document_store", "monitoring"}
    assert {comp.kind for comp in c.values() if comp.type == "queue"} == {"topic", "queue"}
    assert (c["api"].min, c["api"].max) == (1, 50)
    assert c["pipeline_analytics"].default_table_expiration_days == 90
    referenced = [secret for comp in c.values() for secret in getattr(comp, "secrets", [])]
    assert referenced and all(spec.secrets[secret].source == "gcp-secret-manager" for secret in referenced)
    assert spec.secrets["ci_token"].rotation_days == 30
    encryptable = [comp for comp in c.values() if "encrypted" in type(comp).model_fields]
    assert len(encryptable) >= 4 and all(comp.encrypted for comp in encryptable)
    assert all(comp.memory == 1024 for comp in c.values() if comp.type == "function")
    assert all(c[comp.trigger].type == "queue" for comp in c.values() if comp.type == "function")


# ---------------------------------------------------------------- value forms
@pytest.mark.parametrize("environments", ["dev,prod", " dev , prod ", "[dev, prod]", ["dev", "prod"], ("dev", "prod")])
def test_list_values_as_comma_separated_flow_yaml_or_python(environments):
    assert render_spec("fintech", {"environments": environments}).environments == ["dev", "prod"]


@pytest.mark.parametrize("text, expected", [("yes", True), ("no", False), ("TRUE", True), ("false", False),
                                            (True, True), (False, False)])
def test_boolean_values(text, expected):
    assert render_spec("fintech", {"auto_remediate": text}).compliance.auto_remediate is expected


def test_integer_and_choice_values_from_strings_or_python_values_give_the_same_spec():
    as_strings = render_blueprint("fintech", {"web_max": "12", "web_cpu": "1024", "db_version": "15"})
    as_values = render_blueprint("fintech", {"web_max": 12, "web_cpu": 1024, "db_version": "15"})
    assert as_strings == as_values
    assert spec_of(as_values).components["web"].cpu == 1024


# ---------------------------------------------------------------- wrong values
def test_an_unknown_parameter_is_rejected_with_a_suggestion():
    with pytest.raises(BlueprintError) as error:
        render_blueprint("fintech", {"regoin": "eu-west-1"})
    assert "unknown parameter 'regoin'" in problems_of(error)
    assert "did you mean 'region'" in problems_of(error)


@pytest.mark.parametrize("value", ["abc", "1.5", "", "3x", True, 2.0])
def test_a_bad_integer_names_the_parameter(value):
    with pytest.raises(BlueprintError) as error:
        render_blueprint("fintech", {"web_max": value})
    assert "web_max: expected an integer" in problems_of(error)


@pytest.mark.parametrize("name, key, value", [
    ("fintech", "web_max", "0"), ("fintech", "web_max", "1001"), ("fintech", "audit_log_days", "30"),
    ("healthcare", "intake_memory", "64"), ("gamedev", "nodes_min", "-1"),
    ("devops-platform", "event_retention_hours", "169"),
])
def test_an_out_of_range_value_names_the_parameter_and_the_range(name, key, value):
    with pytest.raises(BlueprintError) as error:
        render_blueprint(name, {key: value})
    assert f"{key}: {int(value)} is out of range; expected between" in problems_of(error)


def test_a_list_length_is_checked():
    with pytest.raises(BlueprintError, match=r"environments: \[\] is out of range; expected between 1 and 10 items"):
        render_blueprint("fintech", {"environments": ""})


@pytest.mark.parametrize("key, value, suggestion", [("db_size", "medum", "medium"), ("db_version", "18", None),
                                                    ("web_cpu", "500", None), ("db_size", True, None)])
def test_a_bad_choice_names_the_parameter_and_the_choices(key, value, suggestion):
    with pytest.raises(BlueprintError) as error:
        render_blueprint("fintech", {key: value})
    assert f"{key}: {value!r} is not one of" in problems_of(error)
    if suggestion:
        assert f"did you mean '{suggestion}'" in problems_of(error)


def test_ecommerce_database_engine_is_a_choice():
    with pytest.raises(BlueprintError, match=r"db_engine: 'oracle' is not one of postgres, mysql"):
        render_blueprint("ecommerce", {"db_engine": "oracle"})


@pytest.mark.parametrize("key, value, message", [
    ("auto_remediate", "maybe", "auto_remediate: expected true/false"),
    ("region", "Europe", "region: 'Europe' is not valid; expected AWS region"),
    ("name", "Payments", "name: 'Payments' is not valid"),
    ("name", "a" * 31, "name: 'aaaa"),
    ("environments", "dev,dev", "environments: listed twice: dev"),
    ("environments", "dev,Prod", "environments item: 'Prod' is not valid"),
    ("environments", "[dev, [prod]]", "environments: expected a list of strings"),
    ("environments", "[dev, prod", "environments: '[dev, prod' is not a list"),
    ("owner", "", "owner: '' is out of range"),
    ("owner", 7, "owner: expected a string"),
    ("alert_email", "not-an-email", "alert_email: 'not-an-email' is not valid"),
])
def test_badly_formed_values_name_the_parameter(key, value, message):
    with pytest.raises(BlueprintError) as error:
        render_blueprint("fintech", {key: value})
    assert message in problems_of(error)


def test_every_problem_is_reported_at_once():
    with pytest.raises(BlueprintError) as error:
        render_blueprint("fintech", {"regoin": "x", "web_min": "many", "db_size": "huge", "zones": "9"})
    text = problems_of(error)
    assert text.startswith("blueprint 'fintech': 4 problems with the parameters")
    for key in ("regoin", "web_min", "db_size", "zones"):
        assert key in text


@pytest.mark.parametrize("name, low, high", [("fintech", "web_min", "web_max"), ("fintech", "api_min", "api_max"),
                                             ("healthcare", "app_min", "app_max"), ("ecommerce", "web_min", "web_max"),
                                             ("gamedev", "nodes_min", "nodes_max"),
                                             ("devops-platform", "api_min", "api_max")])
def test_scaling_minimum_above_maximum_is_a_parameter_error(name, low, high):
    with pytest.raises(BlueprintError) as error:
        render_blueprint(name, {low: "9", high: "3"})
    assert f"{low} must not exceed {high}" in problems_of(error)
    assert f"{low}=9" in problems_of(error) and f"{high}=3" in problems_of(error)


# ---------------------------------------------------------------- injection
@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("name", NAMES)
def test_a_free_text_value_stays_an_inert_string(name, value):
    reference = yaml.safe_load(render_blueprint(name, {}))
    text = render_blueprint(name, {"owner": value})
    data = yaml.safe_load(text)
    assert data["tags"]["owner"] == value
    assert spec_of(text).tags["owner"] == value
    data["tags"]["owner"] = reference["tags"]["owner"]
    assert data == reference  # nothing else changed: no new keys, items or components


@pytest.mark.parametrize("key", ["name", "region", "cidr", "web_image", "alert_email"])
@pytest.mark.parametrize("value", ['${file("/etc/passwd")}', "x: y", "ok\nextra: key"])
def test_a_structured_value_with_yaml_or_terraform_syntax_is_rejected(key, value):
    with pytest.raises(BlueprintError) as error:
        render_blueprint("fintech", {key: value})
    assert f"{key}: " in problems_of(error)


@pytest.mark.parametrize("value", ["x\ny: z", "a\rb", "tab\there", "line\u2028break", "nul\x00"])
def test_line_breaks_and_control_characters_are_rejected(value):
    with pytest.raises(BlueprintError, match="owner: .* contains a line break or control character"):
        render_blueprint("fintech", {"owner": value})


def test_list_items_cannot_smuggle_structure():
    with pytest.raises(BlueprintError) as error:
        render_blueprint("gamedev", {"edge_locations": '[site_a, "b: c", "${x}"]'})
    assert "edge_locations item: 'b: c' is not valid" in problems_of(error)
    assert "edge_locations item: '${x}' is not valid" in problems_of(error)


SCALARS = st.one_of(st.text(max_size=40), st.integers(), st.booleans(), st.none(),
                    st.sampled_from(["yes", "no", "null", "~", "1e3", "0x1F", "16", "- a", "a: b", "[x]", "{y}",
                                     "'q'", '"q"', "#c", "&a", "*a", "!tag", "|", ">", "%x", "@x", "`x", "a #b"]))


@settings(max_examples=300, deadline=None)
@given(st.one_of(SCALARS, st.lists(SCALARS, max_size=4)))
def test_to_yaml_writes_one_line_that_reads_back_as_the_value_in_block_and_flow_context(value):
    text = to_yaml(value)
    assert "\n" not in text and text.isprintable()
    block = yaml.safe_load(f"key: {text}\nnext: 1\n")
    assert block == {"key": value, "next": 1}
    assert yaml.safe_load(f"- {text}\n- 2\n") == [value, 2]
    assert yaml.safe_load(f"[{text}, 3]") == [value, 3]
    assert yaml.safe_load(f"# {text}\nkey: 4\n") == {"key": 4}


# ---------------------------------------------------------------- broken blueprints
def _blueprint(tmp_path, monkeypatch, template: str, definition: str | None = None):
    folder = tmp_path / "custom"
    folder.mkdir()
    (folder / "blueprint.yaml").write_text(definition or (
        "title: Custom\nsummary: a test blueprint\nindustry: Testing\n"
        "parameters:\n  name:\n    type: string\n    default: custom\n    description: spec name\n"))
    (folder / "nexus.yaml.j2").write_text(template)
    monkeypatch.setenv(BLUEPRINTS_DIR_ENV, str(tmp_path))
    return "custom"


MINIMAL = "apiVersion: nexus/v1\nname: {{ name }}\nproviders:\n  aws:\n    region: us-east-1\n"


def test_the_blueprints_directory_can_be_overridden(tmp_path, monkeypatch):
    name = _blueprint(tmp_path, monkeypatch, MINIMAL)
    assert [blueprint.name for blueprint in list_blueprints()] == ["custom"]
    assert spec_of(render_blueprint(name, {"name": "mine"})).name == "mine"


def test_an_invalid_rendered_spec_is_reported_as_a_bug_in_the_blueprint(tmp_path, monkeypatch):
    name = _blueprint(tmp_path, monkeypatch, MINIMAL + "components:\n  db:\n    type: databse\n")
    with pytest.raises(BlueprintError) as error:
        render_blueprint(name, {})
    assert "rendered an invalid spec; this is a bug in the blueprint" in problems_of(error)
    assert "blueprint:custom" in problems_of(error) and "databse" in problems_of(error)


@pytest.mark.parametrize("template, message", [
    ("{{ missing }}", "UndefinedError"),
    ("{{ name.__class__.__mro__ }}", "SecurityError"),
    ("{% if %}", "TemplateSyntaxError"),
])
def test_template_errors_and_sandbox_escapes_are_blueprint_errors(tmp_path, monkeypatch, template, message):
    name = _blueprint(tmp_path, monkeypatch, MINIMAL + template)
    with pytest.raises(BlueprintError, match=message):
        render_blueprint(name, {})


# A missing field is marked at its parent (line 9 is `  knob:`).
@pytest.mark.parametrize("parameter, line, message", [
    ("    type: text\n    default: a\n    description: d\n",
     "10:5", "parameters.knob.type: expected one of string, integer, boolean, list, choice, got 'text'"),
    ("    type: choice\n    default: a\n    description: d\n",
     "9:3", "parameters.knob.choices: expected the list of choices of a choice parameter, got None"),
    ("    type: integer\n    description: d\n",
     "9:3", "parameters.knob.default: expected a default (every blueprint renders with no values given), got nothing"),
    ("    type: integer\n    default: 50\n    max: 10\n    description: d\n",
     "11:5", "parameters.knob.default: 50 is out of range; expected at most 10"),
    ("    type: integer\n    default: 5\n    description: d\n    maximum: 10\n",
     "13:5", "parameters.knob.maximum: expected one of type, default, description, choices, min, max, pattern, "
         "got 'maximum' (did you mean 'max'?)"),
    ("    type: boolean\n    default: true\n    description: d\n    min: 1\n",
     "13:5", "parameters.knob.min: expected no 'min' (it bounds an integer, list or string parameter), got 1"),
    ("    type: string\n    default: a\n    description: d\n    pattern: '[a-'\n",
     "13:5", "parameters.knob.pattern: expected a regular expression (unterminated character set at position 0), "
         "got '[a-'"),
])
def test_a_broken_definition_is_a_located_data_file_error(tmp_path, monkeypatch, parameter, line, message):
    definition = ("title: Custom\nsummary: s\nindustry: Testing\nparameters:\n  name:\n    type: string\n"
                  "    default: custom\n    description: spec name\n  knob:\n" + parameter)
    name = _blueprint(tmp_path, monkeypatch, MINIMAL, definition)
    with pytest.raises(DataFileError) as error:
        get_blueprint(name)
    assert [str(problem) for problem in error.value.problems] == \
        [f"{tmp_path / name / 'blueprint.yaml'}:{line}: {message}"]


@pytest.mark.parametrize("knobs, message", [
    ("knobs:\n  scale: [name, max_tasks]\n",
     ":10:17: knobs.scale[1]: expected a parameter of this blueprint, got 'max_tasks'"),
    ("knobs:\n  region: {moon: name}\n", ":10:12: knobs.region.moon: expected a cloud (aws, gcp, azure), got 'moon'"),
    ("knobs:\n  scaling: [name, name]\n", ":10:3: knobs.scaling: expected one of scale, region, db_engine, runtime, "
                                          "edge, scaled, got 'scaling' (did you mean 'scale'?)"),
    ("knobs:\n  scale: name\n", ":10:3: knobs.scale: expected [minimum parameter, maximum parameter], got 'name'"),
])
def test_knobs_name_the_blueprints_own_parameters(tmp_path, monkeypatch, knobs, message):
    definition = ("title: Custom\nsummary: s\nindustry: Testing\nparameters:\n  name:\n    type: string\n"
                  "    default: custom\n    description: spec name\n" + knobs)
    name = _blueprint(tmp_path, monkeypatch, MINIMAL, definition)
    with pytest.raises(DataFileError) as error:
        get_blueprint(name)
    assert [str(problem) for problem in error.value.problems] == [f"{tmp_path / name / 'blueprint.yaml'}{message}"]


@pytest.mark.parametrize("definition, message", [
    ("title: ''\n", ":1:1: title: expected a non-empty string, got ''"),
    ("standards:\n  - pci-dss: '9.9'\n", ":2:5: standards[0]: expected a standard Nexus knows ("),
    ("checks:\n  - check: name <=\n    message: m\n", ":2:5: checks[0].check: expected an expression ("),
    ("checks:\n  - check: name\n", ":2:5: checks[0]: expected a mapping with exactly 'check' (an expression) and "
                                     "'message', got {'check': 'name'}"),
])
def test_top_level_mistakes_are_located(tmp_path, monkeypatch, definition, message):
    body = ("summary: s\nindustry: Testing\nparameters:\n  name:\n    type: string\n    default: custom\n"
            "    description: spec name\n")
    if not definition.startswith("title"):
        body = "title: Custom\n" + body
    name = _blueprint(tmp_path, monkeypatch, MINIMAL, definition + body)
    with pytest.raises(DataFileError) as error:
        get_blueprint(name)
    assert len(error.value.problems) == 1
    assert str(error.value.problems[0]).startswith(f"{tmp_path / name / 'blueprint.yaml'}{message}")


@pytest.mark.parametrize("blueprint", [blueprint.name for blueprint in list_blueprints()])
def test_every_blueprint_says_which_component_carries_the_scale(blueprint):
    knobs = get_blueprint(blueprint).knobs
    scaled = spec_of(render_blueprint(blueprint, {})).components[knobs.scaled]
    low, high = knobs.scale
    defaults = get_blueprint(blueprint).defaults()
    assert (scaled.min, scaled.max) == (defaults[low], defaults[high])
