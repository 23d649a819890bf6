"""A long-lived checkov scanner. Runs in checkov's own venv (never imports Nexus): `python checkov_worker.py`.

Protocol, one JSON object per line: the request
    {"files": [...], "framework": "terraform_json" | "terraform_plan", "external_checks_dirs": [...],
     "checks": [...] | null, "context": "/path/to/context.json" | null}
gets the answer {"ok": true, "results": [...], "unparsed": [files checkov could not parse], "seconds": 0.12}
or {"ok": false, "error": "..."}.
Importing checkov costs ~2.4 s; a scan of a 100-resource stack in a warm process ~0.3 s.
"""
from __future__ import annotations

import contextlib
import json
import os
import sys
import time

# Running this file puts its folder first on sys.path, where Nexus' own checkov.py would shadow checkov.
sys.path = [entry for entry in sys.path if os.path.abspath(entry or ".") != os.path.dirname(os.path.abspath(__file__))]
os.environ.setdefault("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
os.environ.setdefault("LOG_LEVEL", "CRITICAL")
os.environ.setdefault("BC_SKIP_MAPPING", "TRUE")


def _use_libyaml() -> None:
    """checkov reads JSON through a pure-Python YAML loader (to know each block's lines): a third of a scan.
    The same loader on libyaml's parser gives the same documents with the same line marks, several times faster."""
    import yaml
    from checkov.common.parsers.yaml import loader

    if not getattr(yaml, "__with_libyaml__", False):
        return
    pure = loader.SafeLineLoader

    class LibyamlLineLoader(yaml.CSafeLoader):
        bool_values = pure.bool_values

        def construct_mapping(self, node, deep=False):
            mapping = super().construct_mapping(node, deep=deep)
            mapping["__startline__"] = node.start_mark.line + 1
            mapping["__endline__"] = node.end_mark.line + 1
            return mapping

    loader.SafeLineLoader = LibyamlLineLoader


def _accept_terraform_settings() -> None:
    """checkov 3.3.30's terraform_json parser takes every entry of the `terraform` block for a block and raises on
    a plain setting such as `required_version` (which an S3 backend with lock files needs): the whole file is then
    a parsing error and nothing in it is checked. Keep such settings as attributes, as its HCL parser does."""
    from checkov.terraform_json import parser

    handle_block_type = parser.handle_block_type

    def with_terraform_settings(block_type, blocks):
        if block_type != "terraform" or not isinstance(blocks, dict):
            return handle_block_type(block_type=block_type, blocks=blocks)
        blocks_only = {name: value for name, value in blocks.items() if isinstance(value, dict)}
        settings = [{name: [value]} for name, value in blocks.items()
                    if not isinstance(value, dict) and name not in parser.IGNORE_FILED_NAMES]
        return handle_block_type(block_type=block_type, blocks=blocks_only) + settings

    parser.handle_block_type = with_terraform_settings


def _load_runners():
    _use_libyaml()
    _accept_terraform_settings()
    from checkov.runner_filter import RunnerFilter
    from checkov.terraform.plan_runner import Runner as PlanRunner
    from checkov.terraform_json.runner import TerraformJsonRunner

    return RunnerFilter, {"terraform_json": TerraformJsonRunner, "terraform_plan": PlanRunner}


def _entity_types(definitions: dict) -> dict[tuple[str, str, int], str]:
    """(block kind, name, start line) -> resource type, to turn checkov's `resource.web` into `aws_lb.web`."""
    index = {}
    for document in definitions.values():
        for kind in ("resource", "data"):
            for block in document.get(kind) or []:
                for type_name, entries in block.items():
                    for name, body in (entries or {}).items():
                        if isinstance(body, dict):
                            index[(kind, name, body.get("__startline__"))] = type_name
    return index


def _address(record, index: dict) -> str:
    resource = record.resource
    kind, _, name = resource.partition(".")
    if kind in ("resource", "data") and name:
        type_name = index.get((kind, name, record.file_line_range[0]))
        if type_name:
            return f"{type_name}.{name}" if kind == "resource" else f"data.{type_name}.{name}"
    return resource


def _record(record, result: str, index: dict) -> dict:
    return {
        "check_id": record.check_id,
        "check_name": record.check_name,
        "result": result,
        "address": _address(record, index),
        "file": record.file_abs_path,
        "lines": list(record.file_line_range or [0, 0]),
    }


def scan(request: dict, runner_filter_class, runner_classes: dict) -> tuple[list[dict], list[str]]:
    """The results of every check run, and the files checkov could not parse (never silently skipped)."""
    if request.get("context"):
        os.environ["NEXUS_CHECK_CONTEXT"] = request["context"]
    else:
        os.environ.pop("NEXUS_CHECK_CONTEXT", None)
    runner = runner_classes[request["framework"]]()
    runner_filter = runner_filter_class(framework=[request["framework"]], checks=request.get("checks") or None,
                                        show_progress_bar=False)
    reports = runner.run(root_folder=None, files=request["files"],
                         external_checks_dir=request.get("external_checks_dirs") or None,
                         runner_filter=runner_filter)
    reports = reports if isinstance(reports, list) else [reports]
    # Only terraform_json reports `resource.<name>`; plan results already carry full addresses.
    index = _entity_types(runner.definitions) if request["framework"] == "terraform_json" else {}
    results, unparsed = [], []
    for report in reports:
        results += [_record(record, "passed", index) for record in report.passed_checks]
        results += [_record(record, "failed", index) for record in report.failed_checks]
        unparsed += [os.path.abspath(path) for path in report.parsing_errors]
    return results, sorted(set(unparsed))


def main() -> None:
    # checkov prints to stdout in places; the protocol owns the real stdout, everything else goes to stderr.
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    runner_filter_class, runner_classes = _load_runners()
    protocol.write(json.dumps({"ok": True, "ready": True}) + "\n")
    for line in sys.stdin:
        if not line.strip():
            continue
        started = time.perf_counter()
        try:
            with contextlib.redirect_stdout(sys.stderr):
                results, unparsed = scan(json.loads(line), runner_filter_class, runner_classes)
            answer = {"ok": True, "results": results, "unparsed": unparsed,
                      "seconds": round(time.perf_counter() - started, 4)}
        except Exception as error:  # reported to the caller, which raises a ToolError
            answer = {"ok": False, "error": f"{type(error).__name__}: {error}"}
        protocol.write(json.dumps(answer) + "\n")


if __name__ == "__main__":
    main()
