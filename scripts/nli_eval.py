"""Measure `nexus generate --offline` on a labelled prompts file, property by property.

    .venv/bin/python scripts/nli_eval.py PROMPTS.yaml [--misses]

The file format is described in cdktf_app/nli/evaluate.py. Keep held-out sets outside the repo, so the parser
is never tuned on the prompts that measure it.
"""
from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from cdktf_app.errors import NexusError
from cdktf_app.nli.evaluate import KINDS, evaluate, load_cases


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 2
    console = Console(highlight=False)
    try:
        cases = load_cases(Path(argv[0]))
        result = evaluate(cases)
    except NexusError as error:
        console.print(f"error: {error}")
        return 2
    table = Table(title=f"offline parser on {len(cases)} prompts ({argv[0]})")
    for column in ("property", "right", "total", "accuracy"):
        table.add_column(column, justify="left" if column == "property" else "right")
    for kind in KINDS:
        if result.total[kind]:
            table.add_row(kind, str(result.right[kind]), str(result.total[kind]),
                          f"{result.right[kind] / result.total[kind]:.1%}")
    table.add_row("all", str(sum(result.right.values())), str(sum(result.total.values())), f"{result.accuracy:.1%}",
                  style="bold")
    console.print(table)
    if "--misses" in argv:
        for miss in result.misses:
            console.print(f"  miss: {miss}", markup=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
