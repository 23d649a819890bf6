"""Where a project's files sit: the out dir synth writes and the `.nexus/` folder commands keep state in.

One rule for the out dir, for every command and for `python -m cdktf_app` (what `cdktf synth` runs): an explicit
`--out`, else `CDKTF_OUTDIR` when set (the cdktf CLI sets it for the app it runs), else `cdktf.out` beside the
spec. The out dir holds

    OUT/stacks/<stack>/cdk.tf.json   one Terraform JSON configuration per stack
    OUT/manifest.json                cdktn's manifest
    OUT/provenance.json              resource address -> spec path and line
    OUT/nexus.json                   Nexus' manifest: spec, stacks, cache key, output digests (written last)
    OUT/findings.json                the last `nexus check` of this out dir (artifacts relative to OUT)

and the project's state folder, `.nexus/` beside the spec, holds runs.db, logs/, state backups and the sandbox
records (sandbox.json, sandboxes/<pid>.json, sandbox.log). Synth writes this layout and every reader finds it
here: nothing else spells these names.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

OUT_DIR_NAME = "cdktf.out"
OUT_DIR_VARIABLE = "CDKTF_OUTDIR"
STACKS_DIR = "stacks"
STACK_JSON = "cdk.tf.json"
CDK_MANIFEST = "manifest.json"
PROVENANCE_FILE = "provenance.json"
NEXUS_MANIFEST = "nexus.json"
FINDINGS_FILE = "findings.json"

STATE_DIR_NAME = ".nexus"
RUNS_DB = "runs.db"
LOGS_DIR = "logs"
STATE_BACKUPS_DIR = "state-backups"
SANDBOX_STATE_BACKUPS_DIR = "sandbox-state-backups"
PLANS_DIR = "plans"  # a run's saved plans while they wait for apply, when the spec has `encryption`
SANDBOX_RECORD = "sandbox.json"
SANDBOX_OWNED_DIR = "sandboxes"
SANDBOX_LOG = "sandbox.log"


def default_out_dir(project_dir: str | Path, out_dir: str | Path | None = None) -> Path:
    """The out dir of the spec in `project_dir` (the spec's folder): `out_dir` when given, else CDKTF_OUTDIR when
    set, else cdktf.out beside the spec."""
    if out_dir:
        return Path(out_dir)
    configured = os.environ.get(OUT_DIR_VARIABLE)
    if configured:
        return Path(configured)
    return Path(project_dir) / OUT_DIR_NAME


def stack_dir(out_dir: str | Path, stack: str) -> Path:
    return Path(out_dir) / STACKS_DIR / stack


def stack_json(out_dir: str | Path, stack: str) -> Path:
    return stack_dir(out_dir, stack) / STACK_JSON


def is_out_dir(path: str | Path) -> bool:
    """A folder synth wrote: it has OUT/stacks/<stack>/cdk.tf.json."""
    return any(Path(path).glob(f"{STACKS_DIR}/*/{STACK_JSON}"))


def read_manifest(out_dir: str | Path) -> dict | None:
    """OUT/nexus.json, or None when there is none (or it does not read)."""
    try:
        return json.loads((Path(out_dir) / NEXUS_MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def current_stack_files(out_dir: str | Path) -> list[Path]:
    """The cdk.tf.json of each stack the last synth wrote (per OUT/nexus.json): a stack folder left behind by an
    older spec, or another spec synthesized into the same folder earlier, is not one of them."""
    files = sorted(Path(out_dir).glob(f"{STACKS_DIR}/*/{STACK_JSON}"))
    manifest = read_manifest(out_dir)
    if manifest and manifest.get("stacks"):
        current = {entry.get("name") for entry in manifest["stacks"]}
        files = [path for path in files if path.parent.name in current]
    return files


def recorded_spec_file(out_dir: str | Path) -> Path | None:
    """The spec an out dir was synthesized from (OUT/nexus.json records it relative to OUT), when it still exists."""
    label = ((read_manifest(out_dir) or {}).get("spec") or {}).get("file")
    if not label or label == "<spec>":
        return None
    path = (Path(out_dir) / label).resolve()
    return path if path.is_file() else None


def state_dir(project_dir: str | Path) -> Path:
    """The project's `.nexus/` folder (the spec's folder is the project)."""
    return (Path(project_dir) / STATE_DIR_NAME).resolve()
