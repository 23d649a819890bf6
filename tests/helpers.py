"""Small readers of synthesized Terraform JSON used across tests."""
from __future__ import annotations

import json
import re
from pathlib import Path

EXPRESSION = re.compile(r"(?<!\$)\$\{")
ADDRESS = re.compile(r"\b(data\.[a-z0-9_]+\.[A-Za-z0-9_-]+|module\.[A-Za-z0-9_-]+|var\.[A-Za-z0-9_]+|"
                     r"[a-z][a-z0-9]*_[a-z0-9_]+\.[A-Za-z_][A-Za-z0-9_-]*)")


def load_stack(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def declared_addresses(stack: dict) -> set[str]:
    addresses = {f"{kind}.{name}" for kind, block in stack.get("resource", {}).items() for name in block}
    addresses |= {f"data.{kind}.{name}" for kind, block in stack.get("data", {}).items() for name in block}
    addresses |= {f"module.{name}" for name in stack.get("module", {})}
    addresses |= {f"var.{name}" for name in stack.get("variable", {})}
    return addresses


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for key, item in value.items() for text in strings_in(key) + strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


def referenced_addresses(stack: dict) -> set[str]:
    """Addresses named in strings that hold an expression (`${`, but not the escaped `$${`)."""
    found = set()
    for text in strings_in({key: value for key, value in stack.items() if key != "//"}):
        if EXPRESSION.search(text):
            found.update(ADDRESS.findall(text))
    return found


def sandbox_aws(client: str, url: str, region: str = "eu-west-1"):
    """A boto3 client of the sandbox at URL in REGION, with moto's test credentials."""
    import boto3

    return boto3.client(client, endpoint_url=url, region_name=region, aws_access_key_id="test",
                        aws_secret_access_key="test")


def ctrl_c_reaches_it() -> None:
    """A subprocess preexec_fn: SIGINT as in a terminal even when the tests run as a script's background job (which
    starts with SIGINT ignored, and a Python started with SIGINT ignored never raises KeyboardInterrupt)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def sandbox_deploy_options(url: str, retry, **overrides):
    """DeployOptions of a test's deploy to the sandbox at URL: auto-approved, one AWS SDK retry (the test's
    RetryPolicy RETRY heals the rest, as `nexus deploy` does), OVERRIDES on top."""
    from cdktf_app.deploy import DeployOptions

    settings = {"command": "deploy", "sandbox_url": url, "auto_approve": True, "aws_max_retries": 1, "retry": retry}
    return DeployOptions(**{**settings, **overrides})


def make_finding(check_id: str, address: str, component: str | None = None, **fields):
    """A compliance finding as `nexus check` makes them, for tests of what consumes findings."""
    from cdktf_app.compliance.findings import Finding

    defaults = {"check_name": "a check", "stack": "shop-dev-aws", "severity": "high", "controls": (),
                "artifact": "cdk.tf.json", "artifact_lines": (1, 2)}
    return Finding(check_id=check_id, address=address, component=component, **(defaults | fields))


def aws_spec(name: str, body: str, region: str = "us-east-1") -> str:
    """A small AWS spec named NAME; BODY (its components and compliance sections) follows the providers."""
    return f"apiVersion: nexus/v1\nname: {name}\nproviders:\n  aws: {{region: {region}}}\n" + body


# The first lines of a small AWS spec; tests append their components and compliance sections.
AWS_SPEC_HEAD = aws_spec("shop", "", region="eu-west-1")
# A valid spec with one database (line 6, components.db), and one with one bucket.
PAYMENTS_SPEC = aws_spec("payments", "components:\n  db: {type: database, engine: postgres}\n")
TINY_SPEC = aws_spec("tiny", "components:\n  files: {type: bucket}\n")


def write_spec(folder: Path, text: str, name: str = "nexus.yaml") -> Path:
    """TEXT written into FOLDER as the spec file NAME; its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path
