"""NEXUS_AZURE_KEY_ROTATION: a Key Vault key rotates itself (CIS Azure 3.3.8, which checkov has no check for).

Key Vault rotates keys, not secrets: a key passes when its `rotation_policy` says when each version expires
(`expire_after`) and rotates automatically before that (`automatic.time_before_expiry` or
`automatic.time_after_creation`). CKV_AZURE_40 only asks for an expiry date, which without a policy makes the key
stop working instead of renewing it.
"""
from typing import Any

from _nexus_support import attribute, is_set
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class AzureKeyRotation(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="Key Vault key has a rotation policy that rotates it automatically before it expires",
                         id="NEXUS_AZURE_KEY_ROTATION", categories=(CheckCategories.ENCRYPTION,),
                         supported_resources=("azurerm_key_vault_key",))

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        automatic = attribute(conf, "rotation_policy", "automatic")
        rotates = isinstance(automatic, dict) and (is_set(automatic.get("time_before_expiry"))
                                                   or is_set(automatic.get("time_after_creation")))
        expires = is_set(attribute(conf, "rotation_policy", "expire_after"))
        return CheckResult.PASSED if rotates and expires else CheckResult.FAILED


check = AzureKeyRotation()
