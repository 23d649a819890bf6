"""Resources the sandbox's moto cannot create, left out of a sandbox run by name and listed, never in silence.

Each is a leaf (nothing else in a stack refers to it), so the sandbox override sets its `count` to 0 and the
rest of the stack deploys as written; the deploy names every one it left out and why."""
from __future__ import annotations

import json

from ..errors import UsageError

MOTO_LACKS = {
    "aws_backup_selection": "moto 5.2 has no CreateBackupSelection (not implemented), so AWS Backup's plan has no "
                            "resources assigned in the sandbox",
    "aws_dynamodb_table_replica": "moto 5.2 keeps no global table replicas: the provider would wait for ever for "
                                  "the replica to become ACTIVE",
}


def sandbox_gaps(stack: dict) -> list[tuple[str, str]]:
    """(address, why) of each resource of STACK (its cdk.tf.json) the sandbox leaves out, sorted."""
    resources = stack.get("resource", {})
    return sorted((f"{kind}.{name}", MOTO_LACKS[kind]) for kind in MOTO_LACKS for name in resources.get(kind, {}))


def gap_override(stack: dict) -> dict:
    """The `resource` part of the sandbox override that leaves the gaps out; refused when another resource
    refers to one (leaving it out would break that reference)."""
    gaps = [address for address, _ in sandbox_gaps(stack)]
    others = json.dumps({kind: {name: body for name, body in bodies.items() if f"{kind}.{name}" not in gaps}
                         for kind, bodies in stack.get("resource", {}).items()})
    referred = [address for address in gaps if f"{address}." in others]
    if referred:
        raise UsageError(f"the sandbox cannot leave out {', '.join(referred)} (moto lacks them) because other "
                         "resources refer to them; deploy this stack to AWS instead")
    override: dict = {}
    for address in gaps:
        kind, name = address.split(".", 1)
        override.setdefault(kind, {})[name] = {"count": 0}
    return override
