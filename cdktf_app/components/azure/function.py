"""function -> Linux Function App on a Consumption (Y1) plan: its own managed identity, HTTPS and TLS 1.2 only,
FTP off, Application Insights on the stack's workspace, code zip-deployed from the stack's assets. A queue
trigger gets an identity-based Service Bus connection (a subscription of its own for a topic) and the
receiver role on it.

A queue that a private endpoint serves (encrypted, in a network) is closed to public networks, and a Consumption
plan cannot join a virtual network, so a function triggering on it runs on an Elastic Premium (EP1) plan
integrated into a delegated subnet of the queue's network; the VNet's private DNS zone then resolves the
namespace to its private endpoint."""
from __future__ import annotations

import hashlib

from cdktn_provider_azurerm.application_insights import ApplicationInsights
from cdktn_provider_azurerm.linux_function_app import LinuxFunctionApp
from cdktn_provider_azurerm.role_assignment import RoleAssignment
from cdktn_provider_azurerm.service_plan import ServicePlan
from cdktn_provider_azurerm.servicebus_subscription import ServicebusSubscription
from cdktn_provider_azurerm.user_assigned_identity import UserAssignedIdentity

from ...spec.model import Function
from ...kit.assets import function_archive
from ..base import ComponentConstruct
from .network import delegated_subnet
from .storage import storage_account
from .provider import log_workspace, placement
from .queue import MAX_DELIVERIES
from .secrets import secret_settings

APPLICATION_STACK = {"python3.12": {"python_version": "3.12"}, "python3.11": {"python_version": "3.11"},
                     "nodejs20": {"node_version": "20"}, "nodejs22": {"node_version": "22"},
                     "go1.x": {"use_custom_runtime": True}}
CONSUMPTION_PLAN = "Y1"
VNET_PLAN = "EP1"  # Elastic Premium: the smallest plan that scales on events and joins a virtual network
CONSUMPTION_MAX_TIMEOUT_SECONDS = 600
TRIGGER_CONNECTION = "ServiceBusConnection"
APP_SERVICE_DELEGATION = "Microsoft.Web/serverFarms"


def host_timeout(seconds: int, plan: str) -> str:
    """host.json's functionTimeout (hh:mm:ss), capped at ten minutes on the Consumption plan."""
    if plan == CONSUMPTION_PLAN:
        seconds = min(seconds, CONSUMPTION_MAX_TIMEOUT_SECONDS)
    return f"{seconds // 3600:02}:{seconds // 60 % 60:02}:{seconds % 60:02}"


class AzureFunction(ComponentConstruct[Function]):
    def build(self) -> None:
        spec = self.component
        # The plan keeps the app's content in this account and deploys through its access key; the host
        # rewrites lease blobs every few seconds, so blob versions would only pile up. The content of an app
        # handling regulated data is encrypted with the stack's customer-managed key like the data itself.
        storage = storage_account(self, "storage", versioned=False, shared_keys=True,
                                  encrypted=self.ctx.spec.is_regulated())
        identity = self.add(UserAssignedIdentity, "identity", name=self.physical_name(max_length=128),
                            tags=self.tags, **placement(self.ctx))
        source = self.ctx.imported(spec.trigger) if spec.trigger else None
        private_network = source["private_network"] if source else None
        plan_sku = VNET_PLAN if private_network else CONSUMPTION_PLAN
        plan = self.add(ServicePlan, "plan", name=self.physical_name("plan", max_length=60), os_type="Linux",
                        sku_name=plan_sku, tags=self.tags, **placement(self.ctx))
        insights = self.add(ApplicationInsights, "insights", name=self.physical_name("insights", max_length=255),
                            application_type="other", workspace_id=log_workspace(self.ctx).id, tags=self.tags,
                            **placement(self.ctx))
        settings = {**spec.environment, "SCM_DO_BUILD_DURING_DEPLOYMENT": "true",
                    "AzureFunctionsJobHost__functionTimeout": host_timeout(spec.timeout, plan_sku),
                    "AZURE_CLIENT_ID": identity.client_id}
        if source:
            settings |= self._trigger(identity, source)
        settings |= secret_settings(self.ctx, self.name, spec.secrets, identity.principal_id)
        app = self.add(
            LinuxFunctionApp, None, name=self.physical_name(max_length=60), service_plan_id=plan.id,
            storage_account_name=storage.name, storage_account_access_key=storage.primary_access_key,
            https_only=True, ftp_publish_basic_authentication_enabled=False,
            identity={"type": "UserAssigned", "identity_ids": [identity.id]},
            key_vault_reference_identity_id=identity.id,
            site_config={"application_stack": APPLICATION_STACK[spec.runtime], "ftps_state": "Disabled",
                         "minimum_tls_version": "1.2", "scm_minimum_tls_version": "1.2", "http2_enabled": True,
                         "application_insights_connection_string": insights.connection_string},
            app_settings=settings, zip_deploy_file=self._code(), tags=self.tags,
            **self._vnet_integration(private_network), **placement(self.ctx))
        self.export(id=app.id, name=app.name, url=f"https://{app.default_hostname}",
                    identity_principal_id=identity.principal_id)

    def _vnet_integration(self, network_name: str | None) -> dict:
        """The app's outbound traffic to private addresses through a delegated subnet of `network_name`."""
        if network_name is None:
            return {}
        subnet = delegated_subnet(self, self.ctx.imported(network_name), APP_SERVICE_DELEGATION, None)
        return {"virtual_network_subnet_id": subnet.id}

    def _code(self) -> str:
        """The code archive; its name carries its digest because the provider redeploys only when the path
        changes."""
        spec = self.component
        where = self.ctx.loaded.source.problem(("components", self.name, "source"), "")
        archive = function_archive(self.ctx.loaded.base_dir, spec.source, spec.runtime, where)
        digest = hashlib.sha256(archive).hexdigest()[:12]
        return self.ctx.add_asset(f"assets/{self.name}-{digest}.zip", archive)

    def _trigger(self, identity: UserAssignedIdentity, source: dict) -> dict[str, str]:
        """App settings of an identity-based Service Bus connection named `ServiceBusConnection`, and the
        entity names the trigger binding reads (`%NEXUS_TRIGGER_QUEUE%`...)."""
        self.add(RoleAssignment, "trigger_role", scope=source["id"],
                 role_definition_name="Azure Service Bus Data Receiver", principal_id=identity.principal_id,
                 principal_type="ServicePrincipal")
        if source["kind"] == "topic":
            subscription = self.add(
                ServicebusSubscription, "subscription", name=self.name, topic_id=source["id"],
                max_delivery_count=MAX_DELIVERIES, default_message_ttl=source["message_ttl"],
                dead_lettering_on_message_expiration=source["dead_letter"])
            entity = {"NEXUS_TRIGGER_TOPIC": source["name"], "NEXUS_TRIGGER_SUBSCRIPTION": subscription.name}
        else:
            entity = {"NEXUS_TRIGGER_QUEUE": source["name"]}
        return {f"{TRIGGER_CONNECTION}__fullyQualifiedNamespace": source["namespace_host"],
                f"{TRIGGER_CONNECTION}__credential": "managedidentity",
                f"{TRIGGER_CONNECTION}__clientId": identity.client_id, **entity}
