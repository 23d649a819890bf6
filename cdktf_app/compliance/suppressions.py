"""Suppressions live in the spec (`compliance.suppressions`) with a mandatory reason and an optional expiry.

An expired suppression is an error, not a silent un-suppression: someone promised to revisit the finding.
"""
from __future__ import annotations

import datetime
import functools
from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Literal


from ..data_files import expected, read_data_file, validated
from ..dr.standby import STANDBY_SUFFIX
from ..dr.targets import satisfied_in_standby
from ..errors import DataFileError, SpecError
from ..paths import compliance_dir
from ..spec.loader import LoadedSpec
from ..spec.model import COMPONENT_TYPES, GLOB_CHARACTERS, Suppression
from .findings import Finding

EXEMPTIONS_FILE = "exemptions.yaml"


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


class Exemption(Suppression):
    """A built-in exemption; `component_type` narrows it to the plumbing of one kind of component, so that a
    resource glob cannot also cover a component the user happened to name alike."""

    component_type: Literal[COMPONENT_TYPES] | None = None  # type: ignore[valid-type]


def exempts(exemption: Exemption, finding: Finding, loaded: LoadedSpec | None) -> bool:
    if not matches(exemption, finding):
        return False
    if exemption.component_type is None:
        return True
    component = loaded.spec.components.get(finding.component) if loaded and finding.component else None
    return component is not None and component.type == exemption.component_type


def raise_if_expired(loaded: LoadedSpec | None, today: datetime.date | None = None) -> None:
    """Fail loudly (SpecError, exit 2) when a suppression has expired, before anything is scanned."""
    if loaded is None:
        return
    problems = list(expired_problems(loaded, today or datetime.date.today()))
    if problems:
        raise SpecError(problems)


@functools.lru_cache(maxsize=4)
def _exemptions(path: Path) -> tuple[Exemption, ...]:
    if not path.exists():
        return ()
    document = read_data_file(path)
    entries = document.data or []
    if not isinstance(entries, list):
        raise DataFileError(problems=[expected(document.source, (), "a list of exemptions", type(entries).__name__)])
    return tuple(validated(Exemption, entry, document.source, (index,)) for index, entry in enumerate(entries))


def built_in_exemptions() -> tuple[Exemption, ...]:
    """compliance/exemptions.yaml: findings on Nexus' own plumbing that the cloud makes unfixable."""
    return _exemptions(compliance_dir() / EXEMPTIONS_FILE)


def apply_suppressions(findings: list[Finding], loaded: LoadedSpec | None) -> list[Finding]:
    """Mark the findings a suppression in the spec, or a built-in exemption, covers."""
    declared = loaded.spec.compliance.suppressions if loaded else []
    exemptions = built_in_exemptions()
    recovered = satisfied_in_standby(loaded.spec) if loaded else {}
    marked = []
    for finding in findings:
        match = next((item for item in declared if matches(item, finding)), None)
        reason = match.reason if match else None
        if match is None:
            exemption = next((item for item in exemptions if exempts(item, finding, loaded)), None)
            reason = f"built-in exemption: {exemption.reason}" if exemption else None
        if reason is None and not (finding.stack or "").endswith(STANDBY_SUFFIX):
            covered = recovered.get((finding.check_id, finding.address))
            reason = f"dr: {covered}" if covered else None
        marked.append(replace(finding, suppressed=True, suppression_reason=reason) if reason else finding)
    return marked


def wildcard_notes(findings: list[Finding], loaded: LoadedSpec | None) -> list[str]:
    """Every wildcard suppression (allowed with allow_wildcard) is named in the report with what it covers."""
    if loaded is None:
        return []
    notes = []
    for index, suppression in enumerate(loaded.spec.compliance.suppressions):
        if any(character in suppression.check for character in GLOB_CHARACTERS):
            covered = sum(1 for finding in findings if finding.suppressed and matches(suppression, finding))
            notes.append(f"compliance.suppressions[{index}] is a wildcard (allow_wildcard: true): check "
                         f"{suppression.check!r}, resource {suppression.resource or '*'!r} covers {covered} "
                         "suppressed finding(s)")
    return notes
