"""Offline drafts: blueprint choice, its parameters, and the edits beyond them; every draft must load."""
from __future__ import annotations

import pytest

from cdktf_app.errors import BlueprintError, UsageError
from cdktf_app.nli.intent import parse_intent
from cdktf_app.nli.offline import choose_blueprint, delete_component, offline_draft
from cdktf_app.spec.document import dump_document, load_document
from cdktf_app.spec.loader import load_spec_text

SEED = "Create a PCI-compliant 3-tier web app with Redis cache and auto-scaling from 5-20 nodes"


def draft_spec(prompt: str, blueprint: str | None = None):
    draft = offline_draft(parse_intent(prompt), blueprint)
    return draft, load_spec_text(draft.text).spec


def types(spec) -> list[str]:
    return [component.type for component in spec.components.values()]


def test_the_seed_prompt_uses_the_fintech_blueprint_parameters():
    draft, spec = draft_spec(SEED)
    assert draft.blueprint == "fintech"
    assert draft.parameters == {"web_min": 5, "web_max": 20}
    assert (spec.components["web"].min, spec.components["web"].max, spec.components["web"].public) == (5, 20, True)
    assert [c.engine for c in spec.components.values() if c.type == "cache"] == ["redis"]
    assert types(spec).count("database") == 1 and types(spec).count("service") == 2
    assert [s.id for s in spec.compliance.standards] == ["pci-dss"]
    assert "Render again with: nexus blueprints render fintech --set web_min=5 --set web_max=20" in draft.text


@pytest.mark.parametrize("prompt, blueprint", [
    ("online shop with a product catalogue", "ecommerce"),
    ("telehealth app for patients", "healthcare"),
    ("HIPAA workload", "healthcare"),
    ("multiplayer matchmaking", "gamedev"),
    ("CI/CD pipeline insights", "devops-platform"),
    ("PCI cardholder vault", "fintech"),
    # Clouds alone used to pick devops-platform or gamedev and anything else the fintech app: no blueprint now,
    # the spec is built from the components asked for (or refused when there are none).
    ("something on google cloud", None),
    ("an app on aws and gcp", None),
    ("a web app", None),
    ("kubernetes cluster with edge sites at a1 and b2", None),
])
def test_blueprint_choice(prompt, blueprint):
    assert choose_blueprint(parse_intent(prompt)) == blueprint


def test_a_forced_blueprint_wins_and_an_unknown_one_is_a_clear_error():
    assert choose_blueprint(parse_intent("game backend"), "healthcare") == "healthcare"
    with pytest.raises(BlueprintError, match="unknown blueprint 'fintek' .*did you mean 'fintech'"):
        choose_blueprint(parse_intent("game backend"), "fintek")


def test_other_clouds_engines_and_removals_beyond_the_blueprint():
    draft, spec = draft_spec("HIPAA patient portal on Azure with MySQL 8.0, no queue, 3 to 9 instances")
    assert draft.blueprint == "healthcare"
    assert spec.providers.enabled() == ["azure"]
    assert {c.type for c in spec.components.values()}.isdisjoint({"queue", "monitoring", "document_store"})
    db = next(c for c in spec.components.values() if c.type == "database")
    assert (db.engine, db.version) == ("mysql", "8.0")
    assert (spec.components["portal"].min, spec.components["portal"].max) == (3, 9)
    assert all(secret.source == "azure-key-vault" for secret in spec.secrets.values() if secret.kind != "managed")
    assert not any(secret.kind == "managed" for secret in spec.secrets.values())   # Azure: Entra ID sign-in
    assert any("Entra ID sign-in" in note for note in draft.adjustments)
    assert any("not offered on azure" in note for note in draft.adjustments)
    # the function that the removed queue triggered stays, unhooked
    assert all(getattr(c, "trigger", None) is None for c in spec.components.values())


def test_components_asked_for_are_added_with_their_engine():
    draft, spec = draft_spec("payments app with valkey and a data warehouse on aws and gcp, python functions")
    caches = [c for c in spec.components.values() if c.type == "cache"]
    assert caches and all(c.engine == "valkey" for c in caches)
    warehouse = [c for c in spec.components.values() if c.type == "warehouse"]
    assert len(warehouse) == 1 and warehouse[0].provider == "gcp"
    assert all(c.runtime == "python3.12" for c in spec.components.values() if c.type == "function")
    assert spec.providers.enabled() == ["aws", "gcp"]


def test_a_cdn_without_its_origin_goes_too():
    _, spec = draft_spec("ecommerce store with no buckets and no services")
    assert not {"bucket", "service", "cdn"} & set(types(spec))


def test_scaling_bounds_that_the_blueprint_parameter_refuses_are_set_on_the_component():
    draft, spec = draft_spec("payments web tier scaling from 0 to 4 containers")
    assert "web_min" not in draft.parameters  # web_min's minimum is 1
    assert (spec.components["web"].min, spec.components["web"].max) == (0, 4)


def test_the_same_prompt_gives_the_same_text():
    assert offline_draft(parse_intent(SEED)).text == offline_draft(parse_intent(SEED)).text


def test_the_development_prompts_score_at_least_90_percent():
    from pathlib import Path

    from cdktf_app.nli.evaluate import evaluate, load_cases

    result = evaluate(load_cases(Path(__file__).parent.parent / "fixtures" / "nli" / "dev-prompts.yaml"))
    assert sum(result.total.values()) >= 100
    assert result.accuracy >= 0.9, result.misses


def test_the_scorer_counts_each_property_and_catches_a_wrong_one():
    from cdktf_app.nli.evaluate import score

    _, spec = draft_spec(SEED)
    scores = score(spec, {"clouds": ["gcp"], "components": ["cache", "warehouse"], "absent": ["cdn"],
                          "scaling": [5, 20], "db_engine": "mysql", "standards": ["pci-dss"]})
    assert [(kind, ok) for kind, _, ok in scores] == [
        ("clouds", False), ("standards", True), ("components", True), ("components", False), ("absent", True),
        ("scaling", True), ("db_engine", False)]


def test_edge_sites_become_the_gamedev_edge_locations():
    draft, spec = draft_spec("multi-cloud game servers with edge sites at stadium_one and lan_hall, with redis")
    assert draft.blueprint == "gamedev" and draft.parameters["edge_locations"] == ["stadium_one", "lan_hall"]
    assert spec.providers.edge.locations == ["stadium_one", "lan_hall"]


def test_a_second_cloud_pins_what_reads_the_first_clouds_secrets_and_what_uses_it():
    draft, spec = draft_spec("online store on AWS and GCP with postgres")
    assert spec.providers.enabled() == ["aws", "gcp"]
    assert spec.components["web"].provider == "aws"                 # reads db_password from AWS Secrets Manager
    assert spec.components["storefront_cdn"].provider == "aws"      # its origin is web
    assert spec.components["db"].provider is None                   # built on both clouds
    assert any("storefront_cdn" in note for note in draft.adjustments)


def test_a_cdn_and_its_bucket_origin_stay_in_one_cloud_when_the_spec_spans_two():
    draft, spec = draft_spec("Marketplace backend on AWS and Azure, queue between them, Postgres on AWS")
    assert spec.providers.enabled() == ["aws", "azure"]
    assert (spec.components["assets_cdn"].provider, spec.components["assets"].provider) == ("aws", "aws")
    assert "a CDN and its origin live in one cloud: storefront_cdn, assets_cdn, assets pinned to aws" \
        in draft.adjustments


def test_another_cloud_drops_the_old_clouds_suppressions_and_takes_only_its_own_exceptions():
    draft, spec = draft_spec("A HIPAA compliant patient portal on Azure with a postgres database and a queue")
    assert spec.compliance.suppressions == []
    assert "dropped 6 suppression(s) of checks for clouds the spec no longer uses" in draft.adjustments
    assert "ACM certificate" not in draft.text  # the comment went with the AWS suppressions it explained
    draft, spec = draft_spec(SEED.replace("web app", "web app on GCP"))
    assert {(s.check, s.resource) for s in spec.compliance.suppressions} == {("NEXUS_GCP_IAM_NO_PUBLIC_MEMBER",
                                                                             "web")}


def test_a_component_left_out_takes_its_comment_and_the_next_ones_comment_stays():
    draft, spec = draft_spec("A HIPAA compliant patient portal on Azure with a postgres database and a queue")
    assert "consent_records" not in spec.components and "Consent and disclosure records" not in draft.text
    lines = draft.text.splitlines()
    # The database's managed password is dropped on Azure (Entra ID sign-in), and its comment with it.
    assert "secrets:" not in lines and not any("database password" in line for line in lines)
    assert lines[-1] == "      data-classification: phi"
    assert lines[lines.index("components:") - 1] == ""  # the blank line before `components:` survives


def test_deleting_entries_keeps_the_comments_of_the_others():
    text = ("components:\n  # about a\n  a:\n    type: x\n    n: [1, 2]\n\n  # about b\n  b:\n    type: y\n"
            "    l:\n      - 1\n\n  # about c\n  c: {type: z}\n\n# about secrets\nsecrets: {}\n")
    expected = {
        "a": "components:\n  # about b\n  b:\n    type: y\n    l:\n      - 1\n\n  # about c\n  c: {type: z}\n",
        "b": "components:\n  # about a\n  a:\n    type: x\n    n: [1, 2]\n\n  # about c\n  c: {type: z}\n",
        "c": "components:\n  # about a\n  a:\n    type: x\n    n: [1, 2]\n\n  # about b\n  b:\n    type: y\n"
             "    l:\n      - 1\n",
    }
    for name, kept in expected.items():
        data = load_document(text)
        delete_component(data, name)
        assert dump_document(data) == kept + "\n# about secrets\nsecrets: {}\n", name


@pytest.mark.parametrize("prompt, understood, not_understood", [
    ("asdf qwerty", "understood: nothing", "not understood: asdf, qwerty"),
    ("an app on aws and gcp in frankfurt", "understood: clouds aws, gcp; regions eu-central-1", None),
    ("SOC 2 for our thing", "understood: standards soc2", "not understood: thing"),
])
def test_a_prompt_naming_nothing_to_build_is_an_error_listing_what_was_understood(prompt, understood,
                                                                                   not_understood):
    with pytest.raises(UsageError) as raised:
        offline_draft(parse_intent(prompt))
    message = str(raised.value)
    assert raised.value.exit_code == 2 and "cannot build a spec offline" in message and understood in message
    assert not_understood is None or not_understood in message


def test_iot_has_no_blueprint_it_is_built_from_its_parts_or_refused_with_what_to_say():
    with pytest.raises(UsageError, match=r"no blueprint covers IoT; name the parts to build, e\.g\. 'IoT ingest "
                                         r"with a queue, a function and a bucket'\n  understood: domain IoT"):
        offline_draft(parse_intent("IoT platform for our sensors"))
    draft, spec = draft_spec("IoT ingest with a queue, a function and a bucket")
    assert draft.blueprint is None and sorted(types(spec)) == ["bucket", "function", "queue"]
    assert "no blueprint covers IoT: built from the components asked for" in draft.adjustments


def test_a_small_ask_gives_a_small_spec_from_an_empty_base():
    draft, spec = draft_spec("a queue and a bucket")
    assert draft.blueprint is None and draft.parameters == {}
    assert sorted(types(spec)) == ["bucket", "queue"]  # no network, database or services
    assert spec.providers.enabled() == ["aws"] and spec.environments == ["dev"]
    assert spec.compliance.gate == "high" and spec.compliance.standards == [] and spec.name == "app"
    draft, spec = draft_spec("an api called ledger with a mysql database on gcp in europe-west1, ISO 27001")
    assert sorted(types(spec)) == ["database", "network", "service"]  # the network is what they run in
    assert spec.name == "ledger" and spec.providers.enabled() == ["gcp"] and spec.providers.gcp.region == \
        "europe-west1"
    assert [s.id for s in spec.compliance.standards] == ["iso27001"]
    assert all(c.network == "network" for c in spec.components.values() if c.type != "network")


def test_nothing_else_removes_every_component_not_asked_for_but_keeps_what_they_need():
    draft, spec = draft_spec("a payments app with a database and a queue, nothing else")
    assert draft.blueprint == "fintech"
    assert sorted(types(spec)) == ["database", "network", "queue"]
    assert any(note.startswith("left out (nothing else was asked for): web, api") for note in draft.adjustments)
    _, spec = draft_spec("an online shop with a cdn, nothing else")
    assert "cdn" in types(spec) and any(c.type in ("bucket", "service") for c in spec.components.values())
    assert "database" not in types(spec) and "cache" not in types(spec)
    assert not spec.secrets   # the database's own password went with the database


def test_edge_sites_and_air_gapped_become_providers_edge_and_a_vm_range_a_vm_group():
    draft, spec = draft_spec("an edge site at factory_floor and retail_store, air-gapped, with 2 to 4 VMs")
    assert spec.providers.edge.locations == ["factory_floor", "retail_store"]
    assert spec.providers.edge.update_strategy == "air_gapped"
    groups = [c for c in spec.components.values() if c.type == "vm_group"]
    assert [(c.min, c.max) for c in groups] == [(2, 4)]
    _, spec = draft_spec("HIPAA clinic records with edge sites at ward_a and ward_b")
    assert spec.providers.edge.locations == ["ward_a", "ward_b"]  # any blueprint, not only gamedev
    with pytest.raises(UsageError, match="air-gapped edge sites need names"):
        offline_draft(parse_intent("an air-gapped factory with a queue"))
