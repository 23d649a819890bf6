"""stacks.preload without starting anything: which providers a spec names, and when no early load starts.

(An early load that starts runs Node on a thread of the test process; those cases run in a subprocess in
tests/integration/test_preload.py.)"""
from __future__ import annotations

import ast
import hashlib
import json
from pathlib import Path

import pytest

import cdktf_app
from cdktf_app.spec.model import CLOUDS
from cdktf_app.stacks import preload
from cdktf_app.synth_worker.switch import WORKER_VARIABLE
from tests.performance.scale import scale_spec

PACKAGE = Path(cdktf_app.__file__).parent


@pytest.mark.parametrize("text, expected", [
    ("apiVersion: nexus/v1\nproviders:\n  aws: {region: us-east-1}\n  gcp:\n    project: p\n", ["aws", "gcp"]),
    ("name: x\nproviders: {azure: {location: westeurope}, edge: {locations: [a]}}\n", ["azure", "edge"]),
    ("components:\n  q: {type: queue, providers: [nested, ignored]}\n  r:\n    - [1, {a: b}]\n"
     "providers:\n  aws: {region: eu-west-1}\n", ["aws"]),
    ("providers: {}\n", []),
    ("name: only\ncomponents: {}\n", None),             # no providers key
    ("providers: [aws]\n", None),                        # not a mapping
    ("base: &p {aws: {region: x}}\nproviders: *p\n", None),          # an alias: not plain
    ("base: &p {aws: {region: x}}\nproviders:\n  <<: *p\n", None),   # a merge
    ("- providers\n", None),                             # the document is not a mapping
    ("providers:\n  aws: [unclosed\n", None),            # not YAML
    ("{[a]: 1, providers: {aws: {}}}\n", None),         # a key that is a collection
    ("", None),
])
def test_clouds_named_reads_only_the_top_level_providers_mapping(text, expected):
    assert preload.clouds_named(text.encode()) == expected


def test_a_large_spec_names_its_providers_from_the_head_of_the_file():
    assert preload.clouds_named(scale_spec(2000).encode()) == ["aws"]


@pytest.mark.parametrize("cloud", [*CLOUDS, "edge"])
def test_each_cloud_binding_is_the_one_its_components_configure(cloud):
    """The module that sets up a cloud's stack imports the binding an early load brings in for it."""
    configuring = PACKAGE / "components" / cloud / ("site.py" if cloud == "edge" else "provider.py")
    imported = {node.module.split(".")[0] for node in ast.walk(ast.parse(configuring.read_text()))
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cdktn_provider_")}
    assert preload.CLOUD_BINDINGS[cloud] in imported


def _spec(tmp_path: Path) -> Path:
    spec = tmp_path / "nexus.yaml"
    spec.write_text(scale_spec(3))
    return spec


@pytest.mark.parametrize("setting", ["on", "/some/project"])
def test_no_early_load_when_a_worker_synthesizes(tmp_path, monkeypatch, setting):
    monkeypatch.setenv(WORKER_VARIABLE, setting)
    assert preload.start_loading(_spec(tmp_path), use_cache=False) is False
    assert preload._loading is None


def test_no_early_load_when_nexus_json_records_these_spec_bytes(tmp_path, monkeypatch):
    monkeypatch.setenv(WORKER_VARIABLE, "off")
    spec = _spec(tmp_path)
    out = tmp_path / "cdktf.out"
    out.mkdir()
    (out / "nexus.json").write_text(json.dumps({"spec": {"sha256": hashlib.sha256(spec.read_bytes()).hexdigest()}}))
    assert preload.start_loading(spec) is False
    assert preload._loading is None


@pytest.mark.parametrize("body", ["name: x\ncomponents: {}\n", "providers: [unclosed\n"])
def test_no_early_load_for_a_spec_that_names_no_provider_plainly(tmp_path, monkeypatch, body):
    monkeypatch.setenv(WORKER_VARIABLE, "off")
    spec = tmp_path / "nexus.yaml"
    spec.write_text(body)
    assert preload.start_loading(spec, use_cache=False) is False


@pytest.mark.parametrize("make", [lambda tmp: tmp / "missing.yaml", lambda tmp: tmp])
def test_no_early_load_for_a_path_that_is_not_a_spec_file(tmp_path, monkeypatch, make):
    monkeypatch.setenv(WORKER_VARIABLE, "off")
    assert preload.start_loading(make(tmp_path), use_cache=False) is False
    assert preload._loading is None


def test_waiting_without_an_early_load_returns_at_once():
    assert preload._loading is None
    preload.wait_for_bindings()
