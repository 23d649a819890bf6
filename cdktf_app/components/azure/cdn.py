"""cdn -> Azure Front Door: endpoint, origin group and origin (the bucket's blob container or the service's
ingress), an HTTPS-only route, and with waf a Premium profile with Microsoft's managed rule sets in
Prevention mode; logs to the stack's workspace."""
from __future__ import annotations

from cdktn_provider_azurerm.cdn_frontdoor_endpoint import CdnFrontdoorEndpoint
from cdktn_provider_azurerm.cdn_frontdoor_firewall_policy import CdnFrontdoorFirewallPolicy
from cdktn_provider_azurerm.cdn_frontdoor_origin import CdnFrontdoorOrigin
from cdktn_provider_azurerm.cdn_frontdoor_origin_group import CdnFrontdoorOriginGroup
from cdktn_provider_azurerm.cdn_frontdoor_profile import CdnFrontdoorProfile
from cdktn_provider_azurerm.cdn_frontdoor_route import CdnFrontdoorRoute
from cdktn_provider_azurerm.cdn_frontdoor_security_policy import CdnFrontdoorSecurityPolicy

from ...spec.model import Cdn
from ..base import ComponentConstruct
from .provider import diagnostics, resource_group

# Managed WAF rule sets are a Premium feature.
SKU = {True: "Premium_AzureFrontDoor", False: "Standard_AzureFrontDoor"}
MANAGED_RULE_SETS = (("Microsoft_DefaultRuleSet", "2.1", "Block"), ("Microsoft_BotManagerRuleSet", "1.1", "Block"))
COMPRESSED_TYPES = ["text/html", "text/css", "text/plain", "text/xml", "application/javascript", "application/json",
                    "application/xml", "image/svg+xml"]


class AzureCdn(ComponentConstruct[Cdn]):
    def build(self) -> None:
        spec = self.component
        origin_kind = self.ctx.component(spec.origin).type
        source = self.ctx.imported(spec.origin)
        profile = self.add(CdnFrontdoorProfile, None, name=self.physical_name(max_length=260), sku_name=SKU[spec.waf],
                           resource_group_name=resource_group(self.ctx).name, tags=self.tags)
        endpoint = self.add(CdnFrontdoorEndpoint, "endpoint", name=self.physical_name(max_length=46),
                            cdn_frontdoor_profile_id=profile.id, tags=self.tags)
        group = self.add(CdnFrontdoorOriginGroup, "origins", name=spec.origin.replace("_", "-"),
                         cdn_frontdoor_profile_id=profile.id, session_affinity_enabled=False,
                         load_balancing={"sample_size": 4, "successful_samples_required": 3},
                         health_probe=self._health_probe(origin_kind, source))
        host = source["blob_host"] if origin_kind == "bucket" else source["fqdn"]
        origin = self.add(CdnFrontdoorOrigin, "origin", name=spec.origin.replace("_", "-"),
                          cdn_frontdoor_origin_group_id=group.id, host_name=host, origin_host_header=host,
                          certificate_name_check_enabled=True, https_port=443, http_port=80, enabled=True)
        self.add(CdnFrontdoorRoute, "route", name="default", cdn_frontdoor_endpoint_id=endpoint.id,
                 cdn_frontdoor_origin_group_id=group.id, cdn_frontdoor_origin_ids=[origin.id],
                 patterns_to_match=["/*"], supported_protocols=["Http", "Https"], https_redirect_enabled=True,
                 forwarding_protocol="HttpsOnly", link_to_default_domain=True, **self._caching(origin_kind, source))
        if spec.waf:
            self._firewall(profile, endpoint)
        diagnostics(self, "diagnostics", profile.id)
        self.export(id=profile.id, domain=endpoint.host_name, url=f"https://{endpoint.host_name}")

    @staticmethod
    def _health_probe(origin_kind: str, source: dict) -> dict | None:
        """Services are probed on their health check; a blob container is always there to serve."""
        if origin_kind == "bucket":
            return None
        return {"protocol": "Https", "path": source["health_check"], "request_type": "GET", "interval_in_seconds": 60}

    @staticmethod
    def _caching(origin_kind: str, source: dict) -> dict:
        """Bucket content is cached and compressed; service responses pass through uncached."""
        if origin_kind != "bucket":
            return {}
        return {"cdn_frontdoor_origin_path": f"/{source['container']}",
                "cache": {"query_string_caching_behavior": "IgnoreQueryString", "compression_enabled": True,
                          "content_types_to_compress": COMPRESSED_TYPES}}

    def _firewall(self, profile: CdnFrontdoorProfile, endpoint: CdnFrontdoorEndpoint) -> None:
        policy = self.add(
            CdnFrontdoorFirewallPolicy, "waf", name=self.physical_name("waf", max_length=128, separator=""),
            resource_group_name=profile.resource_group_name, sku_name=profile.sku_name, mode="Prevention",
            enabled=True, request_body_check_enabled=True, tags=self.tags,
            managed_rule=[{"type": rule_set, "version": version, "action": action}
                          for rule_set, version, action in MANAGED_RULE_SETS])
        self.add(CdnFrontdoorSecurityPolicy, "waf_policy", name=self.physical_name("waf", max_length=260),
                 cdn_frontdoor_profile_id=profile.id, security_policies={"firewall": {
                     "cdn_frontdoor_firewall_policy_id": policy.id,
                     "association": {"domain": [{"cdn_frontdoor_domain_id": endpoint.id}],
                                     "patterns_to_match": ["/*"]}}})
