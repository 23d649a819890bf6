"""Pointing a synthesized AWS stack at the sandbox without touching its cdk.tf.json.

Terraform merges `*_override.tf.json` files into the configuration, so the sandbox settings live in one file
beside cdk.tf.json: every `aws` provider block (aliases included) gets fake credentials, the skip_* settings
that keep it off real AWS, path-style S3 and the sandbox URL for each service. State never goes to a real
backend: S3 state goes to the sandbox's S3 (an override's backend block replaces the original one, so its
settings are carried over); every other backend (local, GCS, azurerm: there is no emulator for the last two
here) becomes the sandbox's own local state, `terraform.<stack>.sandbox.tfstate` in the stack folder, never the
real `terraform.<stack>.tfstate` beside it. Buckets get `force_destroy` (a Terraform-side setting only), as
sandbox data is throwaway.
Synth replaces only the files it generates, so the override survives a re-synth; deploy writes or removes it
on every run, so a stack never talks to the sandbox by accident.
"""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import yaml

from .gaps import gap_override

OVERRIDE_FILE = "nexus_sandbox_override.tf.json"
CREDENTIAL = "test"


@cache
def endpoint_keys() -> tuple[str, ...]:
    return tuple(yaml.safe_load((Path(__file__).parent / "endpoints.yaml").read_text(encoding="utf-8")))


def provider_settings(url: str, region: str, max_retries: int | None = None) -> dict:
    settings = {"region": region, "access_key": CREDENTIAL, "secret_key": CREDENTIAL,
            "skip_credentials_validation": True, "skip_requesting_account_id": True,
            "skip_metadata_api_check": True, "s3_use_path_style": True,
            "endpoints": [{key: url for key in endpoint_keys()}]}
    if max_retries is not None:
        settings["max_retries"] = max_retries
    return settings


def backend_settings(url: str, original: dict) -> dict:
    return {**original, "access_key": CREDENTIAL, "secret_key": CREDENTIAL, "use_path_style": True,
            "skip_credentials_validation": True, "skip_requesting_account_id": True,
            "skip_metadata_api_check": True, "skip_region_validation": True,
            "endpoints": {"s3": url, "dynamodb": url, "sts": url, "iam": url}}


def sandbox_state_file(stack: str) -> str:
    """The sandbox's local state of a stack, beside (never the same as) the real `terraform.<stack>.tfstate`."""
    return f"terraform.{stack}.sandbox.tfstate"


def sandbox_backend(backend: dict, url: str, local_path: str) -> dict:
    """The backend a sandbox run uses instead of `backend`: S3 on the sandbox, else local state at `local_path`
    (a real local backend's own path is not kept: its state describes real resources)."""
    if "s3" in backend:
        return {"s3": backend_settings(url, backend["s3"])}
    return {"local": {"path": local_path}}


def sandbox_override(stack: dict, url: str, local_path: str, max_retries: int | None = None) -> dict:
    """`local_path` is the state file for a backend the sandbox cannot serve; `max_retries` caps the AWS SDK's
    own retries (25 by default), so throttling reaches Nexus sooner."""
    providers = []
    for block in stack.get("provider", {}).get("aws", []):
        settings = provider_settings(url, block.get("region", "us-east-1"), max_retries)
        if "alias" in block:
            settings["alias"] = block["alias"]
        providers.append(settings)
    override: dict = {"provider": {"aws": providers}} if providers else {}
    buckets = stack.get("resource", {}).get("aws_s3_bucket", {})
    if providers and buckets:  # sandbox data is throwaway: let destroy remove buckets that hold objects
        override["resource"] = {"aws_s3_bucket": {name: {"force_destroy": True} for name in sorted(buckets)}}
    if providers and (left_out := gap_override(stack)):
        override.setdefault("resource", {}).update(left_out)
    backend = stack.get("terraform", {}).get("backend", {})
    override["terraform"] = {"backend": sandbox_backend(backend, url, local_path)}
    return override


def write_provider_override(stack_dir: Path, url: str, max_retries: int | None = None) -> Path:
    """Write the override for a stack (its local state, when it needs one, is `sandbox_state_file`)."""
    stack = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    override = sandbox_override(stack, url, sandbox_state_file(stack_dir.name), max_retries)
    target = stack_dir / OVERRIDE_FILE
    target.write_text(json.dumps(override, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target


def remove_provider_override(stack_dir: Path) -> None:
    (stack_dir / OVERRIDE_FILE).unlink(missing_ok=True)


def seed_secrets(url: str, loaded) -> list[str]:
    """Create the AWS Secrets Manager secrets a spec reads (with a random placeholder value) when the sandbox
    lacks them: specs name secrets that exist outside Terraform, and the plan reads them."""
    import secrets as random_source

    import boto3
    from botocore.config import Config

    aws = loaded.spec.providers.aws
    names = [s.name for s in loaded.spec.secrets.values() if s.kind == "external" and s.source == "aws-secrets-manager"]
    if aws is None or not names:
        return []
    client = boto3.client("secretsmanager", endpoint_url=url, region_name=aws.region,
                          aws_access_key_id=CREDENTIAL, aws_secret_access_key=CREDENTIAL,
                          config=Config(proxies={}))  # the values go to the sandbox only, never via a proxy
    existing = {entry["Name"] for page in client.get_paginator("list_secrets").paginate()
                for entry in page["SecretList"]}
    created = [name for name in names if name not in existing]
    for name in created:
        client.create_secret(Name=name, SecretString=random_source.token_urlsafe(24),
                             Description="placeholder created by the Nexus sandbox")
    return created
