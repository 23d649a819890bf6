"""WAFv2 web ACL with AWS's managed rule groups: in front of CloudFront (CLOUDFRONT) or a public ALB (REGIONAL)."""
from __future__ import annotations

from cdktn_provider_aws.wafv2_web_acl import Wafv2WebAcl

MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                       "AWSManagedRulesAmazonIpReputationList")


def managed_web_acl(construct, scope: str, **options) -> Wafv2WebAcl:
    """A web ACL that allows by default and blocks what the managed rule groups match."""
    rules = [{"name": group, "priority": index, "override_action": {"none": {}},
              "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
              "visibility_config": {"cloudwatch_metrics_enabled": True, "metric_name": group,
                                    "sampled_requests_enabled": True}}
             for index, group in enumerate(MANAGED_RULE_GROUPS)]
    return construct.add(Wafv2WebAcl, "waf", name=construct.physical_name(max_length=128), scope=scope,
                         default_action={"allow": {}}, rule=rules,
                         visibility_config={"cloudwatch_metrics_enabled": True,
                                            "metric_name": construct.physical_name(),
                                            "sampled_requests_enabled": True},
                         tags=construct.tags, **options)
