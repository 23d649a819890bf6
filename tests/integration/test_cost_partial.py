"""A cost delta with unpriced resources on either side is partial, and says so: gamedev moved from us-east-1 to
ap-northeast-1 (a region the catalogue has few prices for) is not a saving of everything left unpriced."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from cdktf_app.blueprints.catalog import render_blueprint
from cdktf_app.cli.main import cli
from cdktf_app.cost import compare, estimate


@pytest.fixture(scope="module")
def moved_region(tmp_path_factory):
    specs = []
    for region in ("us-east-1", "ap-northeast-1"):
        spec = tmp_path_factory.mktemp(f"gamedev-{region}") / "nexus.yaml"
        spec.write_text(render_blueprint("gamedev", {"aws_region": region}), encoding="utf-8")
        specs.append(spec)
    before, after = (estimate(spec) for spec in specs)
    # The premise of the test: the head prices fewer resources than the base.
    assert len(after.unpriced) > len(before.unpriced) and after.total_monthly < before.total_monthly
    return specs, compare(before, after)


def test_resources_unpriced_on_one_side_are_not_a_saving(moved_region):
    _, delta = moved_region
    assert delta.partial
    one_sided = [line for line in delta.lines if line.unpriced_after]
    assert {line.address for line in one_sided} >= {"aws_eks_cluster.game_servers", "aws_nat_gateway.network_nat"}
    assert all(line.before and "ap-northeast-1" in line.unpriced_after for line in one_sided
               if line.type == "aws_eks_cluster")
    both_sides = [line for line in delta.lines if not line.partial]
    assert delta.delta_monthly == pytest.approx(sum(line.delta for line in both_sides), abs=0.05)
    assert delta.delta_monthly > delta.total_after - delta.total_before + 1000   # the false saving is gone
    assert "partial" in delta.headline() and f"{len(delta.after.unpriced)} unpriced after" in delta.headline()


def test_json_table_and_markdown_say_the_delta_is_partial(moved_region):
    (before, after), delta = moved_region
    runner = CliRunner()
    as_json = runner.invoke(cli, ["cost", str(before), "--compare", str(after), "--output", "json"])
    assert as_json.exit_code == 0, as_json.output
    payload = json.loads(as_json.output)
    assert payload["partial"] is True and payload["delta_monthly"] == delta.delta_monthly
    assert len(payload["unpriced_after"]) == len(delta.after.unpriced)
    assert all(item["reason"] and item["address"] for item in payload["unpriced_after"] + payload["unpriced_before"])
    eks = next(line for line in payload["lines"] if line["address"] == "aws_eks_cluster.game_servers")
    assert eks["partial"] and "ap-northeast-1" in eks["unpriced_after"]

    table = runner.invoke(cli, ["cost", str(before), "--compare", str(after)])
    assert table.exit_code == 0, table.output
    assert "partial" in table.output and f"at least ${delta.total_after:,.2f}" in table.output
    assert f"Unpriced after ({len(delta.after.unpriced)}" in table.output
    assert "unknown (unpriced after)" in table.output and "…" not in table.output

    markdown = runner.invoke(cli, ["cost", str(before), "--compare", str(after), "--output", "markdown"])
    assert markdown.exit_code == 0, markdown.output
    heading = markdown.output.splitlines()[0]
    assert heading.startswith("## Cost impact:") and "partial" in heading
    assert "- arena-dev-aws `aws_eks_cluster.game_servers`: no catalogue price" in markdown.output
