"""Which Node jsii runs in, and a clear ToolError when there is none (instead of jsii's FileNotFoundError)."""
from __future__ import annotations

import os

import pytest

from cdktf_app.errors import ToolError
from cdktf_app.stacks import runtime


def test_a_jsii_node_that_is_not_there_is_a_tool_error_naming_the_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("JSII_NODE", str(tmp_path / "node"))
    with pytest.raises(ToolError, match=r"JSII_NODE=.*/node: no such executable\. Unset it"):
        runtime.prepare_jsii_environment()
    assert os.environ["JSII_NODE"] == str(tmp_path / "node")   # left as the user set it


def test_no_node_anywhere_is_a_tool_error_saying_how_to_get_one(monkeypatch):
    monkeypatch.delenv("JSII_NODE", raising=False)
    monkeypatch.setattr(runtime, "find_node", lambda: None)
    with pytest.raises(ToolError, match=r"no Node.js found.*make setup.*NEXUS_NODE"):
        runtime.prepare_jsii_environment()


def test_a_node_on_path_given_by_name_is_used(monkeypatch):
    found = runtime.find_node()
    assert found is not None
    monkeypatch.setenv("PATH", f"{os.path.dirname(found)}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("JSII_NODE", "node")
    runtime.prepare_jsii_environment()
    assert os.environ["JSII_NODE"] == "node"
