"""A generated AWS-only spec with N resources, and the hand-written cdktn app that produces the same JSON.

Each queue component (no dead-letter queue, SQS-managed encryption) synthesizes to exactly one aws_sqs_queue,
so N components give N resources, and the hand-written app below can reproduce Nexus' output byte for byte.
"""
from __future__ import annotations

import sys
from pathlib import Path

NAME, ENVIRONMENT, REGION = "scale", "dev", "us-east-1"


def scale_spec(count: int) -> str:
    lines = ["apiVersion: nexus/v1", f"name: {NAME}", "providers:", f"  aws: {{region: {REGION}}}",
             f"environments: [{ENVIRONMENT}]", "components:"]
    lines += [f"  q{index:04d}: {{type: queue, dead_letter: false, encrypted: false}}" for index in range(count)]
    return "\n".join(lines) + "\n"


def handwritten_app(count: int, out_dir: str) -> None:
    """What an engineer would write by hand in cdktn for the same queues."""
    from cdktn import App, LocalBackend, TerraformStack
    from cdktn_provider_aws.provider import AwsProvider
    from cdktn_provider_aws.sqs_queue import SqsQueue

    app = App(outdir=out_dir, stack_traces=False)
    stack_name = f"{NAME}-{ENVIRONMENT}-aws"
    stack = TerraformStack(app, stack_name)
    LocalBackend(stack, path=f"terraform.{stack_name}.tfstate")
    AwsProvider(stack, "aws", region=REGION)
    stack.add_override("terraform.required_providers.aws.version", ">= 5.100, < 7.0")
    for index in range(count):
        name = f"q{index:04d}"
        SqsQueue(stack, name, name=f"{NAME}-{ENVIRONMENT}-{name}", message_retention_seconds=96 * 3600,
                 sqs_managed_sse_enabled=True, visibility_timeout_seconds=60,
                 tags={"nexus:spec": NAME, "nexus:environment": ENVIRONMENT, "managed-by": "nexus",
                       "nexus:component": name})
    app.synth()


if __name__ == "__main__":
    from cdktf_app.stacks.runtime import prepare_jsii_environment

    prepare_jsii_environment()
    handwritten_app(int(sys.argv[1]), str(Path(sys.argv[2])))
