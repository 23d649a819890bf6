"""cdn -> global external Application Load Balancer with Cloud CDN in front of a bucket or a Cloud Run service.

Cloud Armor (OWASP rules, adaptive DDoS protection) guards service origins when `waf` is on.
"""
from __future__ import annotations

from cdktn_provider_google.compute_backend_bucket import ComputeBackendBucket
from cdktn_provider_google.compute_backend_service import ComputeBackendService, ComputeBackendServiceBackend
from cdktn_provider_google.compute_global_address import ComputeGlobalAddress
from cdktn_provider_google.compute_global_forwarding_rule import ComputeGlobalForwardingRule
from cdktn_provider_google.compute_region_network_endpoint_group import ComputeRegionNetworkEndpointGroup
from cdktn_provider_google.compute_security_policy import ComputeSecurityPolicy, ComputeSecurityPolicyRule
from cdktn_provider_google.compute_target_http_proxy import ComputeTargetHttpProxy
from cdktn_provider_google.compute_url_map import ComputeUrlMap

from ...spec.model import Cdn
from ..base import ComponentConstruct

LOAD_BALANCING_SCHEME = "EXTERNAL_MANAGED"
OWASP_RULE_SETS = ("sqli-v33-stable", "xss-v33-stable", "lfi-v33-stable", "rfi-v33-stable", "rce-v33-stable",
                   "methodenforcement-v33-stable", "scannerdetection-v33-stable", "protocolattack-v33-stable",
                   "sessionfixation-v33-stable")
DEFAULT_RULE_PRIORITY = 2147483647


class GcpCdn(ComponentConstruct[Cdn]):
    """No certificate without a domain: the load balancer listens on HTTP until the spec can name one."""

    def build(self) -> None:
        spec = self.component
        origin = self.ctx.imported(spec.origin)
        if self.ctx.component(spec.origin).type == "bucket":
            backend = self.add(ComputeBackendBucket, "backend", name=self.physical_name("backend"),
                               bucket_name=origin["name"], enable_cdn=True, compression_mode="AUTOMATIC",
                               cdn_policy={"cache_mode": "CACHE_ALL_STATIC", "serve_while_stale": 86400,
                                           "request_coalescing": True})
        else:
            backend = self._service_backend(origin)
        url_map = self.add(ComputeUrlMap, None, name=self.physical_name(), default_service=backend.id)
        proxy = self.add(ComputeTargetHttpProxy, "proxy", name=self.physical_name("proxy"), url_map=url_map.id)
        address = self.add(ComputeGlobalAddress, "address", name=self.physical_name("address"), labels=self.labels)
        self.add(ComputeGlobalForwardingRule, "http", name=self.physical_name("http"), target=proxy.id,
                 ip_address=address.id, ip_protocol="TCP", port_range="80",
                 load_balancing_scheme=LOAD_BALANCING_SCHEME, labels=self.labels)
        self.export(ip_address=address.address, url=f"http://{address.address}")

    def _service_backend(self, origin: dict) -> ComputeBackendService:
        endpoints = self.add(ComputeRegionNetworkEndpointGroup, "neg", name=self.physical_name("neg"),
                             region=origin["location"], network_endpoint_type="SERVERLESS",
                             cloud_run={"service": origin["name"]})
        return self.add(ComputeBackendService, "backend", name=self.physical_name("backend"), protocol="HTTPS",
                        load_balancing_scheme=LOAD_BALANCING_SCHEME,
                        backend=[ComputeBackendServiceBackend(group=endpoints.id)],
                        enable_cdn=True, cdn_policy={"cache_mode": "USE_ORIGIN_HEADERS"},
                        compression_mode="AUTOMATIC", log_config={"enable": True, "sample_rate": 1.0},
                        security_policy=self._firewall().id if self.component.waf else None)

    def _firewall(self) -> ComputeSecurityPolicy:
        rules = [ComputeSecurityPolicyRule(
            action="deny(403)", priority=1000 + index, description=f"OWASP ModSecurity CRS: {rule_set}",
            match={"expr": {"expression": f"evaluatePreconfiguredWaf('{rule_set}', {{'sensitivity': 1}})"}})
            for index, rule_set in enumerate(OWASP_RULE_SETS)]
        rules.append(ComputeSecurityPolicyRule(
            action="allow", priority=DEFAULT_RULE_PRIORITY, description="everything the rules above let through",
            match={"versioned_expr": "SRC_IPS_V1", "config": {"src_ip_ranges": ["*"]}}))
        return self.add(ComputeSecurityPolicy, "waf", name=self.physical_name("waf"), type="CLOUD_ARMOR",
                        description=f"{self.ctx.prefix} {self.name}", rule=rules, labels=self.labels,
                        adaptive_protection_config={"layer7_ddos_defense_config": {"enable": True}})
