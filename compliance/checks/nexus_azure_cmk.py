"""NEXUS_AZURE_CMK: regulated Azure data stores are encrypted with a Key Vault key the customer manages.

Platform-managed keys cannot be revoked or rotated by the data owner. A storage account whose key is set by a
separate `azurerm_storage_account_customer_managed_key` resource is reported too (one resource is judged at a
time): write the key in the account's `customer_managed_key` block. Applies when the scan context says the data
is regulated (PCI-DSS, HIPAA) and, conservatively, when there is no context.
"""
from _nexus_support import CustomerKeyCheck, attribute, is_set


def _key_block(conf: dict) -> bool:
    return is_set(attribute(conf, "customer_managed_key"))


class AzureCustomerKey(CustomerKeyCheck):
    rules = {
        "azurerm_storage_account": _key_block,
        "azurerm_postgresql_flexible_server": _key_block,
        "azurerm_mysql_flexible_server": _key_block,
        "azurerm_servicebus_namespace": _key_block,
        "azurerm_managed_redis": _key_block,
        "azurerm_cosmosdb_account": lambda conf: is_set(attribute(conf, "key_vault_key_id")),
        "azurerm_kubernetes_cluster": lambda conf: is_set(attribute(conf, "disk_encryption_set_id")),
    }

    def __init__(self) -> None:
        super().__init__(name="Azure data store is encrypted with a customer-managed Key Vault key",
                         id="NEXUS_AZURE_CMK")


check = AzureCustomerKey()
