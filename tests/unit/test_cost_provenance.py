"""Each price says how it was obtained: read from its source on a day (`verified`) or worked out by a rule
(`derived_from`); `nexus cost` marks the charges priced with a derived price in the table, markdown and JSON."""
from __future__ import annotations

import json

from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.cost import load_catalogue

VALKEY_RULE = ("the Redis OSS price of the node type less 20% (ElastiCache for Valkey's published discount), "
               "not read per node")
STACK = {"provider": {"aws": [{"region": "eu-west-1"}]}, "resource": {
    "aws_instance": {"web": {"instance_type": "t3.small"}},
    "aws_elasticache_replication_group": {"cache": {"engine": "valkey", "node_type": "cache.t4g.small",
                                                    "num_cache_clusters": 2}}}}


def test_an_amount_states_its_own_provenance_over_its_entrys():
    catalogue = load_catalogue()
    read = catalogue.price("aws", "elasticache_node", "eu-west-1", "redis/cache.t4g.small")
    derived = catalogue.price("aws", "elasticache_node", "eu-west-1", "valkey/cache.t4g.small")
    assert (read.verified, read.derived_from, read.derived) == ("2025-06-01", None, False)
    assert (derived.verified, derived.derived_from, derived.derived) == (None, VALKEY_RULE, True)
    whole_entry = catalogue.price("aws", "aurora_instance", "us-east-1", "mysql/db.r6g.large")
    assert whole_entry.derived and "without re-reading the page" in whole_entry.derived_from


def stack_file(tmp_path):
    path = tmp_path / "main.tf.json"
    path.write_text(json.dumps(STACK), encoding="utf-8")
    return path


def test_the_table_marks_derived_charges_and_lists_their_rules(tmp_path):
    result = CliRunner().invoke(cli, ["cost", str(stack_file(tmp_path))], terminal_width=400)
    assert result.exit_code == 0, result.output
    assert "2 x cache.t4g.small nodes *" in result.output and "t3.small hours *" not in result.output
    notes = result.output.split("* Derived prices (1), worked out rather than read from their source:", 1)[1]
    assert f"elasticache_node valkey/cache.t4g.small eu-west-1 $0.0272/hour: {VALKEY_RULE}" in " ".join(notes.split())


def test_json_and_markdown_say_which_prices_are_derived(tmp_path):
    as_json = CliRunner().invoke(cli, ["cost", str(stack_file(tmp_path)), "--output", "json"])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.stdout)
    by_address = {line["address"]: line["charges"][0] for line in payload["lines"]}
    cache, web = by_address["aws_elasticache_replication_group.cache"], by_address["aws_instance.web"]
    assert (cache["derived"], cache["derived_from"], "verified" in cache) == (True, VALKEY_RULE, False)
    assert (web["derived"], web["verified"], "derived_from" in web) == (False, "2025-06-01", False)
    assert payload["derived_prices"] == [{"cloud": "aws", "price_key": "elasticache_node",
                                          "sku": "valkey/cache.t4g.small", "region": "eu-west-1",
                                          "unit_price": 0.0272, "source": "https://aws.amazon.com/elasticache/pricing/",
                                          "derived_from": VALKEY_RULE}]
    markdown = CliRunner().invoke(cli, ["cost", str(stack_file(tmp_path)), "--output", "markdown"])
    assert "| 2 x cache.t4g.small nodes \\* |" in markdown.output
    assert f"- `elasticache_node valkey/cache.t4g.small eu-west-1` $0.0272/hour: {VALKEY_RULE}" in markdown.output
