"""Drift: what changed outside Terraform, which spec line it breaks, and the reviewed way back (revert or adopt)."""
from .changes import AttributeDrift, ResourceDrift, drift_in_plan

__all__ = ["AttributeDrift", "ResourceDrift", "drift_in_plan"]
