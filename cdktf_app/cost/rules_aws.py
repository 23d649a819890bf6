"""Pricing rules for the AWS resource types Nexus components create (and the common ones others write)."""
from __future__ import annotations

import re
from datetime import date

from .pricing import Charge, Flat, PricingContext, Unpriced, block, flat_rule, number, rule
from ..inventory.resources import Resource

# What one capacity unit buys per hour, by load balancer type; a load balancer is billed the units of its largest
# dimension (https://aws.amazon.com/elasticloadbalancing/pricing/). Connections are held open up to the idle
# timeout (60 s for an ALB, 350 s for an NLB's TCP flows), which is how active connections follow from new ones.
CAPACITY_UNIT = {
    "application": {"new connections per second": 25, "active connections per minute": 3000,
                    "GB processed per hour": 1, "rule evaluations per second": 1000},
    "network": {"new flows per second": 800, "active flows": 100_000, "GB processed per hour": 1},
}
IDLE_TIMEOUT_SECONDS = {"application": 60, "network": 350}
FREE_RULE_EVALUATIONS = 10          # per request, included in an ALB's price
LOAD_BALANCER_PRICES = {"application": ("alb_hour", "alb_lcu", "LCU"), "network": ("nlb_hour", "nlb_lcu", "NLCU")}

# RDS Extended Support: the day it starts for an engine major version (the day after standard support ends);
# years 1-2 and year 3 have their own rate. From https://aws.amazon.com/rds/mysql/pricing/ and
# https://aws.amazon.com/rds/postgresql/pricing/ (Extended Support sections) and the RDS release calendars.
EXTENDED_SUPPORT_FROM = {("mysql", "5.7"): date(2024, 3, 1), ("postgres", "11"): date(2024, 3, 1),
                         ("postgres", "12"): date(2025, 3, 1), ("postgres", "13"): date(2026, 3, 1),
                         ("mysql", "8.0"): date(2026, 8, 1)}
# The gp3 baseline RDS includes in the storage price for MySQL, MariaDB and PostgreSQL: (IOPS, MiB/s) below
# 400 GB and from 400 GB on (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Storage.html).
RDS_GP3_BASELINE = ((400, (3000, 125)), (float("inf"), (12000, 500)))
EBS_GP3_BASELINE = (3000, 125)
AURORA_FAMILY = {"aurora-mysql": "mysql", "aurora": "mysql", "aurora-postgresql": "postgresql"}
# Where CloudFront's viewers are assumed to be, by the region of the stack that serves them.
CLOUDFRONT_GEOGRAPHY = (("us-", "north-america"), ("ca-", "north-america"), ("eu-", "europe"),
                        ("ap-southeast-2", "australia"))


# The desired count of a release's second ECS service (cdktf_app.components.aws.service): its copies while the
# release variable gives it traffic, none otherwise.
RELEASE_COPIES = re.compile(r"\$\{var\.\w+_next_weight > 0 \? (\d+) : 0\}")


@rule("aws_ecs_service")
def ecs_service(resource: Resource, ctx: PricingContext) -> list[Charge]:
    body = resource.body
    if body.get("launch_type", "FARGATE") != "FARGATE" and not body.get("capacity_provider_strategy"):
        raise Unpriced("EC2 launch type: the instances are priced on their auto scaling group")
    task = ctx.referenced(resource, body.get("task_definition"))
    if task is None:
        raise Unpriced("its task definition is not in the configuration")
    vcpus = number(task.body.get("cpu"), "task cpu") / 1024
    memory_gb = number(task.body.get("memory"), "task memory") / 1024
    released = RELEASE_COPIES.fullmatch(str(body.get("desired_count", "")))
    if released:  # the new version of a canary or blue_green release: it runs only during release steps
        tasks, hours, when = float(released.group(1)), ctx.usage.release_hours_per_month, \
            f" during release steps ({ctx.usage.release_hours_per_month:g} h/month)"
    else:
        tasks, hours, when = number(body.get("desired_count", 1), "desired_count"), ctx.hours, ""
    return [ctx.charge(resource, f"{tasks:g} Fargate task(s) x {vcpus:g} vCPU{when}", "fargate_vcpu",
                       tasks * vcpus * hours),
            ctx.charge(resource, f"{tasks:g} Fargate task(s) x {memory_gb:g} GB{when}", "fargate_memory",
                       tasks * memory_gb * hours)]


@rule("aws_lb", "aws_alb")
def load_balancer(resource: Resource, ctx: PricingContext) -> list[Charge]:
    kind = resource.body.get("load_balancer_type", "application")
    if kind not in LOAD_BALANCER_PRICES:
        raise Unpriced(f"{kind} load balancers are not in the catalogue")
    hour_key, unit_key, unit = LOAD_BALANCER_PRICES[kind]
    if ctx.usage.load_balancer_lcu is not None:
        units, why = ctx.usage.load_balancer_lcu, "cost.load_balancer_lcu"
    else:
        units, dimension = capacity_units(kind, ctx, listener_rules(resource, ctx))
        why = f"largest dimension: {dimension}, from the usage assumed"
    return [ctx.charge(resource, "load balancer hours", hour_key, ctx.hours),
            ctx.charge(resource, f"{units:.3g} {unit} on average ({why})", unit_key, units * ctx.hours)]


def capacity_units(kind: str, ctx: PricingContext, rules: int = 0) -> tuple[float, str]:
    """The capacity units a load balancer of KIND uses on average, and the dimension that sets them: every
    request a new connection (keep-alive only lowers this), held open for the idle timeout; the bytes of
    data_transfer_gb; the listener rules beyond the free ten evaluated for every request."""
    per_second = ctx.usage.requests_per_month / (ctx.hours * 3600)
    held = per_second * IDLE_TIMEOUT_SECONDS[kind]
    used = {"application": {"new connections per second": per_second, "active connections per minute": held,
                            "GB processed per hour": ctx.usage.data_transfer_gb / ctx.hours,
                            "rule evaluations per second": per_second * max(0, rules - FREE_RULE_EVALUATIONS)},
            "network": {"new flows per second": per_second, "active flows": held,
                        "GB processed per hour": ctx.usage.data_transfer_gb / ctx.hours}}[kind]
    units = {dimension: amount / CAPACITY_UNIT[kind][dimension] for dimension, amount in used.items()}
    dimension = max(units, key=units.get)
    return units[dimension], dimension


def listener_rules(balancer: Resource, ctx: PricingContext) -> int:
    listeners = ctx.referring(balancer, "aws_lb_listener") + ctx.referring(balancer, "aws_alb_listener")
    return sum(len(ctx.referring(listener, "aws_lb_listener_rule")) for listener in listeners)


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
            charges += provisioned_performance(resource, ctx, ebs, "throughput", EBS_GP3_BASELINE, "ebs_gp3", count)
    return charges


def provisioned_performance(resource: Resource, ctx: PricingContext, settings: dict, throughput: str,
                            baseline: tuple[float, float], prefix: str, copies: float) -> list[Charge]:
    """The IOPS and throughput set above the gp3 baseline that the storage price includes."""
    charges = []
    for setting, included, key, unit in (("iops", baseline[0], f"{prefix}_iops", "IOPS"),
                                         (throughput, baseline[1], f"{prefix}_throughput", "MiB/s")):
        if settings.get(setting) is None:
            continue
        above = number(settings[setting], setting) - included
        if above > 0:
            charges.append(ctx.charge(resource, f"{copies:g} x {above:g} {unit} above the {included:g} {unit} "
                                                f"gp3 baseline", key, copies * above))
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
    engine = str(body.get("engine", ""))
    if engine in AURORA_FAMILY:
        return aurora_instance(resource, ctx)      # storage and I/O are billed on its cluster
    instance_class = str(body.get("instance_class"))
    copies = 2 if body.get("multi_az") in (True, "true") else 1
    storage = number(body.get("allocated_storage"), "allocated_storage")
    storage_type = body.get("storage_type", "gp2")
    suffix = " (Multi-AZ: two copies)" if copies == 2 else ""
    charges = [ctx.charge(resource, f"{instance_class} hours{suffix}", "rds_instance", copies * ctx.hours,
                          sku=f"{engine}/{instance_class}"),
               ctx.charge(resource, f"{storage:g} GB {storage_type}{suffix}", f"rds_storage_{storage_type}",
                          copies * storage)]
    if storage_type == "gp3":
        baseline = next(included for limit, included in RDS_GP3_BASELINE if storage < limit)
        charges += provisioned_performance(resource, ctx, body, "storage_throughput", baseline, "rds_gp3", copies)
    elif storage_type == "io1":
        iops = number(body.get("iops"), "iops")
        charges.append(ctx.charge(resource, f"{iops:g} provisioned IOPS{suffix}", "rds_io1_iops", copies * iops))
    return charges + extended_support(resource, ctx, engine, instance_class, copies)


def extended_support(resource: Resource, ctx: PricingContext, engine: str, instance_class: str,
                     copies: int) -> list[Charge]:
    """RDS Extended Support for an engine major version past its standard support, per vCPU-hour: the rate of
    years 1-2 or of year 3, on the day of the estimate. None when it is turned off (the engine is then upgraded
    when standard support ends)."""
    if resource.body.get("engine_lifecycle_support") == "open-source-rds-extended-support-disabled":
        return []
    version = str(resource.body.get("engine_version") or "")
    major = ".".join(version.split(".")[:2 if engine == "mysql" else 1])
    starts = EXTENDED_SUPPORT_FROM.get((engine, major))
    if starts is None or ctx.as_of < starts:
        return []
    year = "year3" if ctx.as_of >= starts.replace(year=starts.year + 2) else "year1-2"
    vcpus = instance_vcpus(instance_class)
    return [ctx.charge(resource, f"Extended Support for {engine} {major} ({year.replace('year', 'year ')}): "
                                 f"{copies * vcpus:g} vCPU", "rds_extended_support", copies * vcpus * ctx.hours,
                       sku=year)]


def instance_vcpus(instance_class: str) -> int:
    """vCPUs of a db./cache. class by its size name: up to large 2, xlarge 4, Nxlarge 4N."""
    size = instance_class.rsplit(".", 1)[-1]
    if size in ("micro", "small", "medium", "large"):
        return 2
    match = re.fullmatch(r"(\d*)xlarge", size)
    if match is None:
        raise Unpriced(f"the vCPUs of instance class {instance_class} are not known")
    return 4 * int(match.group(1) or 1)


@rule("aws_rds_cluster_instance")
def aurora_instance(resource: Resource, ctx: PricingContext) -> list[Charge]:
    body = resource.body
    family = AURORA_FAMILY.get(str(body.get("engine")))
    if family is None:
        raise Unpriced(f"engine {body.get('engine')!r} is not an Aurora engine in the catalogue")
    instance_class = str(body.get("instance_class"))
    if instance_class == "db.serverless":
        raise Unpriced("Aurora Serverless v2 capacity (ACU-hours) is not in the catalogue")
    cluster = ctx.referenced(resource, body.get("cluster_identifier"))
    optimized = cluster is not None and cluster.body.get("storage_type") == "aurora-iopt1"
    key, kind = ("aurora_instance_io_optimized", " I/O-Optimized") if optimized else ("aurora_instance", "")
    return [ctx.charge(resource, f"{instance_class} Aurora{kind} hours", key, ctx.hours,
                       sku=f"{family}/{instance_class}")]


@rule("aws_rds_cluster")
def aurora_cluster(resource: Resource, ctx: PricingContext) -> list[Charge]:
    """An Aurora cluster bills its storage and, on Aurora Standard, its I/O; its instances bill their hours."""
    body = resource.body
    if body.get("engine", "aurora") not in AURORA_FAMILY:
        raise Unpriced("Multi-AZ DB clusters (non-Aurora) are not in the catalogue")
    if body.get("engine_mode", "provisioned") != "provisioned":
        raise Unpriced(f"Aurora {body.get('engine_mode')} clusters are not in the catalogue")
    stored = f"{ctx.usage.storage_gb:g} GB stored (assumed)"
    if body.get("storage_type") == "aurora-iopt1":
        return [ctx.charge(resource, stored, "aurora_storage_io_optimized", ctx.usage.storage_gb)]
    millions = ctx.usage.database_io_per_month / 1e6
    return [ctx.charge(resource, stored, "aurora_storage", ctx.usage.storage_gb),
            ctx.charge(resource, f"{millions:g}M I/O requests (assumed)", "aurora_io", millions)]


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


@rule("aws_dynamodb_table_replica")
def dynamodb_table_replica(resource: Resource, ctx: PricingContext) -> list[Charge]:
    """A global table replica: every write is written again in its region (replicated write units), the data
    crosses regions, and the replica stores a copy."""
    millions = ctx.usage.requests_per_month / 1e6
    return [ctx.charge(resource, f"{millions:g}M replicated writes (assumed)", "dynamodb_replicated_write", millions),
            ctx.charge(resource, f"{millions:g}M reads (assumed)", "dynamodb_read", millions),
            ctx.charge(resource, f"{ctx.usage.storage_gb:g} GB stored (assumed)", "dynamodb_storage",
                       ctx.usage.storage_gb),
            ctx.charge(resource, f"{ctx.usage.data_transfer_gb:g} GB replicated across regions (assumed: "
                                 "cost.data_transfer_gb)", "data_transfer_inter_region", ctx.usage.data_transfer_gb)]


@rule("aws_s3_bucket_replication_configuration")
def s3_replication(resource: Resource, ctx: PricingContext) -> list[Charge]:
    """Objects copied to another region (the replica bucket's storage is priced on that bucket)."""
    gigabytes = ctx.usage.data_transfer_gb
    charges = [ctx.charge(resource, f"{gigabytes:g} GB replicated across regions (assumed: cost.data_transfer_gb)",
                          "data_transfer_inter_region", gigabytes)]
    if any(block(block(rule_).get("destination")).get("replication_time") for rule_ in resource.body.get("rule", [])):
        charges.append(ctx.charge(resource, f"{gigabytes:g} GB under Replication Time Control",
                                  "s3_replication_time_control", gigabytes))
    return charges


@rule("aws_backup_vault")
def backup_vault(resource: Resource, ctx: PricingContext) -> list[Charge]:
    return [ctx.charge(resource, f"{ctx.usage.storage_gb:g} GB of recovery points (assumed)", "backup_storage",
                       ctx.usage.storage_gb)]


@rule("aws_backup_plan")
def backup_plan(resource: Resource, ctx: PricingContext) -> list[Charge]:
    """Each copy of a recovery point to another region's vault crosses regions (its storage is the vault's)."""
    copies = sum(len(rule_.get("copy_action") or []) for rule_ in resource.body.get("rule", []))
    if not copies:
        return []
    return [ctx.charge(resource, f"{ctx.usage.storage_gb:g} GB of recovery points copied to another region "
                                 f"(assumed) x {copies}", "data_transfer_inter_region", ctx.usage.storage_gb * copies)]


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
    """Priced where the viewers are, assumed near the region of the stack that serves them."""
    region = ctx.region(resource)
    geography = next((name for prefix, name in CLOUDFRONT_GEOGRAPHY if region.startswith(prefix)), None)
    if geography is None:
        raise Unpriced(f"CloudFront prices for viewers near {region} are not in the catalogue")
    ctx.notes.append(f"{resource.stack} {resource.address}: CloudFront viewers assumed in {geography} "
                     f"(near {region})")
    millions = ctx.usage.requests_per_month / 1e6
    return [ctx.charge(resource, f"{ctx.usage.data_transfer_gb:g} GB out to {geography} (assumed)",
                       "cloudfront_data_out", ctx.usage.data_transfer_gb, sku=geography, region="global"),
            ctx.charge(resource, f"{millions:g}M HTTPS requests from {geography} (assumed)", "cloudfront_requests",
                       millions, sku=geography, region="global")]


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
