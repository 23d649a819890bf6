"""Pricing rules for the AWS resource types Nexus components create (and the common ones others write)."""
from __future__ import annotations

from .pricing import Charge, Flat, PricingContext, Unpriced, block, flat_rule, number, rule
from ..inventory.resources import Resource


@rule("aws_ecs_service")
def ecs_service(resource: Resource, ctx: PricingContext) -> list[Charge]:
    body = resource.body
    if body.get("launch_type", "FARGATE") != "FARGATE" and not body.get("capacity_provider_strategy"):
        raise Unpriced("EC2 launch type: the instances are priced on their auto scaling group")
    task = ctx.referenced(resource, body.get("task_definition"))
    if task is None:
        raise Unpriced("its task definition is not in the configuration")
    tasks = number(body.get("desired_count", 1), "desired_count")
    vcpus = number(task.body.get("cpu"), "task cpu") / 1024
    memory_gb = number(task.body.get("memory"), "task memory") / 1024
    return [ctx.charge(resource, f"{tasks:g} Fargate task(s) x {vcpus:g} vCPU", "fargate_vcpu", tasks * vcpus * ctx.hours),
            ctx.charge(resource, f"{tasks:g} Fargate task(s) x {memory_gb:g} GB", "fargate_memory",
                       tasks * memory_gb * ctx.hours)]


@rule("aws_lb", "aws_alb")
def load_balancer(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if resource.body.get("load_balancer_type", "application") != "application":
        raise Unpriced(f"{resource.body.get('load_balancer_type')} load balancers are not in the catalogue")
    return [ctx.charge(resource, "load balancer hours", "alb_hour", ctx.hours),
            ctx.charge(resource, "1 LCU on average (assumed)", "alb_lcu", ctx.hours)]


@rule("aws_instance")
def instance(resource: Resource, ctx: PricingContext) -> list[Charge]:
    instance_type = resource.body.get("instance_type")
    return [ctx.charge(resource, f"{instance_type} hours", "ec2_instance", ctx.hours, sku=instance_type)]


@rule("aws_autoscaling_group")
def autoscaling_group(resource: Resource, ctx: PricingContext) -> list[Charge]:
    body = resource.body
    count = number(body.get("desired_capacity", body.get("min_size")), "desired_capacity")
    template = ctx.referenced(resource, block(body.get("launch_template")).get("id")) or \
        ctx.referenced(resource, block(body.get("launch_template")).get("name"))
    if template is None:
        raise Unpriced("its launch template is not in the configuration")
    instance_type = template.body.get("instance_type")
    charges = [ctx.charge(resource, f"{count:g} x {instance_type} hours", "ec2_instance", count * ctx.hours,
                          sku=instance_type)]
    for device in template.body.get("block_device_mappings") or []:
        ebs = block(block(device).get("ebs"))
        if ebs.get("volume_size") is not None:
            size = number(ebs["volume_size"], "volume_size")
            charges.append(ctx.charge(resource, f"{count:g} x {size:g} GB gp3 volume", "ebs_gp3", count * size))
    return charges


@rule("aws_eks_node_group")
def eks_node_group(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if resource.body.get("capacity_type") == "SPOT":
        raise Unpriced("Spot capacity: prices change by the hour and are not in the catalogue")
    scaling = block(resource.body.get("scaling_config"))
    nodes = number(scaling.get("desired_size", scaling.get("min_size")), "scaling_config.desired_size")
    types = resource.body.get("instance_types") or ["t3.medium"]
    return [ctx.charge(resource, f"{nodes:g} x {types[0]} nodes", "ec2_instance", nodes * ctx.hours, sku=types[0])]


@rule("aws_db_instance")
def db_instance(resource: Resource, ctx: PricingContext) -> list[Charge]:
    body = resource.body
    engine = str(body.get("engine", "")).replace("aurora-", "")
    copies = 2 if body.get("multi_az") in (True, "true") else 1
    storage = number(body.get("allocated_storage"), "allocated_storage")
    storage_type = body.get("storage_type", "gp2")
    suffix = " (Multi-AZ: two copies)" if copies == 2 else ""
    return [ctx.charge(resource, f"{body.get('instance_class')} hours{suffix}", "rds_instance", copies * ctx.hours,
                       sku=f"{engine}/{body.get('instance_class')}"),
            ctx.charge(resource, f"{storage:g} GB {storage_type}{suffix}", f"rds_storage_{storage_type}",
                       copies * storage)]


@rule("aws_elasticache_replication_group")
def replication_group(resource: Resource, ctx: PricingContext) -> list[Charge]:
    body = resource.body
    if body.get("num_cache_clusters") is not None:
        nodes = number(body["num_cache_clusters"], "num_cache_clusters")
    else:
        shards = number(body.get("num_node_groups", 1), "num_node_groups")
        nodes = shards * (1 + number(body.get("replicas_per_node_group", 0), "replicas_per_node_group"))
    engine = body.get("engine", "redis")
    return [ctx.charge(resource, f"{nodes:g} x {body.get('node_type')} nodes", "elasticache_node", nodes * ctx.hours,
                       sku=f"{engine}/{body.get('node_type')}")]


@rule("aws_elasticache_cluster")
def cache_cluster(resource: Resource, ctx: PricingContext) -> list[Charge]:
    nodes = number(resource.body.get("num_cache_nodes", 1), "num_cache_nodes")
    engine = resource.body.get("engine", "redis")
    return [ctx.charge(resource, f"{nodes:g} x {resource.body.get('node_type')} nodes", "elasticache_node",
                       nodes * ctx.hours, sku=f"{engine}/{resource.body.get('node_type')}")]


@rule("aws_dynamodb_table")
def dynamodb_table(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if resource.body.get("billing_mode", "PROVISIONED") != "PAY_PER_REQUEST":
        raise Unpriced("provisioned capacity is not in the catalogue")
    millions = ctx.usage.requests_per_month / 1e6
    return [ctx.charge(resource, f"{millions:g}M writes (assumed)", "dynamodb_write", millions),
            ctx.charge(resource, f"{millions:g}M reads (assumed)", "dynamodb_read", millions),
            ctx.charge(resource, f"{ctx.usage.storage_gb:g} GB stored (assumed)", "dynamodb_storage",
                       ctx.usage.storage_gb)]


@rule("aws_sqs_queue")
def sqs_queue(resource: Resource, ctx: PricingContext) -> list[Charge]:
    fifo = resource.body.get("fifo_queue") in (True, "true")
    millions = ctx.usage.requests_per_month / 1e6
    return [ctx.charge(resource, f"{millions:g}M requests (assumed)", "sqs_fifo" if fifo else "sqs_standard", millions)]


@rule("aws_sns_topic")
def sns_topic(resource: Resource, ctx: PricingContext) -> list[Charge]:
    millions = ctx.usage.requests_per_month / 1e6
    return [ctx.charge(resource, f"{millions:g}M publishes (assumed)", "sns_publish", millions)]


@rule("aws_lambda_function")
def lambda_function(resource: Resource, ctx: PricingContext) -> list[Charge]:
    memory_gb = number(resource.body.get("memory_size", 128), "memory_size") / 1024
    arm = "arm64" in (resource.body.get("architectures") or [])
    invocations = ctx.usage.requests_per_month
    seconds = invocations * ctx.usage.function_duration_ms / 1000
    return [ctx.charge(resource, f"{invocations / 1e6:g}M invocations (assumed)", "lambda_requests", invocations / 1e6),
            ctx.charge(resource, f"{seconds:g} s x {memory_gb:g} GB", "lambda_compute_arm" if arm else
                       "lambda_compute_x86", seconds * memory_gb)]


@rule("aws_cloudfront_distribution")
def cloudfront(resource: Resource, ctx: PricingContext) -> list[Charge]:
    millions = ctx.usage.requests_per_month / 1e6
    return [ctx.charge(resource, f"{ctx.usage.data_transfer_gb:g} GB out (assumed)", "cloudfront_data_out",
                       ctx.usage.data_transfer_gb, region="global"),
            ctx.charge(resource, f"{millions:g}M HTTPS requests (assumed)", "cloudfront_requests", millions,
                       region="global")]


@rule("aws_wafv2_web_acl")
def web_acl(resource: Resource, ctx: PricingContext) -> list[Charge]:
    rules = resource.body.get("rule") or []
    rules = [rules] if isinstance(rules, dict) else rules
    millions = ctx.usage.requests_per_month / 1e6
    return [ctx.charge(resource, "web ACL", "waf_web_acl", 1, region="global"),
            ctx.charge(resource, f"{len(rules)} rule(s)", "waf_rule", len(rules), region="global"),
            ctx.charge(resource, f"{millions:g}M requests (assumed)", "waf_requests", millions, region="global")]


# Types billed flat: per hour they exist, per month, or per unit of assumed usage.
flat_rule("aws_nat_gateway",
          Flat("NAT gateway hours", "nat_gateway_hour", per="hour"),
          Flat("GB processed (assumed)", "nat_gateway_data", per="data_transfer_gb"))
flat_rule("aws_eip", Flat("public IPv4 address hours", "public_ipv4", per="hour"))
flat_rule("aws_eks_cluster", Flat("EKS control plane hours", "eks_cluster", per="hour"))
flat_rule("aws_s3_bucket", Flat("GB stored (assumed)", "s3_standard", per="storage_gb"))
flat_rule("aws_kms_key", Flat("customer managed key", "kms_key"))
flat_rule("aws_cloudwatch_log_group", Flat("GB ingested (assumed)", "cloudwatch_logs_ingest", per="log_ingest_gb"))
flat_rule("aws_cloudwatch_metric_alarm", Flat("standard-resolution alarm", "cloudwatch_alarm"))
