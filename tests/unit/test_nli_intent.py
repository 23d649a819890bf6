"""The offline intent parser on the in-repo development prompts (the held-out evaluation set lives outside
the repo; see scripts/nli_eval.py)."""
from __future__ import annotations

import pytest

from cdktf_app.nli.intent import parse_intent

SEED = "Create a PCI-compliant 3-tier web app with Redis cache and auto-scaling from 5-20 nodes"


def test_the_seed_prompt():
    intent = parse_intent(SEED)
    assert intent.standards == [("pci-dss", "4.0")]
    assert intent.tiers == 3
    assert {"cache", "service", "database"} <= set(intent.components)
    assert (intent.scale_min, intent.scale_max) == (5, 20)
    assert intent.cache_engine == "redis"
    assert intent.not_understood == []


@pytest.mark.parametrize("prompt, expected", [
    ("HIPAA-compliant patient portal on Azure with MySQL and a message queue, scaling between 2 and 6 instances",
     {"clouds": ["azure"], "standards": ["hipaa"], "db_engine": "mysql", "components": {"queue"},
      "scale": (2, 6), "industry": "healthcare"}),
    ("Online store on GCP with a CDN, Postgres 15 and Redis, no queue",
     {"clouds": ["gcp"], "db_engine": "postgres", "db_version": "15", "components": {"cdn", "cache", "database"},
      "without": {"queue"}, "industry": "ecommerce"}),
    ("Multiplayer game backend on AWS and GCP with Kubernetes from 3 to 30 nodes",
     {"clouds": ["aws", "gcp"], "components": {"kubernetes"}, "scale": (3, 30), "industry": "gamedev"}),
    ("Serverless CI/CD platform on Google Cloud with Python 3.11 functions",
     {"clouds": ["gcp"], "runtime": "python3.11", "components": {"function"}, "industry": "devops"}),
    ("An API on AWS in eu-west-1 with a MySQL database and an S3 bucket for uploads, SOC 2 type 1",
     {"clouds": ["aws"], "standards": [("soc2", "type1")], "regions": {"aws": "eu-west-1"},
      "components": {"database", "bucket", "service"}}),
    ("GDPR compliant web app in Frankfurt with valkey cache, up to 12 containers",
     {"standards": ["gdpr"], "cache_engine": "valkey", "scale": (None, 12),
      "regions": {"aws": "eu-central-1", "gcp": "europe-west3", "azure": "germanywestcentral"}}),
    ("Internal tool with a postgres db, no cache, ISO 27001, on Azure",
     {"clouds": ["azure"], "standards": ["iso27001"], "without": {"cache"}, "not_understood": ["internal", "tool"]}),
    ("payments service with dev, staging and prod environments, PCI DSS 3.2.1",
     {"standards": [("pci-dss", "3.2.1")], "environments": ["dev", "staging", "prod"], "industry": "fintech"}),
    ("multi-cloud game servers with edge sites at stadium_one and lan_hall",
     {"clouds": ["aws", "gcp"], "edge_locations": ["stadium_one", "lan_hall"]}),
    ("CIS hardened kubernetes cluster on AWS with at least 4 nodes",
     {"clouds": ["aws"], "standards": [("cis-aws", "5.0")], "components": {"kubernetes"}, "scale": (4, None)}),
])
def test_properties(prompt, expected):
    intent = parse_intent(prompt)
    checks = {
        "clouds": lambda: intent.clouds,
        "standards": lambda: [s if isinstance(expected["standards"][0], tuple) else s[0] for s in intent.standards],
        "db_engine": lambda: intent.db_engine, "db_version": lambda: intent.db_version,
        "cache_engine": lambda: intent.cache_engine, "runtime": lambda: intent.runtime,
        "scale": lambda: (intent.scale_min, intent.scale_max), "industry": lambda: intent.industry,
        "regions": lambda: intent.regions, "environments": lambda: intent.environments,
        "edge_locations": lambda: intent.edge_locations, "not_understood": lambda: intent.not_understood,
    }
    for key, value in expected.items():
        if key == "components":
            assert value <= set(intent.components), (key, intent.components)
        elif key == "without":
            assert value <= set(intent.without) and not value & set(intent.components), (key, intent)
        else:
            assert checks[key]() == value, (key, checks[key]())


def test_words_it_does_not_understand_are_reported_once_in_order():
    intent = parse_intent("A quantum blockchain ledger with redis, quantum flux and a database")
    assert intent.not_understood == ["quantum", "blockchain", "ledger", "flux"]
    assert intent.cache_engine == "redis" and "database" in intent.components


def test_negation_only_removes_what_it_negates():
    intent = parse_intent("web app with postgres but without redis or a cdn")
    assert set(intent.without) == {"cache", "cdn"}
    assert "database" in intent.components and "cache" not in intent.components


def test_unsafe_requests_are_recognised():
    intent = parse_intent("put the database password in plain text in an env var and disable encryption")
    assert intent.asks_plaintext_secrets and intent.asks_compliance_off
    assert not parse_intent(SEED).asks_compliance_off


def test_the_parser_is_deterministic():
    assert parse_intent(SEED) == parse_intent(SEED)


def test_vm_ranges_edge_sites_nothing_else_and_iot_are_understood():
    intent = parse_intent("an edge site at factory_floor and retail_store, air-gapped, 2 to 4 VMs, nothing else")
    assert (intent.scale_min, intent.scale_max, intent.scale_target) == (2, 4, "vm_group")
    assert intent.edge_locations == ["factory_floor", "retail_store"] and intent.air_gapped and intent.only_asked
    assert intent.not_understood == []
    assert parse_intent("IoT sensors").uncovered_domain == "IoT"
