"""The Secrets Manager rotation function of the secrets Nexus generates (packaged as the Lambda's main.py).

It follows Secrets Manager's four steps. The new value is a random one of the current value's length, drawn by
Secrets Manager itself; nothing downstream holds a copy (readers fetch the value by ARN when they start), so
setSecret and testSecret have nothing to change or try, as in AWS's generic rotation template. Only boto3 is
imported: the file runs in Lambda's Python runtime as it stands. EXCLUDED_CHARACTERS in its environment: the
characters a value leaves out.
"""
import os

import boto3

PENDING, CURRENT = "AWSPENDING", "AWSCURRENT"


def handler(event, context):
    client = boto3.client("secretsmanager")
    secret, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    stages = _stages_of(client, secret, token)
    if CURRENT in stages:
        return  # this version is already current: an earlier invocation finished the rotation
    if PENDING not in stages:
        raise ValueError(f"version {token} of {secret} is not pending rotation")
    if step == "createSecret":
        _create(client, secret, token)
    elif step == "finishSecret":
        _finish(client, secret, token)
    elif step not in ("setSecret", "testSecret"):
        raise ValueError(f"unknown rotation step {step!r}")


def _stages_of(client, secret: str, token: str) -> list:
    description = client.describe_secret(SecretId=secret)
    if not description.get("RotationEnabled"):
        raise ValueError(f"rotation is not enabled for {secret}")
    versions = description.get("VersionIdsToStages", {})
    if token not in versions:
        raise ValueError(f"version {token} has no stage for rotation of {secret}")
    return versions[token]


def _create(client, secret: str, token: str) -> None:
    try:
        client.get_secret_value(SecretId=secret, VersionId=token, VersionStage=PENDING)
        return  # created by an earlier invocation of this step
    except client.exceptions.ResourceNotFoundException:
        pass
    current = client.get_secret_value(SecretId=secret, VersionStage=CURRENT)["SecretString"]
    value = client.get_random_password(PasswordLength=max(len(current), 16),
                                       ExcludeCharacters=os.environ["EXCLUDED_CHARACTERS"])
    client.put_secret_value(SecretId=secret, ClientRequestToken=token, SecretString=value["RandomPassword"],
                            VersionStages=[PENDING])


def _finish(client, secret: str, token: str) -> None:
    versions = client.describe_secret(SecretId=secret)["VersionIdsToStages"]
    current = next(version for version, stages in versions.items() if CURRENT in stages)
    client.update_secret_version_stage(SecretId=secret, VersionStage=CURRENT, MoveToVersionId=token,
                                       RemoveFromVersionId=current)
    # No version left pending: the state a next rotation expects (AWS accepts it, moto requires it).
    client.update_secret_version_stage(SecretId=secret, VersionStage=PENDING, RemoveFromVersionId=token)
