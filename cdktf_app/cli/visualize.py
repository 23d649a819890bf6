"""`nexus visualize`: renders `cdktf_app.visualize.build_graph`; all the work is in the library."""
from __future__ import annotations

from pathlib import Path

import click

from ..visualize import DETAILS, FORMATS, GROUPINGS
from . import render
from .options import OutputFormat, is_stdout, output_file_option, output_format_option

SUFFIX_FORMATS = {".md": "mermaid", ".markdown": "mermaid", ".mmd": "mermaid", ".dot": "dot", ".gv": "dot",
                  ".svg": "svg", ".html": "html", ".htm": "html"}


class FormatOrFile(OutputFormat):
    """`--output` takes a format, as on every command; a file name is taken as -o, the one exception, so that
    `nexus visualize --format=mermaid --output=architecture.md` (the form in the product's own examples) works.
    The format then comes from the file's suffix."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and value not in self.choices and ("." in value or "/" in value):
            return Path(value)
        return super().convert(value, param, ctx)


@click.command()
@click.argument("target", type=click.Path(path_type=Path), default="nexus.yaml")
@output_format_option(FORMATS, None, "Default: from the -o/--output-file suffix (.md/.mmd, .dot/.gv, .svg, "
                                      ".html; another suffix needs --output), else mermaid. svg is laid out by "
                                      "Graphviz's dot. A file name here is read as -o FILE.", kind=FormatOrFile)
@output_file_option("Write to this file. Mermaid into a .md file becomes a Markdown page with one fenced diagram "
                    "per stack (renders on GitHub).")
@click.option("--detail", type=click.Choice(DETAILS), default=None,
              help="architecture (default): a node per spec component, grouped by cloud, environment and network "
                   "boundary, its resources and findings on click in HTML; resources: a node per resource. A "
                   "target with no spec behind it (plain .tf, a plan or state from elsewhere) is drawn by resource.")
@click.option("--group-by", type=click.Choice(GROUPINGS), default=None,
              help="Draw resources grouped per stack (their default), per provider (aws, gcp, azure, module...) "
                   "or per network tier (edge, network, compute, data, messaging, identity & keys, "
                   "observability); implies --detail resources.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="When TARGET is a spec: where to synthesize it (default: cdktf.out beside the spec).")
@click.pass_obj
def visualize(obj: dict, target: Path, output_format: str | None, output_file: Path | None, detail: str | None,
              group_by: str | None, out_dir: Path | None) -> None:
    """Draw the architecture of TARGET (its spec components and the links between them), or its resources.

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
      nexus visualize nexus.yaml -o architecture.html        # offline page: pan, zoom, search, click
      nexus visualize cdktf.out --detail resources -o graph.svg    # every resource, laid out by Graphviz
      nexus visualize plan.json -o graph.html --group-by network   # resources per network tier
    """
    from ..visualize import build_view, render as render_graph

    if isinstance(output_format, Path):
        if output_file is not None:
            raise click.UsageError(f"--output {output_format} and -o {output_file}: name the file once, with -o")
        output_format, output_file = None, output_format
    output = None if is_stdout(output_file) else output_file
    fmt = output_format or _format_from_suffix(output)
    graph = build_view(target, detail=detail, group_by=group_by, out_dir=out_dir)
    text = render_graph(graph, fmt, markdown=output is not None and output.suffix.lower() in (".md", ".markdown"))
    nodes, edges = graph.things
    render.document(text, output, obj, private=graph.holds_deployment_values,
                    note=f": {len(graph.nodes)} {nodes}, {len(graph.edges)} {edges} ({fmt}, grouped by "
                         f"{graph.grouping})", format=fmt, group_by=graph.group_by, detail=graph.detail,
                    **{nodes: len(graph.nodes), edges: len(graph.edges)})


def _format_from_suffix(output: Path | None) -> str:
    """The format a file's suffix names; a suffix that names none is refused rather than given Mermaid text
    (a .png or .pdf holding Mermaid would open as a broken file)."""
    if output is None:
        return "mermaid"
    suffix = output.suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        raise click.UsageError(f"-o {output}: no format for the suffix '{suffix}' (known: "
                               f"{', '.join(SUFFIX_FORMATS)}); name one with --output {'|'.join(FORMATS)}")
    return SUFFIX_FORMATS[suffix]
