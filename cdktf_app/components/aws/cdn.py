"""cdn -> CloudFront distribution in front of a bucket (origin access control) or a service; WAF on by default."""
from __future__ import annotations

from cdktn_provider_aws.cloudfront_distribution import CloudfrontDistribution
from cdktn_provider_aws.cloudfront_origin_access_control import CloudfrontOriginAccessControl

from ...spec.model import Cdn
from ..base import ComponentConstruct
from .firewall import managed_web_acl
from .provider import global_provider

CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CACHING_DISABLED = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
ALL_VIEWER_EXCEPT_HOST = "b689b0a8-53d0-40ab-baf2-68738e2966ac"


class AwsCdn(ComponentConstruct[Cdn]):
    def build(self) -> None:
        spec = self.component
        origin_kind = self.ctx.component(spec.origin).type
        origin = self.ctx.imported(spec.origin)
        distribution = self.add(
            CloudfrontDistribution, None, enabled=True, is_ipv6_enabled=True, comment=f"{self.ctx.prefix} {self.name}",
            price_class="PriceClass_All" if spec.price_class == "all" else "PriceClass_100",
            origin=[self._bucket_origin(origin) if origin_kind == "bucket" else self._service_origin(origin)],
            default_cache_behavior={
                "target_origin_id": spec.origin, "viewer_protocol_policy": "redirect-to-https",
                "allowed_methods": ["GET", "HEAD", "OPTIONS"] if origin_kind == "bucket" else
                ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"],
                "cached_methods": ["GET", "HEAD"], "compress": True,
                "cache_policy_id": CACHING_OPTIMIZED if origin_kind == "bucket" else CACHING_DISABLED,
                **({} if origin_kind == "bucket" else {"origin_request_policy_id": ALL_VIEWER_EXCEPT_HOST})},
            restrictions={"geo_restriction": {"restriction_type": "none"}},
            viewer_certificate={"cloudfront_default_certificate": True},
            web_acl_id=self._firewall_arn(), tags=self.tags)
        if origin_kind == "bucket":
            origin["policy_statements"].append({
                "Sid": "CloudFrontReads", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
                "Action": "s3:GetObject", "Resource": f"{origin['arn']}/*",
                "Condition": {"StringEquals": {"AWS:SourceArn": distribution.arn}}})
        self.export(domain=lambda: distribution.domain_name, arn=lambda: distribution.arn)

    def _bucket_origin(self, bucket: dict) -> dict:
        access = self.add(CloudfrontOriginAccessControl, "oac", name=self.physical_name(max_length=64),
                          origin_access_control_origin_type="s3", signing_behavior="always", signing_protocol="sigv4")
        return {"origin_id": self.component.origin, "domain_name": bucket["domain"],
                "origin_access_control_id": access.id}

    def _service_origin(self, service: dict) -> dict:
        https = service["url"].startswith("https")
        return {"origin_id": self.component.origin, "domain_name": service["dns_name"],
                "custom_origin_config": {"http_port": 80, "https_port": 443,
                                         "origin_protocol_policy": "https-only" if https else "http-only",
                                         "origin_ssl_protocols": ["TLSv1.2"]}}

    def _firewall_arn(self) -> str | None:
        if not self.component.waf:
            return None
        return managed_web_acl(self, "CLOUDFRONT", provider=global_provider(self.ctx)).arn
