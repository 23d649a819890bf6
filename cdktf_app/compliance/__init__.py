"""Compliance: standards packs on checkov, normalized findings that point at spec lines, and fixes that edit
the spec. `check(target)` scans; `fix(spec)` remediates; both share one warm checkov worker (or a CheckovPool,
which scans stacks at once and skips unchanged ones) when given one."""
from .checkov import CheckovWorker
from .checkov_pool import CheckovPool
from .findings import CheckReport, Finding
from .packs import SEVERITIES
from .remediate import FixResult, fix
from .scan import check

__all__ = ["SEVERITIES", "CheckReport", "CheckovPool", "CheckovWorker", "Finding", "FixResult", "check", "fix"]
