"""The compliance exceptions Nexus itself accepts: the suppressions its blueprints carry, with their reasons.

A generated spec may suppress a finding only where a blueprint suppresses the same check on the same kind of
component (same type, as public or private, with or without a certificate). The model's other suppressions are
removed; components the offline parser adds get the blueprints' exceptions for their kind.
"""
from __future__ import annotations

import fnmatch
from functools import lru_cache
from typing import Any

from ..blueprints.catalog import list_blueprints, render_blueprint
from ..compliance.packs import check_cloud
from ..spec.document import load_document

Shape = tuple[str, bool, bool]          # (component type, public, has a certificate)


def shape(component: dict) -> Shape:
    return (str(component.get("type")), bool(component.get("public", False)), bool(component.get("certificate")))


@lru_cache(maxsize=1)
def accepted_exceptions() -> dict[tuple[str, Shape], str]:
    """(check id, component shape) -> the reason a blueprint gives for suppressing it, written as it is there."""
    accepted: dict[tuple[str, Shape], str] = {}
    for blueprint in list_blueprints():
        data = load_document(render_blueprint(blueprint.name))
        components = data.get("components") or {}
        for suppression in (data.get("compliance") or {}).get("suppressions") or []:
            for name in matching(components, suppression.get("resource")):
                accepted.setdefault((suppression["check"], shape(components[name])), suppression["reason"])
    return accepted


def matching(components: dict, resource: Any) -> list[str]:
    """Component names a suppression's `resource` (a name or a glob like `*_cdn`) covers; none for addresses."""
    if not isinstance(resource, str):
        return []
    return [name for name in components if fnmatch.fnmatchcase(name, resource)]


def is_accepted(suppression: Any, components: dict) -> bool:
    if not isinstance(suppression, dict) or not isinstance(components, dict):
        return False
    names = matching(components, suppression.get("resource"))
    return bool(names) and all(isinstance(components[name], dict) and
                               (suppression.get("check"), shape(components[name])) in accepted_exceptions()
                               for name in names)


def exceptions_for(name: str, component: dict, clouds: list[str]) -> list[dict]:
    """The suppressions the blueprints give a component of this kind on these clouds, for a component added to
    or changed in a spec."""
    return [{"check": check, "resource": name, "reason": reason}
            for (check, kind), reason in accepted_exceptions().items()
            if kind == shape(component) and check_cloud(check) in clouds]
