"""WAFv2 web ACL with AWS's managed rule groups: in front of CloudFront (CLOUDFRONT) or a public ALB (REGIONAL)."""
from __future__ import annotations

from cdktn_provider_aws.provider import AwsProvider
from cdktn_provider_aws.wafv2_web_acl import Wafv2WebAcl
from cdktn_provider_aws.wafv2_web_acl_logging_configuration import Wafv2WebAclLoggingConfiguration

from .provider import log_group

MANAGED_RULE_GROUPS = ("AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
                       "AWSManagedRulesAmazonIpReputationList")


def managed_web_acl(construct, scope: str, provider: AwsProvider | None = None) -> Wafv2WebAcl:
    """A web ACL that allows by default, blocks what the managed rule groups match, and logs to CloudWatch."""
    rules = [{"name": group, "priority": index, "override_action": {"none": {}},
              "statement": {"managed_rule_group_statement": {"name": group, "vendor_name": "AWS"}},
              "visibility_config": {"cloudwatch_metrics_enabled": True, "metric_name": group,
                                    "sampled_requests_enabled": True}}
             for index, group in enumerate(MANAGED_RULE_GROUPS)]
    acl = construct.add(Wafv2WebAcl, "waf", name=construct.physical_name(max_length=128), scope=scope,
                        default_action={"allow": {}}, rule=rules,
                        visibility_config={"cloudwatch_metrics_enabled": True,
                                           "metric_name": construct.physical_name(),
                                           "sampled_requests_enabled": True},
                        provider=provider, tags=construct.tags)
    # WAF only delivers to log groups whose name starts with aws-waf-logs-.
    logs = log_group(construct, "waf_logs", f"aws-waf-logs-{construct.physical_name()}", provider=provider)
    construct.add(Wafv2WebAclLoggingConfiguration, "waf_logging", resource_arn=acl.arn,
                  log_destination_configs=[logs.arn], provider=provider)
    return acl
