"""`visualize -o x.svg` draws a real SVG (Graphviz's dot lays out the DOT rendering), never Mermaid text in a .svg;
a suffix that names no format is a usage error, not a file of the wrong kind."""
from __future__ import annotations

import xml.etree.ElementTree as ElementTree

from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.visualize import build_graph, render

SVG = "{http://www.w3.org/2000/svg}"
INFRA = ('resource "aws_sqs_queue" "jobs" {\n  name = "jobs"\n}\n'
         'resource "aws_sqs_queue_policy" "jobs" {\n  queue_url = aws_sqs_queue.jobs.id\n  policy = "{}"\n}\n')


def infra(tmp_path):
    folder = tmp_path / "infra"
    folder.mkdir()
    (folder / "main.tf").write_text(INFRA, encoding="utf-8")
    return folder


def test_an_svg_file_is_an_svg_drawing_of_every_resource(tmp_path):
    drawing = tmp_path / "graph.svg"
    result = CliRunner().invoke(cli, ["visualize", str(infra(tmp_path)), "-o", str(drawing)])
    assert result.exit_code == 0, result.output
    root = ElementTree.parse(drawing).getroot()
    assert root.tag == f"{SVG}svg"
    texts = {"".join(node.itertext()) for node in root.iter(f"{SVG}text")}
    assert {"aws_sqs_queue", "aws_sqs_queue_policy", "jobs"} <= texts      # each box: type, then name
    assert len(list(root.iter(f"{SVG}path"))) >= 1          # the reference from the policy to the queue


def test_svg_is_a_format_of_the_library_too(tmp_path):
    text = render(build_graph(infra(tmp_path)), "svg")
    assert ElementTree.fromstring(text).tag == f"{SVG}svg"


def test_a_suffix_that_names_no_format_is_a_usage_error(tmp_path):
    folder, picture = infra(tmp_path), tmp_path / "graph.png"
    result = CliRunner().invoke(cli, ["visualize", str(folder), "-o", str(picture)])
    assert result.exit_code == 2 and "no format for the suffix '.png'" in result.output
    assert not picture.exists()
    named = CliRunner().invoke(cli, ["visualize", str(folder), "--output", "mermaid", "-o", str(tmp_path / "graph.txt")])
    assert named.exit_code == 0, named.output
    assert (tmp_path / "graph.txt").read_text(encoding="utf-8").startswith(("flowchart", "graph", "%%"))
