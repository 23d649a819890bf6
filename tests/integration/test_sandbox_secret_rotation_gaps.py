"""The sandbox answers Secrets Manager's rotation calls as AWS does where moto does not (moto_gaps 12): turning
off the rotation of a secret rotated without a function of its own (an RDS master secret's managed rotation)."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.helpers import sandbox_aws


def test_cancel_rotate_secret_turns_off_a_managed_rotation_and_still_refuses_an_unknown_secret(sandbox):
    secrets = sandbox_aws("secretsmanager", sandbox.url)
    secrets.create_secret(Name="rds!db-managed", SecretString="placeholder")
    assert secrets.cancel_rotate_secret(SecretId="rds!db-managed")["Name"] == "rds!db-managed"
    assert secrets.describe_secret(SecretId="rds!db-managed").get("RotationEnabled") in (False, None)
    with pytest.raises(ClientError) as missing:
        secrets.cancel_rotate_secret(SecretId="no-such-secret")
    assert missing.value.response["Error"]["Code"] == "ResourceNotFoundException"
