"""Disaster recovery: which data a spec's `dr:` protects, in which region and mode, what each mode can promise
(RPO/RTO), the standby copy of a stack in the recovery region, and the runbook synth writes to nexus.json."""
from .targets import DrTarget, primary_region, standby_target, target_for, targets_on

__all__ = ["DrTarget", "primary_region", "standby_target", "target_for", "targets_on"]
