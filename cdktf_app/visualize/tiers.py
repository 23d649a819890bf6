"""Network tiers for `--group-by network`: where a resource sits on the path of a request.

Terraform has no notion of tiers, so this reads the resource type: words in the type name decide, checked in
the order below (the first tier whose words match wins). Unknown types land in `other`, never dropped.
"""
from __future__ import annotations

TIERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("edge", ("cloudfront", "wafv2", "waf", "frontdoor", "cdn", "forwarding_rule", "target_http", "url_map",
              "security_policy", "backend_bucket", "global_address", "route53", "dns", "acm", "certificate")),
    ("identity & keys", ("iam", "kms", "secret", "identity", "role_assignment", "service_account", "policy",
                         "key_vault", "management_lock", "client_config", "caller_identity", "partition")),
    ("observability", ("cloudwatch", "monitoring", "monitor", "log", "insights", "alarm", "flow_log")),
    ("network", ("vpc", "subnet", "route", "nat", "internet_gateway", "eip", "security_group", "network",
                 "firewall", "router", "public_ip", "availability_zones", "service_networking", "private_dns",
                 "private_endpoint", "lb", "load_balancer", "listener", "target_group", "backend_service",
                 "endpoint_group", "nsg")),
    ("messaging", ("sqs", "sns", "pubsub", "servicebus", "eventbridge", "kinesis", "event_source")),
    ("data", ("db_", "rds", "sql", "dynamodb", "elasticache", "redis", "s3_", "storage", "bigquery",
              "firestore", "postgresql", "mysql", "cosmosdb", "efs", "ebs")),
    ("compute", ("ecs", "eks", "lambda", "instance", "autoscal", "launch", "container", "cloud_run", "function",
                 "kubernetes", "virtual_machine", "service_plan", "app", "compute", "node_pool", "ami")),
)


def network_tier(resource_type: str, mode: str = "managed") -> str:
    if mode == "module":
        return "modules"
    for tier, words in TIERS:
        if any(word in resource_type for word in words):
            return tier
    return "other"
