"""Notes that name the spec setting which resolves findings no fix can write, because the value is the user's own
(a certificate ARN): printed with the report, so a finding says what to set rather than only what is wrong."""
from __future__ import annotations

from ..spec import model
from ..spec.loader import LoadedSpec
from .findings import Finding

# A public load balancer without a certificate listens on plain HTTP port 80: these checks then fail on it.
PLAIN_HTTP_CHECKS = frozenset({"CKV_AWS_2", "CKV2_AWS_20", "CKV_AWS_103", "CKV_AWS_378", "CKV_AWS_260"})


def certificate_notes(findings: list[Finding], loaded: LoadedSpec | None) -> list[str]:
    """One note per service without `certificate:` whose plain-HTTP findings are not suppressed: a public one is
    told to set one, or to go private (the unsafe fix of CKV_AWS_260); a private one still listens on HTTP inside
    its network, which `public: false` cannot change."""
    if loaded is None:
        return []
    checks_of: dict[str, set[str]] = {}
    for finding in findings:
        if finding.check_id in PLAIN_HTTP_CHECKS and finding.component and not finding.suppressed:
            checks_of.setdefault(finding.component, set()).add(finding.check_id)
    notes = []
    for name, checks in sorted(checks_of.items()):
        component = loaded.spec.components.get(name)
        if not isinstance(component, model.Service) or component.certificate:
            continue
        listed = ", ".join(sorted(checks))
        if component.public:
            notes.append(f"components.{name}: a public service without `certificate:` serves plain HTTP ({listed}); "
                         "set `certificate: <ACM certificate ARN>` on it "
                         "(e.g. arn:aws:acm:<region>:<account>:certificate/<id>) to serve HTTPS, or, if it need not "
                         "be reachable from the internet, `public: false` (unsafe: `nexus check --fix --unsafe-fixes`)")
        else:
            notes.append(f"components.{name}: a private service without `certificate:` serves plain HTTP inside its "
                         f"network ({listed}); set `certificate:` (e.g. from a private CA) to serve HTTPS, or suppress "
                         "these checks with the reason under compliance.suppressions")
    return notes
