"""Pricing rules for the Azure resource types Nexus components create (and common hand-written ones)."""
from __future__ import annotations

from .pricing import Charge, Flat, PricingContext, Unpriced, block, flat_rule, memory_gib, number, rule
from ..inventory.resources import Resource


@rule("azurerm_container_app")
def container_app(resource: Resource, ctx: PricingContext) -> list[Charge]:
    template = block(resource.body.get("template"))
    replicas = number(template.get("min_replicas", 0), "min_replicas")
    containers = template.get("container") or []
    containers = [containers] if isinstance(containers, dict) else containers
    vcpus = sum(number(block(c).get("cpu"), "container cpu") for c in containers)
    memory = sum(memory_gib(block(c).get("memory"), "container memory") for c in containers)
    return [ctx.charge(resource, f"{replicas:g} replica(s) x {vcpus:g} vCPU", "container_apps_vcpu",
                       replicas * vcpus * ctx.hours),
            ctx.charge(resource, f"{replicas:g} replica(s) x {memory:g} GiB", "container_apps_memory",
                       replicas * memory * ctx.hours)]


@rule("azurerm_linux_virtual_machine_scale_set", "azurerm_windows_virtual_machine_scale_set")
def scale_set(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if resource.type.startswith("azurerm_windows"):
        raise Unpriced("Windows licences are not in the catalogue")
    count = number(resource.body.get("instances", 0), "instances")
    sku = resource.body.get("sku")
    return [ctx.charge(resource, f"{count:g} x {sku} (OS disks not estimated)", "vm", count * ctx.hours, sku=sku)]


@rule("azurerm_linux_virtual_machine")
def virtual_machine(resource: Resource, ctx: PricingContext) -> list[Charge]:
    size = resource.body.get("size")
    return [ctx.charge(resource, f"{size} hours (OS disk not estimated)", "vm", ctx.hours, sku=size)]


@rule("azurerm_kubernetes_cluster")
def aks(resource: Resource, ctx: PricingContext) -> list[Charge]:
    pool = block(resource.body.get("default_node_pool"))
    nodes = number(pool.get("min_count") if pool.get("min_count") is not None else pool.get("node_count", 1),
                   "default_node_pool.min_count")
    charges = [ctx.charge(resource, f"{nodes:g} x {pool.get('vm_size')} nodes", "vm", nodes * ctx.hours,
                          sku=pool.get("vm_size"))]
    if resource.body.get("sku_tier", "Free") in ("Standard", "Premium"):
        charges.append(ctx.charge(resource, "Standard tier cluster hours", "aks_standard_tier", ctx.hours))
    return charges


@rule("azurerm_kubernetes_cluster_node_pool")
def aks_node_pool(resource: Resource, ctx: PricingContext) -> list[Charge]:
    body = resource.body
    nodes = number(body.get("min_count") if body.get("min_count") is not None else body.get("node_count", 1),
                   "min_count")
    return [ctx.charge(resource, f"{nodes:g} x {body.get('vm_size')} nodes", "vm", nodes * ctx.hours,
                       sku=body.get("vm_size"))]


def _flexible_server(resource: Resource, ctx: PricingContext, key: str, storage_gb: float) -> list[Charge]:
    copies = 2 if block(resource.body.get("high_availability")).get("mode") else 1
    suffix = " (HA: two copies)" if copies == 2 else ""
    sku = resource.body.get("sku_name")
    return [ctx.charge(resource, f"{sku} hours{suffix}", key, copies * ctx.hours, sku=sku),
            ctx.charge(resource, f"{storage_gb:g} GB storage{suffix}", "database_storage", copies * storage_gb)]


@rule("azurerm_postgresql_flexible_server")
def postgres(resource: Resource, ctx: PricingContext) -> list[Charge]:
    storage = number(resource.body.get("storage_mb", 32768), "storage_mb") / 1024
    return _flexible_server(resource, ctx, "postgres_flexible", storage)


@rule("azurerm_mysql_flexible_server")
def mysql(resource: Resource, ctx: PricingContext) -> list[Charge]:
    storage = number(block(resource.body.get("storage")).get("size_gb", 20), "storage.size_gb")
    return _flexible_server(resource, ctx, "mysql_flexible", storage)


@rule("azurerm_redis_cache")
def redis(resource: Resource, ctx: PricingContext) -> list[Charge]:
    body = resource.body
    sku = f"{body.get('sku_name')}/{body.get('family')}{body.get('capacity')}"
    nodes = 1.0
    if body.get("sku_name") == "Premium":
        shards = number(body.get("shard_count", 1), "shard_count")
        replicas = number(body.get("replicas_per_master", 1), "replicas_per_master")
        nodes = shards * (1 + replicas) / 2      # the Premium price is per shard with one replica
    return [ctx.charge(resource, f"{sku} x {nodes:g}", "redis_cache", nodes * ctx.hours, sku=sku)]


MANAGED_REDIS_PRICES = "https://azure.microsoft.com/pricing/details/managed-redis/"


@rule("azurerm_managed_redis")
def managed_redis(resource: Resource, ctx: PricingContext) -> list[Charge]:
    # No dated list price per Balanced SKU and region could be read from the pricing page yet: better no figure
    # than a guessed one.
    raise Unpriced(f"Azure Managed Redis ({resource.body.get('sku_name')}) list prices are not in the catalogue "
                   f"yet; see {MANAGED_REDIS_PRICES}")


@rule("azurerm_storage_account")
def storage_account(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if resource.body.get("account_tier", "Standard") != "Standard":
        raise Unpriced("Premium storage accounts are not in the catalogue")
    replication = resource.body.get("account_replication_type", "LRS")
    return [ctx.charge(resource, f"{ctx.usage.storage_gb:g} GB hot {replication} (assumed)", "blob_hot",
                       ctx.usage.storage_gb, sku=replication)]


@rule("azurerm_servicebus_namespace")
def servicebus(resource: Resource, ctx: PricingContext) -> list[Charge]:
    sku = resource.body.get("sku", "Standard")
    if sku == "Basic":
        raise Unpriced("Basic namespaces bill operations only, which are not in the catalogue")
    units = number(resource.body.get("capacity", 1), "capacity") if sku == "Premium" else 1
    return [ctx.charge(resource, f"{sku} namespace x {units:g}", "servicebus_namespace", units * ctx.hours, sku=sku)]


@rule("azurerm_linux_function_app", "azurerm_windows_function_app")
def function_app(resource: Resource, ctx: PricingContext) -> list[Charge]:
    plan = ctx.referenced(resource, resource.body.get("service_plan_id"))
    if plan is None or plan.body.get("sku_name") != "Y1":
        raise Unpriced("only the consumption (Y1) plan is in the catalogue")
    invocations = ctx.usage.requests_per_month
    gb_seconds = invocations * ctx.usage.function_duration_ms / 1000 * 0.128   # billed at 128 MB minimum
    return [ctx.charge(resource, f"{invocations / 1e6:g}M executions (assumed)", "functions_executions",
                       invocations / 1e6),
            ctx.charge(resource, f"{gb_seconds:g} GB-s at 128 MB", "functions_compute", gb_seconds)]


@rule("azurerm_service_plan")
def service_plan(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if resource.body.get("sku_name") != "Y1":
        raise Unpriced(f"App Service plan {resource.body.get('sku_name')} is not in the catalogue")
    return []


@rule("azurerm_cdn_frontdoor_profile")
def front_door(resource: Resource, ctx: PricingContext) -> list[Charge]:
    sku = resource.body.get("sku_name")
    return [ctx.charge(resource, f"{sku} base fee", "front_door_base", 1, sku=sku, region="global"),
            ctx.charge(resource, f"{ctx.usage.data_transfer_gb:g} GB to clients (assumed)", "front_door_egress",
                       ctx.usage.data_transfer_gb, region="global")]


@rule("azurerm_public_ip")
def public_ip(resource: Resource, ctx: PricingContext) -> list[Charge]:
    if resource.body.get("sku", "Standard") != "Standard":
        raise Unpriced("Basic public IPs are retired and not in the catalogue")
    return [ctx.charge(resource, "static IPv4 hours", "public_ip_standard", ctx.hours)]


# Types billed flat: per hour they exist, per month, or per unit of assumed usage.
flat_rule("azurerm_nat_gateway",
          Flat("NAT gateway hours", "nat_gateway_hour", per="hour"),
          Flat("GB processed (assumed)", "nat_gateway_data", per="data_transfer_gb"))
flat_rule("azurerm_log_analytics_workspace",
          Flat("GB ingested (assumed)", "log_analytics_ingest", per="log_ingest_gb"))
flat_rule("azurerm_private_endpoint", Flat("private endpoint hours", "private_endpoint", per="hour"))
flat_rule("azurerm_private_dns_zone", Flat("hosted zone", "private_dns_zone", region="global"))
