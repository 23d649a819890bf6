"""Suppressions live in the spec (`compliance.suppressions`) with a mandatory reason and an optional expiry.

An expired suppression is an error, not a silent un-suppression: someone promised to revisit the finding.
"""
from __future__ import annotations

import datetime
from dataclasses import replace
from fnmatch import fnmatchcase

from ..errors import SpecError
from ..spec.loader import LoadedSpec
from ..spec.model import Suppression
from .findings import Finding


def expired_problems(loaded: LoadedSpec, today: datetime.date):
    for index, suppression in enumerate(loaded.spec.compliance.suppressions):
        if suppression.expires and datetime.date.fromisoformat(suppression.expires) < today:
            yield loaded.source.problem(
                ("compliance", "suppressions", index, "expires"),
                f"the suppression of {suppression.check} expired on {suppression.expires} "
                f"(reason given: {suppression.reason!r}); fix the finding, or renew the suppression with a new "
                "expiry date and reason")


def matches(suppression: Suppression, finding: Finding) -> bool:
    if not fnmatchcase(finding.check_id, suppression.check):
        return False
    if suppression.resource is None:
        return True
    candidates = {finding.address, finding.component, f"{finding.stack}/{finding.address}"}
    return any(candidate and fnmatchcase(candidate, suppression.resource) for candidate in candidates)


def raise_if_expired(loaded: LoadedSpec | None, today: datetime.date | None = None) -> None:
    """Fail loudly (SpecError, exit 2) when a suppression has expired, before anything is scanned."""
    if loaded is None:
        return
    problems = list(expired_problems(loaded, today or datetime.date.today()))
    if problems:
        raise SpecError(problems)


def apply_suppressions(findings: list[Finding], loaded: LoadedSpec | None) -> list[Finding]:
    """Mark the findings a suppression in the spec covers."""
    if loaded is None:
        return findings
    suppressions = loaded.spec.compliance.suppressions
    marked = []
    for finding in findings:
        match = next((item for item in suppressions if matches(item, finding)), None)
        marked.append(replace(finding, suppressed=True, suppression_reason=match.reason) if match else finding)
    return marked
