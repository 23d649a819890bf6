output "namespace" {
  description = "Namespace that holds the site's workloads."
  value       = kubernetes_namespace_v1.site.metadata[0].name
}

output "service_account" {
  description = "Service account workloads at the site run as (no token automount)."
  value       = kubernetes_service_account_v1.workloads.metadata[0].name
}

output "update_strategy" {
  description = "The update strategy recorded for the site's bundle step."
  value       = var.update_strategy
}
