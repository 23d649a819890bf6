"""`python -m cdktf_app.tools.setup`: the Python half of `make setup` (terraform mirror config, a report)."""
from __future__ import annotations

import shutil

from ..paths import repo_root
from ..stacks.runtime import find_node, node_major
from .terraform import ensure_cli_config


def state_dir():
    return repo_root() / ".nexus"


def main() -> None:
    config = ensure_cli_config(state_dir())
    node = find_node()
    print(f"setup: node {node} (v{node_major(node) if node else '-'}); "
          f"terraform {shutil.which('terraform') or 'not found'}; "
          f"provider mirror config {config or 'none (terraform init will use the registry)'}")


if __name__ == "__main__":
    main()
