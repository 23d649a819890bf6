"""`nexus visualize`: renders `cdktf_app.visualize.build_graph`; all the work is in the library."""
from __future__ import annotations

from pathlib import Path

import click

from ..visualize import FORMATS, GROUPINGS


@click.command()
@click.argument("target", type=click.Path(path_type=Path), default="nexus.yaml")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="mermaid, dot or html. Default: from the --output suffix (.md/.mmd, .dot/.gv, .html), "
                   "else mermaid.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="Write to this file instead of stdout. Mermaid into a .md file becomes a Markdown page with "
                   "one fenced diagram per stack (renders on GitHub).")
@click.option("--group-by", type=click.Choice(GROUPINGS), default="stack", show_default=True,
              help="Subgraphs per stack, per provider (aws, gcp, azure, module...) or per network tier "
                   "(edge, network, compute, data, messaging, identity & keys, observability).")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="When TARGET is a spec: where to synthesize it (default: cdktf.out beside the spec).")
@click.pass_obj
def visualize(obj: dict, target: Path, fmt: str | None, output: Path | None, group_by: str,
              out_dir: Path | None) -> None:
    """Draw the resources of TARGET and the references between them.

    \b
    TARGET is one of:
      nexus.yaml            a spec (synthesized first; unchanged specs reuse cdktf.out)
      cdktf.out             an out dir (also shows spec lines and findings from `nexus check`)
      plan.json             `terraform show -json plan.tfplan > plan.json`
      terraform.tfstate     a state file, or `terraform show -json > state.json`
      ./infra               a directory of plain .tf files
    \b
    Examples:
      nexus visualize nexus.yaml -o architecture.md          # Markdown + Mermaid, renders on GitHub
      nexus visualize cdktf.out --format dot | dot -Tsvg > graph.svg
      nexus visualize plan.json -o graph.html --group-by network   # offline page: pan, zoom, search, click
    """
    from ..files import write_atomically
    from ..visualize import build_graph, render

    fmt = fmt or _format_from_suffix(output)
    graph = build_graph(target, out_dir=out_dir, group_by=group_by)
    text = render(graph, fmt, markdown=output is not None and output.suffix.lower() in (".md", ".markdown"))
    if output is None:
        click.echo(text, nl=False)
        return
    write_atomically(output, text, private=graph.holds_deployment_values)
    click.echo(f"wrote {output}: {len(graph.nodes)} resources, {len(graph.edges)} references "
               f"({fmt}, grouped by {group_by})", err=True)


def _format_from_suffix(output: Path | None) -> str:
    suffix = output.suffix.lower() if output else ""
    return {".dot": "dot", ".gv": "dot", ".html": "html", ".htm": "html"}.get(suffix, "mermaid")
