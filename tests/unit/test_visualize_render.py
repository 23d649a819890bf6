"""Renderers on awkward input: labels with quotes, brackets and markup; Markdown split per stack; a layout in
which no two boxes overlap; an HTML page that needs nothing from the network; the CLI's files and errors."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.visualize import build_graph, render
from cdktf_app.visualize.html import render_html
from cdktf_app.inventory.resources import Inventory, terraform_json_resources
from cdktf_app.visualize.layout import layout_graph
from cdktf_app.visualize.mermaid import render_markdown, render_mermaid

PUBLIC = Path(__file__).parent.parent / "fixtures" / "terraform-public"


def awkward_graph(stacks: int = 2, width: int = 40):
    """Per stack: a hub referenced by `width` resources, a chain, and isolated resources with odd names."""
    resources = []
    for index in range(stacks):
        document = {"resource": {
            "aws_vpc": {"hub": {"cidr_block": "10.0.0.0/16"}},
            "aws_subnet": {f"s{n}": {"vpc_id": "${aws_vpc.hub.id}", "name": f'quote"{n}'} for n in range(width)},
            "aws_route_table": {"rt": {"vpc_id": "${aws_vpc.hub.id}"}},
            "aws_route": {"r": {"route_table_id": "${aws_route_table.rt.id}"}},
            "aws_s3_bucket": {"odd-name_[x]": {"bucket": "<b>#1 {x} | `y`</b>"},
                              "lonely": {"bucket": "lonely"}},
        }, "data": {"aws_caller_identity": {"me": {}}}}
        resources += terraform_json_resources(f"stack-{index}", document)
    return build_graph(Inventory("terraform_json", Path("x.json"), resources))


def test_mermaid_escapes_labels_and_groups_each_stack():
    text = render_mermaid(awkward_graph())
    assert text.startswith("flowchart LR\n")
    assert text.count("subgraph ") == 2 and text.count("\n  end\n") == 2
    labels = re.findall(r'\["(.*?)"\]', text)
    assert labels and all('"' not in label and "[" not in label and "<b>" not in label for label in labels)
    assert "odd-name_#91;x#93;" in text
    assert len(re.findall(r" --> ", text)) == len(awkward_graph().edges)


def test_markdown_has_one_fenced_diagram_per_stack():
    page = render_markdown(awkward_graph(stacks=3))
    assert page.count("```mermaid\n") == 3 and page.count("## stack-") == 3


def test_layout_never_overlaps_boxes_and_keeps_a_readable_shape():
    graph = awkward_graph(stacks=2, width=60)
    layout = layout_graph(graph, {node.id: node.label_lines for node in graph.nodes})
    boxes = list(layout.boxes.values())
    assert len(boxes) == len(graph.nodes)
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
    assert layout.width < 4 * layout.height        # a wide layer wraps instead of stretching the page
    frames = list(layout.frames.values())
    assert not [(a, b) for i, a in enumerate(frames) for b in frames[i + 1:] if a.overlaps(b)]
    for group, frame in layout.frames.items():    # every box sits inside its group's frame
        for node in graph.groups()[group]:
            box = layout.boxes[node.id]
            assert frame.x <= box.x and box.x + box.w <= frame.x + frame.w
            assert frame.y <= box.y and box.y + box.h <= frame.y + frame.h


def test_html_is_self_contained_and_embeds_every_node():
    graph = awkward_graph()
    page = render_html(graph)
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page) and "@import" not in page
    payload = json.loads(re.search(r'<script type="application/json" id="nexus-graph">(.*?)</script>', page,
                                   re.S).group(1))
    assert set(payload["nodes"]) == {node.id for node in graph.nodes}
    assert page.count('<g class="node"') == len(graph.nodes)
    assert "\\u003c/b>" in page and "</b>" not in page        # attribute text cannot close the data script


def test_hostile_attribute_names_and_values_cannot_end_the_data_script():
    hostile = "<!--<script>alert(1)</script>"
    resources = terraform_json_resources("s", {"resource": {"aws_s3_bucket": {"b": {hostile: hostile}}}})
    page = render_html(build_graph(Inventory("terraform_json", Path("x.json"), resources)))
    data = re.search(r'<script type="application/json" id="nexus-graph">(.*?)</script>', page, re.S).group(1)
    assert "<" not in data          # `<!--<script>` would make the browser read the rest of the page as data
    assert json.loads(data)["nodes"]["s/aws_s3_bucket.b"]["attributes"] == {hostile: hostile}
    assert page.count("<script") == 2


def test_dot_with_awkward_names_renders_with_graphviz():
    graph = awkward_graph()
    result = subprocess.run(["dot", "-Tsvg"], input=render(graph, "dot"), capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('class="node"') == len(graph.nodes)
    assert "odd&#45;name_[x]</text>" in result.stdout


def test_cli_writes_markdown_dot_and_html_by_suffix(tmp_path):
    runner = CliRunner()
    for name, marker in (("arch.md", "```mermaid"), ("arch.dot", "digraph nexus"), ("arch.html", "<!DOCTYPE html>")):
        result = runner.invoke(cli, ["visualize", str(PUBLIC / "aws-vpc"), "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert marker in (tmp_path / name).read_text()
    result = runner.invoke(cli, ["visualize", str(PUBLIC / "gcp-network"), "--group-by", "provider"])
    assert result.exit_code == 0 and 'subgraph g0["gcp"]' in result.output


def test_cli_bad_target_exits_2_without_traceback(tmp_path):
    result = CliRunner().invoke(cli, ["visualize", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "no such file" in result.output and "Traceback" not in result.output


def test_frames_in_cells_sit_side_by_side_without_overlap():
    graph = awkward_graph(stacks=2, width=8)
    graph.cells = {"stack-0": (0, 0), "stack-1": (1, 0)}
    layout = layout_graph(graph, {node.id: node.label_lines for node in graph.nodes})
    left, right = layout.frames["stack-0"], layout.frames["stack-1"]
    assert left.y == right.y and right.x >= left.x + left.w
    boxes = list(layout.boxes.values())
    assert not [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:] if a.overlaps(b)]
    assert layout.width >= right.x + right.w


def nexus_out_dir(folder: Path, prod_extra: bool = False) -> Path:
    """An out dir as synth writes it (stacks, provenance.json, nexus.json), without the spec behind it."""
    stacks = {"app-dev-aws": "dev", "app-prod-aws": "prod"}
    provenance, manifest = {}, []
    for stack, environment in stacks.items():
        resources = {
            "aws_vpc": {"net": {"cidr_block": "10.0.0.0/16"}},
            "aws_subnet": {"net_a": {"vpc_id": "${aws_vpc.net.id}"}},
            "aws_kms_key": {"stack_key": {}},
            "aws_db_instance": {"db": {"db_subnet_group_name": "${aws_subnet.net_a.id}",
                                       "kms_key_id": "${aws_kms_key.stack_key.arn}"}},
            "aws_s3_bucket": {"assets": {}},
            "aws_s3_bucket_policy": {"assets": {"policy": "${aws_cloudfront_distribution.cdn.arn}"}},
            "aws_cloudfront_distribution": {"cdn": {"origin": {"domain_name": "${aws_s3_bucket.assets.id}"}}},
        }
        if prod_extra and environment == "prod":
            resources["aws_sqs_queue"] = {"jobs": {}}
        (folder / "stacks" / stack).mkdir(parents=True)
        (folder / "stacks" / stack / "cdk.tf.json").write_text(json.dumps({"resource": resources}))
        component_of = {"aws_vpc.net": "network", "aws_subnet.net_a": "network", "aws_kms_key.stack_key": "aws",
                        "aws_db_instance.db": "db", "aws_s3_bucket.assets": "assets",
                        "aws_s3_bucket_policy.assets": "assets", "aws_cloudfront_distribution.cdn": "cdn",
                        "aws_sqs_queue.jobs": "jobs"}
        provenance[stack] = {f"{kind}.{name}": {
            "component": component_of[f"{kind}.{name}"], "line": 9, "column": 3,
            "spec_path": ("providers." if component_of[f"{kind}.{name}"] == "aws" else "components.")
            + component_of[f"{kind}.{name}"]} for kind, group in resources.items() for name in group}
        manifest.append({"name": stack, "environment": environment, "provider": "aws"})
    (folder / "provenance.json").write_text(json.dumps({"spec_file": "../gone.yaml", "stacks": provenance}))
    (folder / "nexus.json").write_text(json.dumps({"stacks": manifest}))
    return folder


def test_architecture_lifts_references_to_components(tmp_path):
    from cdktf_app.visualize import build_architecture

    graph = build_architecture(nexus_out_dir(tmp_path / "cdktf.out"))
    nodes = {node.name: node for node in graph.nodes}
    assert set(nodes) == {"network", "db", "assets", "cdn", "stack-wide"}        # dev and prod in one column
    assert nodes["db"].environments == ("dev", "prod") and len(nodes["db"].resources) == 2
    assert nodes["network"].type == "network" and nodes["db"].boundary == "private network"
    assert nodes["stack-wide"].label_lines == ["stack-wide", "stack-wide · aws", "providers.aws"]
    edges = {(edge.source.split("/")[1], edge.target.split("/")[1], edge.kind) for edge in graph.edges}
    # the bucket's policy names the CDN and the CDN the bucket: one edge, from the edge tier; none to the stack key
    assert edges == {("db", "network", "reference"), ("cdn", "assets", "mutual")}
    assert "<-->" in render_mermaid(graph) and "dir=both" in render(graph, "dot")
    assert 'marker-start="url(#arrow)"' in render_html(graph)


def test_environments_built_differently_get_a_column_each(tmp_path):
    from cdktf_app.visualize import build_architecture

    graph = build_architecture(nexus_out_dir(tmp_path / "cdktf.out", prod_extra=True))
    assert sorted({node.environments for node in graph.nodes}) == [("dev",), ("prod",)]
    assert {cell[0] for cell in graph.cells.values()} == {0, 1}
    assert [node.name for node in graph.nodes if node.environments == ("prod",)].count("jobs") == 1


def test_detail_choices_and_their_errors(tmp_path):
    runner = CliRunner()
    plain = runner.invoke(cli, ["visualize", str(PUBLIC / "aws-vpc"), "--detail", "architecture"])
    assert plain.exit_code == 2 and "needs the spec behind the resources" in plain.output
    assert "--detail resources" in plain.output and "Traceback" not in plain.output
    both = runner.invoke(cli, ["visualize", str(nexus_out_dir(tmp_path / "cdktf.out")), "--detail", "architecture",
                               "--group-by", "network"])
    assert both.exit_code == 2 and "--group-by network groups the resource view" in both.output
    grouped = runner.invoke(cli, ["visualize", str(tmp_path / "cdktf.out"), "--group-by", "network"])
    assert grouped.exit_code == 0 and 'subgraph g0["data"]' in grouped.output        # resources per tier
    default = runner.invoke(cli, ["visualize", str(PUBLIC / "aws-vpc")])           # no spec: drawn by resource
    assert default.exit_code == 0 and "aws_vpc" in default.output
