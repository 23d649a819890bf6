"""Pricing rules for the Google Cloud resource types Nexus components create (and common hand-written ones)."""
from __future__ import annotations

import re

from .pricing import Charge, Flat, PricingContext, Unpriced, block, flat_rule, memory_gib, number, rule
from ..inventory.resources import Resource

CUSTOM_TIER = re.compile(r"^db-custom-(\d+)-(\d+)$")
PERF_OPTIMIZED_TIER = re.compile(r"^db-perf-optimized-N-(\d+)$")     # Enterprise Plus: 8 GB memory per vCPU
CLOUD_SQL_EDITION = {"ENTERPRISE": ("cloud_sql", CUSTOM_TIER, "a custom (vCPU, memory)"),
                     "ENTERPRISE_PLUS": ("cloud_sql_plus", PERF_OPTIMIZED_TIER, "a db-perf-optimized-N-<vCPUs>")}
CLOUD_SQL_DISK = {"PD_SSD": ("cloud_sql_ssd", "SSD"), "PD_HDD": ("cloud_sql_hdd", "HDD")}
FORWARDING_RULES_IN_MINIMUM = 5
# Cloud Run functions' default CPU for a memory size (GiB -> vCPU), from the functions pricing page.
FUNCTION_CPU = ((0.125, 0.083), (0.25, 0.167), (0.5, 0.333), (1, 0.583), (2, 1.0), (4, 2.0), (8, 2.0), (16, 4.0))
REDIS_BANDS = ((4, "M1"), (10, "M2"), (35, "M3"), (100, "M4"))


@rule("google_cloud_run_v2_service")
def cloud_run(resource: Resource, ctx: PricingContext) -> list[Charge]:
    template = block(resource.body.get("template"))
    minimum = number(block(template.get("scaling")).get("min_instance_count", 0), "min_instance_count")
    limits = block(block(template.get("containers")).get("resources")).get("limits") or {}
    vcpus = number(limits.get("cpu", 1), "cpu limit")
    memory = memory_gib(limits.get("memory", "512Mi"), "memory limit")
    millions = ctx.usage.requests_per_month / 1e6
    return [ctx.charge(resource, f"{minimum:g} always-on instance(s) x {vcpus:g} vCPU", "cloud_run_vcpu",
                       minimum * vcpus * ctx.hours),
            ctx.charge(resource, f"{minimum:g} always-on instance(s) x {memory:g} GiB", "cloud_run_memory",
                       minimum * memory * ctx.hours),
            ctx.charge(resource, f"{millions:g}M requests (assumed)", "cloud_run_requests", millions)]


@rule("google_cloudfunctions2_function")
def cloud_function(resource: Resource, ctx: PricingContext) -> list[Charge]:
    service = block(resource.body.get("service_config"))
    memory = memory_gib(service.get("available_memory", "256Mi"), "available_memory")
    cpu = service.get("available_cpu")
    vcpus = number(cpu, "available_cpu") if cpu is not None else next(
        (cpus for limit, cpus in FUNCTION_CPU if memory <= limit), 4.0)
    invocations = ctx.usage.requests_per_month
    seconds = invocations * ctx.usage.function_duration_ms / 1000
    return [ctx.charge(resource, f"{invocations / 1e6:g}M invocations (assumed)", "cloud_run_requests",
                       invocations / 1e6),
            ctx.charge(resource, f"{seconds:g} s x {vcpus:g} vCPU", "functions_vcpu_seconds", seconds * vcpus),
            ctx.charge(resource, f"{seconds:g} s x {memory:g} GiB", "functions_memory_seconds", seconds * memory)]


@rule("google_compute_instance")
def compute_instance(resource: Resource, ctx: PricingContext) -> list[Charge]:
    machine = resource.body.get("machine_type")
    return [ctx.charge(resource, f"{machine} hours", "compute_instance", ctx.hours, sku=machine)]


@rule("google_compute_region_instance_group_manager", "google_compute_instance_group_manager")
def instance_group(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if resource.body.get("target_size") is not None:
        count = number(resource.body["target_size"], "target_size")
    else:
        autoscalers = ctx.referring(resource, "google_compute_region_autoscaler") + \
            ctx.referring(resource, "google_compute_autoscaler")
        if not autoscalers:
            raise Unpriced("neither target_size nor an autoscaler gives the instance count")
        count = number(block(autoscalers[0].body.get("autoscaling_policy")).get("min_replicas"), "min_replicas")
    template = ctx.referenced(resource, block(resource.body.get("version")).get("instance_template")) or \
        ctx.referenced(resource, resource.body.get("instance_template"))
    if template is None:
        raise Unpriced("its instance template is not in the configuration")
    machine = template.body.get("machine_type")
    charges = [ctx.charge(resource, f"{count:g} x {machine}", "compute_instance", count * ctx.hours, sku=machine)]
    for disk in template.body.get("disk") or []:
        if block(disk).get("disk_size_gb") is not None:
            size = number(block(disk)["disk_size_gb"], "disk_size_gb")
            charges.append(ctx.charge(resource, f"{count:g} x {size:g} GB balanced disk", "pd_balanced", count * size))
    return charges


@rule("google_container_cluster")
def gke_cluster(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if resource.body.get("enable_autopilot") in (True, "true"):
        raise Unpriced("Autopilot bills pods, which are not in the configuration")
    return [ctx.charge(resource, "cluster management hours", "gke_cluster", ctx.hours)]


@rule("google_container_node_pool")
def node_pool(resource: Resource, ctx: PricingContext) -> list[Charge]:
    scaling = block(resource.body.get("autoscaling"))
    if "total_min_node_count" in scaling:
        nodes = number(scaling["total_min_node_count"], "total_min_node_count")
    elif resource.body.get("node_count") is not None:
        nodes = number(resource.body["node_count"], "node_count")
    else:
        nodes = number(scaling.get("min_node_count", resource.body.get("initial_node_count")), "node count")
    machine = block(resource.body.get("node_config")).get("machine_type", "e2-medium")
    return [ctx.charge(resource, f"{nodes:g} x {machine} nodes", "compute_instance", nodes * ctx.hours, sku=machine)]


@rule("google_sql_database_instance")
def cloud_sql(resource: Resource, ctx: PricingContext) -> list[Charge]:
    settings = block(resource.body.get("settings"))
    edition = str(settings.get("edition") or "ENTERPRISE")
    if edition not in CLOUD_SQL_EDITION:
        raise Unpriced(f"Cloud SQL edition '{edition}' is not in the catalogue")
    prefix, tier_pattern, tier_kind = CLOUD_SQL_EDITION[edition]
    tier = tier_pattern.match(str(settings.get("tier", "")))
    if not tier:
        raise Unpriced(f"tier '{settings.get('tier')}' is not {tier_kind} tier of the {edition} edition")
    vcpus = int(tier.group(1))
    memory_gb = int(tier.group(2)) / 1024 if edition == "ENTERPRISE" else 8 * vcpus
    disk_type = str(settings.get("disk_type") or "PD_SSD")
    if disk_type not in CLOUD_SQL_DISK:
        raise Unpriced(f"Cloud SQL disk type '{disk_type}' is not in the catalogue")
    disk_key, disk_name = CLOUD_SQL_DISK[disk_type]
    copies = 2 if settings.get("availability_type") == "REGIONAL" else 1
    disk = number(settings.get("disk_size", 10), "disk_size")
    suffix = " (regional HA: two copies)" if copies == 2 else ""
    name = edition.replace("_", " ").title()
    return [ctx.charge(resource, f"{vcpus} vCPU {name}{suffix}", f"{prefix}_vcpu", copies * vcpus * ctx.hours),
            ctx.charge(resource, f"{memory_gb:g} GB memory {name}{suffix}", f"{prefix}_memory",
                       copies * memory_gb * ctx.hours),
            ctx.charge(resource, f"{disk:g} GB {disk_name}{suffix}", disk_key, copies * disk)]


@rule("google_compute_global_forwarding_rule", "google_compute_forwarding_rule")
def forwarding_rule(resource: Resource, ctx: PricingContext) -> list[Charge]:
    """Forwarding rules are billed per project and region (here: per stack): the first five together at one
    hourly price, shared by the rules that use it, each further rule at its own. The rules of one load balancer
    on one IP address (HTTP and HTTPS) count once."""
    region = "global" if resource.type == "google_compute_global_forwarding_rule" else ctx.region(resource)
    groups = forwarding_rule_groups(resource, ctx)
    group = next(members for members in groups if resource.address in members)
    if group[0] != resource.address:
        return [ctx.charge(resource, f"counted once with {group[0]} (same IP address)",
                           "forwarding_rules_first_five", 0, region=region)]
    position, sharing = groups.index(group), min(len(groups), FORWARDING_RULES_IN_MINIMUM)
    if position >= FORWARDING_RULES_IN_MINIMUM:
        return [ctx.charge(resource, f"forwarding rule beyond the first {FORWARDING_RULES_IN_MINIMUM}",
                           "forwarding_rule_additional", ctx.hours, region=region)]
    return [ctx.charge(resource, f"1/{sharing} of the first {FORWARDING_RULES_IN_MINIMUM} rules' price "
                                 f"({len(groups)} counted in {region})", "forwarding_rules_first_five",
                       ctx.hours / sharing, region=region)]


def forwarding_rule_groups(resource: Resource, ctx: PricingContext) -> list[list[str]]:
    """The forwarding rules counted together with this one (same stack, type and region), in address order;
    those on one IP address as one group."""
    region = ctx.region(resource)
    groups: dict[str, list[str]] = {}
    for other in sorted(ctx.inventory.resources, key=lambda item: item.address):
        if other.stack == resource.stack and other.type == resource.type and other.mode == "managed" and \
                ctx.region(other) == region:
            groups.setdefault(str(other.body.get("ip_address") or other.address), []).append(other.address)
    return list(groups.values())


@rule("google_redis_instance")
def redis(resource: Resource, ctx: PricingContext) -> list[Charge]:
    size = number(resource.body.get("memory_size_gb"), "memory_size_gb")
    tier = resource.body.get("tier", "BASIC")
    band = next((name for limit, name in REDIS_BANDS if size <= limit), "M5")
    return [ctx.charge(resource, f"{size:g} GB {tier} ({band})", "memorystore_redis", size * ctx.hours,
                       sku=f"{tier}/{band}")]


@rule("google_storage_bucket")
def bucket(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if str(resource.body.get("storage_class", "STANDARD")).upper() != "STANDARD":
        raise Unpriced(f"storage class {resource.body.get('storage_class')} is not in the catalogue")
    return [ctx.charge(resource, f"{ctx.usage.storage_gb:g} GB stored (assumed)", "gcs_standard",
                       ctx.usage.storage_gb)]


@rule("google_pubsub_topic")
def pubsub_topic(resource: Resource, ctx: PricingContext) -> list[Charge]:
    tib = ctx.usage.requests_per_month * 1000 / 2**40
    return [ctx.charge(resource, f"{ctx.usage.requests_per_month / 1e6:g}M messages of 1 KB (assumed)",
                       "pubsub_throughput", tib)]


@rule("google_compute_security_policy")
def security_policy(resource: Resource, ctx: PricingContext) -> list[Charge]:
    rules = resource.body.get("rule") or []
    rules = [rules] if isinstance(rules, dict) else rules
    return [ctx.charge(resource, "policy", "cloud_armor_policy", 1, region="global"),
            ctx.charge(resource, f"{len(rules)} rule(s)", "cloud_armor_rule", len(rules), region="global")]


@rule("google_firestore_database")
def firestore(resource: Resource, ctx: PricingContext) -> list[Charge]:
    region = resource.body.get("location_id")
    region = region if isinstance(region, str) and "${" not in region else None
    millions = ctx.usage.requests_per_month / 1e6
    return [ctx.charge(resource, f"{millions:g}M reads (assumed)", "firestore_reads", millions, region=region),
            ctx.charge(resource, f"{millions:g}M writes (assumed)", "firestore_writes", millions, region=region),
            ctx.charge(resource, f"{ctx.usage.storage_gb:g} GB stored (assumed)", "firestore_storage",
                       ctx.usage.storage_gb, region=region)]


# Types billed flat: per hour they exist, per month, or per unit of assumed usage.
flat_rule("google_compute_router_nat",
          Flat("GB processed (assumed; per-VM uptime not estimated)", "cloud_nat_data", per="data_transfer_gb"))
flat_rule("google_kms_crypto_key", Flat("one active key version", "kms_key_version"))
flat_rule("google_bigquery_dataset",
          Flat("GB active storage (assumed)", "bigquery_storage", per="storage_gb"),
          Flat("TiB scanned (assumed)", "bigquery_queries", per="warehouse_scanned_tib"))
