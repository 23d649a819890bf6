variable "site_name" {
  description = "Edge location name; becomes the namespace suffix and a label on everything."
  type        = string
}

variable "update_strategy" {
  description = "How workloads at this site receive updates: air_gapped (from a local registry mirror), rolling or manual."
  type        = string
  default     = "rolling"

  validation {
    condition     = contains(["air_gapped", "rolling", "manual"], var.update_strategy)
    error_message = "update_strategy must be air_gapped, rolling or manual."
  }
}

variable "labels" {
  description = "Labels applied to every object of the site."
  type        = map(string)
  default     = {}
}

variable "registry_mirror" {
  description = "Registry the site pulls images from; required in practice for air-gapped sites."
  type        = string
  default     = "registry.local:5000"
}

variable "cpu_quota" {
  description = "Total CPU the site's workloads may request."
  type        = string
  default     = "8"
}

variable "memory_quota" {
  description = "Total memory the site's workloads may request."
  type        = string
  default     = "16Gi"
}

variable "max_pods" {
  description = "Upper bound on pods in the site namespace."
  type        = number
  default     = 50
}

variable "allow_internet_egress" {
  description = "Let workloads reach the internet. Off by default; air-gapped sites should keep it off."
  type        = bool
  default     = false
}
