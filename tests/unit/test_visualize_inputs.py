"""Every kind of TARGET becomes the same graph: .tf directories in the style of public modules, Terraform JSON,
plan JSON (`terraform show -json`), raw and shown state; bad input is a clear UsageError."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from cdktf_app.errors import UsageError
from cdktf_app.visualize import build_graph, render
from cdktf_app.workspace import load_inventory

PUBLIC = Path(__file__).parent.parent / "fixtures" / "terraform-public"


def edges_of(graph) -> set[tuple[str, str]]:
    return {(edge.source.split("/", 1)[1], edge.target.split("/", 1)[1]) for edge in graph.edges}


@pytest.mark.parametrize("directory", sorted(path.name for path in PUBLIC.iterdir() if path.is_dir()))
@pytest.mark.parametrize("fmt", ["mermaid", "dot", "html"])
def test_public_style_configurations_are_drawn(directory, fmt):
    graph = build_graph(PUBLIC / directory, group_by="network")
    assert graph.nodes and graph.edges
    text = render(graph, fmt)
    assert all(node.name.split("/")[-1].removeprefix("data ") in text for node in graph.nodes)


def test_vpc_module_style_edges_include_count_splat_depends_on_and_locals():
    edges = edges_of(build_graph(PUBLIC / "aws-vpc"))
    assert ("aws_subnet.public", "aws_vpc.this") in edges                        # aws_vpc.this[0].id
    assert ("aws_nat_gateway.this", "aws_subnet.public") in edges                # element(aws_subnet.public[*].id)
    assert ("aws_eip.nat", "aws_internet_gateway.this") in edges                 # depends_on
    assert ("aws_internet_gateway.this", "aws_vpc.this") in edges                # through local.vpc_id
    assert ("aws_iam_role_policy.flow_log", "data.aws_iam_policy_document.flow_log") in edges
    assert ("data.aws_iam_policy_document.flow_log", "aws_cloudwatch_log_group.flow_log") in edges  # nested block
    assert not any(target.startswith(("var.", "local.")) for _, target in edges)


def test_modules_are_nodes_with_their_source_and_referenced_outputs_are_edges():
    graph = build_graph(PUBLIC / "aws-eks")
    modules = {node.address: node for node in graph.nodes if node.mode == "module"}
    assert set(modules) == {"module.vpc", "module.eks", "module.extra_nodes"}
    assert modules["module.vpc"].attributes["source"] == "terraform-aws-modules/vpc/aws"
    assert "module terraform-aws-modules/vpc/aws" in modules["module.vpc"].label_lines
    assert {("module.eks", "module.vpc"), ("aws_eks_node_group.spot", "module.eks")} <= edges_of(graph)


def test_count_and_for_each_literals_give_instances():
    graph = build_graph(PUBLIC / "aws-vpc")
    by_address = {node.address: node for node in graph.nodes}
    assert by_address["aws_vpc_ipv4_cidr_block_association.this"].instances == 0
    assert by_address["aws_route.public_internet_gateway"].instances == 1


def test_a_single_tf_file_and_a_terraform_json_file(tmp_path):
    (tmp_path / "one.tf").write_text('resource "aws_s3_bucket" "b" {}\nresource "aws_s3_bucket_policy" "p" {\n'
                                     '  bucket = aws_s3_bucket.b.id\n  policy = "{}"\n}\n')
    assert edges_of(build_graph(tmp_path / "one.tf")) == {("aws_s3_bucket_policy.p", "aws_s3_bucket.b")}
    document = {"resource": {"aws_sqs_queue": {"q": [{"name": "q"}]},
                             "aws_lambda_event_source_mapping": {"m": {"event_source_arn": "${aws_sqs_queue.q.arn}"}}}}
    (tmp_path / "main.tf.json").write_text(json.dumps(document))
    assert edges_of(build_graph(tmp_path / "main.tf.json")) == {("aws_lambda_event_source_mapping.m", "aws_sqs_queue.q")}


PLAN = {
    "format_version": "1.2",
    "planned_values": {"root_module": {
        "resources": [
            {"address": "aws_vpc.main", "mode": "managed", "type": "aws_vpc", "name": "main",
             "values": {"cidr_block": "10.0.0.0/16"}},
            {"address": "aws_subnet.private[0]", "mode": "managed", "type": "aws_subnet", "name": "private",
             "index": 0, "values": {"cidr_block": "10.0.1.0/24"}},
            {"address": "aws_subnet.private[1]", "mode": "managed", "type": "aws_subnet", "name": "private",
             "index": 1, "values": {"cidr_block": "10.0.2.0/24"}},
        ],
        "child_modules": [{"address": "module.db", "resources": [
            {"address": "module.db.aws_db_instance.this", "mode": "managed", "type": "aws_db_instance",
             "name": "this", "values": {"instance_class": "db.t4g.medium"}}]}]}},
    "configuration": {
        "provider_config": {"aws": {"name": "aws", "expressions": {"region": {"constant_value": "eu-west-1"}}}},
        "root_module": {
            "resources": [
                {"address": "aws_vpc.main", "mode": "managed", "type": "aws_vpc", "name": "main",
                 "expressions": {"cidr_block": {"constant_value": "10.0.0.0/16"}}},
                {"address": "aws_subnet.private", "mode": "managed", "type": "aws_subnet", "name": "private",
                 "expressions": {"vpc_id": {"references": ["aws_vpc.main.id", "aws_vpc.main"]}},
                 "count_expression": {"constant_value": 2}},
            ],
            "module_calls": {"db": {"source": "./modules/db", "expressions": {
                "subnet_ids": {"references": ["aws_subnet.private", "count.index"]}},
                "module": {"resources": [{"address": "aws_db_instance.this", "mode": "managed",
                                          "type": "aws_db_instance", "name": "this", "expressions": {},
                                          "depends_on": ["aws_db_subnet_group.missing"]}]}}}}},
}


def test_plan_json_nodes_instances_and_reference_lists(tmp_path):
    (tmp_path / "plan.json").write_text(json.dumps(PLAN))
    inventory = load_inventory(tmp_path / "plan.json")
    assert inventory.source == "plan" and inventory.regions["plan"] == {"aws": "eu-west-1"}
    graph = build_graph(inventory)
    nodes = {node.address: node for node in graph.nodes}
    assert set(nodes) == {"aws_vpc.main", "aws_subnet.private", "module.db", "module.db.aws_db_instance.this"}
    assert nodes["aws_subnet.private"].instances == 2
    assert nodes["module.db.aws_db_instance.this"].name == "db/this"
    assert edges_of(graph) == {("aws_subnet.private", "aws_vpc.main"), ("module.db", "aws_subnet.private")}


def test_raw_state_and_shown_state(tmp_path):
    raw = {"version": 4, "terraform_version": "1.11.0", "resources": [
        {"mode": "managed", "type": "aws_vpc", "name": "main", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]",
         "instances": [{"attributes": {"id": "vpc-1", "arn": "arn:aws:ec2:eu-central-1:123:vpc/vpc-1"}}]},
        {"module": "module.net[0]", "mode": "managed", "type": "aws_subnet", "name": "a",
         "instances": [{"index_key": 0, "attributes": {"id": "s-1"}, "dependencies": ["aws_vpc.main"]},
                       {"index_key": 1, "attributes": {"id": "s-2"}, "dependencies": ["aws_vpc.main"]}]},
        {"mode": "data", "type": "aws_region", "name": "current", "instances": [{"attributes": {"name": "x"}}]},
    ]}
    (tmp_path / "terraform.tfstate").write_text(json.dumps(raw))
    graph = build_graph(tmp_path / "terraform.tfstate")
    assert {node.address for node in graph.nodes} == {"aws_vpc.main", "module.net.aws_subnet.a", "data.aws_region.current"}
    assert edges_of(graph) == {("module.net.aws_subnet.a", "aws_vpc.main")}
    shown = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_vpc.main", "mode": "managed", "type": "aws_vpc", "name": "main", "values": {}},
        {"address": "aws_subnet.a", "mode": "managed", "type": "aws_subnet", "name": "a", "values": {},
         "depends_on": ["aws_vpc.main"]}]}}}
    (tmp_path / "state.json").write_text(json.dumps(shown))
    assert edges_of(build_graph(tmp_path / "state.json")) == {("aws_subnet.a", "aws_vpc.main")}


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"hello": 1}', "not a Terraform plan, state or configuration"),
    ('{"resources": [{"type": "aws_vpc", "name": "x", "instances": [{"attributes": {"n": NaN}}]}]}',
     "NaN is not a JSON value"),
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
])
def test_bad_json_targets_are_usage_errors(tmp_path, content, message):
    (tmp_path / "x.json").write_text(content)
    with pytest.raises(UsageError, match=message):
        build_graph(tmp_path / "x.json")


def test_bad_hcl_missing_path_and_empty_directory_are_usage_errors(tmp_path):
    (tmp_path / "bad.tf").write_text('resource "aws_vpc" "x" {\n  cidr_block = \n')
    with pytest.raises(UsageError, match="bad.tf: not valid HCL"):
        build_graph(tmp_path / "bad.tf")
    with pytest.raises(UsageError, match="no such file"):
        build_graph(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="neither an out dir"):
        build_graph(tmp_path / "empty")
    with pytest.raises(UsageError, match="--group-by"):
        build_graph(PUBLIC / "aws-vpc", group_by="colour")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20)
    | st.sampled_from(["${aws_vpc.main.id}", "aws_vpc.main", "module.x", "[0]", "${", "}"]),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["resource", "data", "module", "resources", "instances", "values", "root_module",
                         "child_modules", "address", "type", "name", "mode", "module_calls", "expressions",
                         "references", "depends_on", "dependencies", "count", "for_each", "locals",
                         "aws_vpc", "main", "configuration", "planned_values", "attributes", "x"]),
        children, max_size=5),
    max_leaves=30)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(JSON_VALUES)
def test_any_json_shape_is_a_graph_or_a_usage_error(tmp_path, document):
    """Odd plans, states and configurations never crash the reader: a graph, or a clear UsageError."""
    target = tmp_path / "fuzz.json"
    target.write_text(json.dumps(document))
    try:
        graph = build_graph(target)
    except UsageError:
        return
    render(graph, "mermaid")
    assert all(edge.source != edge.target for edge in graph.edges)


def test_out_dir_shows_only_the_stacks_of_the_last_synth(tmp_path):
    out = tmp_path / "cdktf.out"
    for stack in ("app-dev-aws", "app-prod-aws"):
        (out / "stacks" / stack).mkdir(parents=True)
        (out / "stacks" / stack / "cdk.tf.json").write_text(json.dumps(
            {"resource": {"aws_sqs_queue": {"q": {"name": stack}}}}))
    (out / "nexus.json").write_text(json.dumps({"stacks": [{"name": "app-dev-aws"}]}))
    assert {node.stack for node in build_graph(out).nodes} == {"app-dev-aws"}
