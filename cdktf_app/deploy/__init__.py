"""Plan, deploy and destroy with the real terraform binary: ordered stacks, gate, state backups, healing."""
from .gate import GateBlocked, GateResult
from .orchestrator import DeployFailed, DeployOptions, Reporter, project_state_dir, run
from .plan_summary import PlanSummary, summarize_plan

__all__ = ["DeployFailed", "DeployOptions", "GateBlocked", "GateResult", "PlanSummary", "Reporter",
           "project_state_dir", "run", "summarize_plan"]
