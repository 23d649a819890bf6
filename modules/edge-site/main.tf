terraform {
  required_providers {
    kubernetes = {
      source = "hashicorp/kubernetes"
    }
  }
}

locals {
  namespace = "edge-${replace(var.site_name, "_", "-")}"
  labels = merge(var.labels, {
    "app.kubernetes.io/managed-by" = "nexus"
    "nexus.dev/edge-site"          = var.site_name
    "nexus.dev/update-strategy"    = var.update_strategy
  })
}

resource "kubernetes_namespace_v1" "site" {
  metadata {
    name   = local.namespace
    labels = local.labels
  }
}

resource "kubernetes_resource_quota_v1" "site" {
  metadata {
    name      = "site-quota"
    namespace = kubernetes_namespace_v1.site.metadata[0].name
    labels    = local.labels
  }
  spec {
    hard = {
      "requests.cpu"    = var.cpu_quota
      "requests.memory" = var.memory_quota
      pods              = tostring(var.max_pods)
    }
  }
}

resource "kubernetes_network_policy_v1" "default_deny" {
  metadata {
    name      = "default-deny"
    namespace = kubernetes_namespace_v1.site.metadata[0].name
    labels    = local.labels
  }
  spec {
    pod_selector {}
    policy_types = var.allow_internet_egress ? ["Ingress"] : ["Ingress", "Egress"]
  }
}

resource "kubernetes_service_account_v1" "workloads" {
  metadata {
    name      = "site-workloads"
    namespace = kubernetes_namespace_v1.site.metadata[0].name
    labels    = local.labels
  }
  automount_service_account_token = false
}

resource "kubernetes_config_map_v1" "site" {
  metadata {
    name      = "nexus-site"
    namespace = kubernetes_namespace_v1.site.metadata[0].name
    labels    = local.labels
  }
  data = {
    site_name       = var.site_name
    update_strategy = var.update_strategy
    registry_mirror = var.registry_mirror
  }
}
