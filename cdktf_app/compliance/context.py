"""The spec facts our own checks need (required tags, allowed regions, regulated data), as the JSON file that
`NEXUS_CHECK_CONTEXT` names while checkov runs them (see compliance/checks)."""
from __future__ import annotations

import json
from pathlib import Path

from ..spec.loader import LoadedSpec
from ..spec.model import CLOUDS


def check_context(loaded: LoadedSpec) -> dict:
    spec = loaded.spec
    allowed = {cloud: sorted(provider.allowed_regions) for cloud in CLOUDS
               if (provider := getattr(spec.providers, cloud)) and provider.allowed_regions}
    return {
        "required_tags": {"managed-by": "nexus", **spec.tags},
        "allowed_regions": allowed,
        "regulated": spec.is_regulated(),
        "standards": sorted(standard.id for standard in spec.compliance.standards),
    }


def write_context(loaded: LoadedSpec | None, directory: Path) -> Path | None:
    if loaded is None:
        return None
    path = Path(directory) / f"check-context-{loaded.digest[:16]}.json"
    path.write_text(json.dumps(check_context(loaded), indent=2, sort_keys=True), encoding="utf-8")
    return path
