"""The azurerm provider of a stack, its resource group, and what Azure components share (Log Analytics)."""
from __future__ import annotations

from cdktn_provider_azurerm.data_azurerm_client_config import DataAzurermClientConfig
from cdktn_provider_azurerm.log_analytics_workspace import LogAnalyticsWorkspace
from cdktn_provider_azurerm.monitor_diagnostic_setting import MonitorDiagnosticSetting
from cdktn_provider_azurerm.provider import AzurermProvider
from cdktn_provider_azurerm.resource_group import ResourceGroup

from ...stacks.context import StackContext
from ..base import ComponentConstruct

STACK_SECTION = "providers.azure"
LOG_RETENTION_DAYS = 365


def configure(ctx: StackContext) -> None:
    # Nexus storage accounts refuse shared keys, so the provider must reach their data plane with Entra ID.
    AzurermProvider(ctx.stack, "azurerm", features=[{}], storage_use_azuread=True)
    resource_group(ctx)


def location(ctx: StackContext) -> str:
    return ctx.spec.providers.azure.location


def resource_group(ctx: StackContext) -> ResourceGroup:
    """The stack's resource group: every Azure resource of the stack lives in it."""
    azure = ctx.spec.providers.azure
    return ctx.shared("azure.rg", lambda: ctx.add(
        STACK_SECTION, ResourceGroup, "rg", name=azure.resource_group or ctx.prefix, location=azure.location,
        tags=ctx.tags()))


def placement(ctx: StackContext) -> dict[str, str]:
    """`location` and `resource_group_name`, which nearly every Azure resource takes."""
    return {"location": location(ctx), "resource_group_name": resource_group(ctx).name}


def client(ctx: StackContext) -> DataAzurermClientConfig:
    """Who runs Terraform: its tenant is the tenant Entra ID authentication is set up in."""
    return ctx.shared("azure.client", lambda: ctx.add(STACK_SECTION, DataAzurermClientConfig, "client"))


def log_workspace(ctx: StackContext) -> LogAnalyticsWorkspace:
    """The stack's Log Analytics workspace: diagnostics, container and cluster logs, kept a year."""
    return ctx.shared("azure.logs", lambda: ctx.add(
        STACK_SECTION, LogAnalyticsWorkspace, "logs", name=ctx.physical_name("logs"), sku="PerGB2018",
        retention_in_days=LOG_RETENTION_DAYS, tags=ctx.tags(), **placement(ctx)))


def diagnostics(construct: ComponentConstruct, role: str, target_id: str, *, logs: str = "allLogs",
                metrics: bool = True) -> MonitorDiagnosticSetting:
    """Send a resource's logs (a category group) and, if it has them, its metrics to the stack's workspace."""
    return construct.add(MonitorDiagnosticSetting, role, name="nexus", target_resource_id=target_id,
                         log_analytics_workspace_id=log_workspace(construct.ctx).id,
                         enabled_log=[{"category_group": logs}],
                         enabled_metric=[{"category": "AllMetrics"}] if metrics else None)
