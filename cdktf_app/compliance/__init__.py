"""Compliance: standards packs on checkov, normalized findings that point at spec lines, and fixes that edit
the spec. `check(target)` scans; `fix(spec)` remediates; both share one warm checkov worker when given one."""
from .checkov import CheckovWorker
from .findings import CheckReport, Finding
from .packs import SEVERITIES
from .remediate import FixResult, fix
from .scan import check

__all__ = ["SEVERITIES", "CheckReport", "CheckovWorker", "Finding", "FixResult", "check", "fix"]
