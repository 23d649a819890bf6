"""NEXUS_AZURE_REQUIRED_TAGS: taggable Azure resources carry every tag of the spec, with the spec's value.

The required tags come from the scan context (`required_tags`); without a context nothing is reported.
"""
from _nexus_support import RequiredTagsCheck

TAGGABLE = (
    "azurerm_application_insights", "azurerm_cdn_frontdoor_profile", "azurerm_container_app",
    "azurerm_container_app_environment", "azurerm_cosmosdb_account", "azurerm_key_vault",
    "azurerm_kubernetes_cluster", "azurerm_linux_function_app", "azurerm_linux_virtual_machine",
    "azurerm_linux_virtual_machine_scale_set", "azurerm_log_analytics_workspace", "azurerm_managed_redis",
    "azurerm_mssql_server", "azurerm_mysql_flexible_server", "azurerm_nat_gateway", "azurerm_network_security_group",
    "azurerm_postgresql_flexible_server", "azurerm_private_endpoint", "azurerm_public_ip", "azurerm_redis_cache",
    "azurerm_resource_group", "azurerm_service_plan", "azurerm_servicebus_namespace", "azurerm_storage_account",
    "azurerm_user_assigned_identity", "azurerm_virtual_network",
)


class AzureRequiredTags(RequiredTagsCheck):
    def __init__(self) -> None:
        super().__init__(name="Azure resource carries the spec's required tags", id="NEXUS_AZURE_REQUIRED_TAGS",
                         supported_resources=TAGGABLE)


check = AzureRequiredTags()
