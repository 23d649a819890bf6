"""Drift: what changed outside Terraform, which spec line it breaks, and the reviewed way back (revert or adopt)."""
from .changes import AttributeDrift, ResourceDrift, drift_in_plan
from .detect import Detected, detect

__all__ = ["AttributeDrift", "Detected", "ResourceDrift", "detect", "drift_in_plan"]
