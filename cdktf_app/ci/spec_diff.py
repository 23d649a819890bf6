"""What a change does in the user's own words: base spec vs head spec, each change with the spec line it is on.

Components added or removed, settings changed (one entry per changed key), suppressions and overrides added or
removed, standards, environments and the gate changed. A removed thing points at its line in the base spec, the
rest at the head spec.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

from ..spec.loader import LoadedSpec

# Destructive kinds first: a reader should see what goes away before what is added.
ORDER = ("component_removed", "suppression_added", "override_added", "standards_changed", "gate_changed",
         "auto_remediate_changed",
         "environments_changed", "setting_changed", "component_added", "suppression_removed", "override_removed",
         "secrets_changed")


@dataclass(frozen=True)
class SpecChange:
    kind: str
    path: str            # spec path, e.g. `components.web.max`
    file: str
    line: int | None
    detail: str

    def to_dict(self) -> dict:
        return asdict(self)


def diff_specs(base: LoadedSpec | None, head: LoadedSpec) -> list[SpecChange]:
    """Every change from BASE to HEAD (nothing when there is no base: all of HEAD is then new, not changed)."""
    if base is None:
        return []
    changes = [*_components(base, head), *_suppressions(base, head), *_overrides(base, head),
               *_top_level(base, head)]
    return sorted(changes, key=lambda change: (ORDER.index(change.kind), change.path))


def _file(loaded: LoadedSpec) -> str:
    """The file as the user knows it: the path given, or `REF:nexus.yaml` for a base read from git."""
    return loaded.source.file


def _change(kind: str, loaded: LoadedSpec, where: tuple, detail: str) -> SpecChange:
    return SpecChange(kind=kind, path=".".join(str(part) for part in where), file=_file(loaded),
                      line=loaded.line_of(*where), detail=detail)


def _settings(loaded: LoadedSpec, name: str) -> dict:
    return loaded.spec.components[name].model_dump(mode="json", exclude_unset=True)


def _components(base: LoadedSpec, head: LoadedSpec) -> list[SpecChange]:
    old, new = base.spec.components, head.spec.components
    changes = [_change("component_removed", base, ("components", name), f"{name} ({old[name].type}) removed")
               for name in sorted(set(old) - set(new))]
    changes += [_change("component_added", head, ("components", name), f"{name} ({new[name].type}) added")
                for name in sorted(set(new) - set(old))]
    for name in sorted(set(old) & set(new)):
        before, after = _settings(base, name), _settings(head, name)
        for key in sorted(set(before) | set(after)):
            if before.get(key) == after.get(key):
                continue
            where = ("components", name, key)
            if key not in after:
                changes.append(_change("setting_changed", base, where, f"{key}: {_shown(before[key])} -> (default)"))
            else:
                changes.append(_change("setting_changed", head, where,
                                       f"{key}: {_shown(before.get(key, '(default)'))} -> {_shown(after[key])}"))
    return changes


def _shown(value) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _suppression_key(suppression) -> tuple:
    return suppression.check, suppression.resource, suppression.reason, suppression.expires


def _suppressions(base: LoadedSpec, head: LoadedSpec) -> list[SpecChange]:
    old = {_suppression_key(s) for s in base.spec.compliance.suppressions}
    new = {_suppression_key(s) for s in head.spec.compliance.suppressions}
    changes = []
    for loaded, kind, others in ((head, "suppression_added", old), (base, "suppression_removed", new)):
        for index, suppression in enumerate(loaded.spec.compliance.suppressions):
            if _suppression_key(suppression) in others:
                continue
            target = f" on {suppression.resource}" if suppression.resource else ""
            expires = f", expires {suppression.expires}" if suppression.expires else ""
            changes.append(_change(kind, loaded, ("compliance", "suppressions", index),
                                   f"{suppression.check}{target}: {suppression.reason}{expires}"))
    return changes


def _overrides(base: LoadedSpec, head: LoadedSpec) -> list[SpecChange]:
    old, new = base.spec.overrides, head.spec.overrides
    changes = [_change("override_added", head, ("overrides", address),
                       f"{address}: {', '.join(sorted(new[address]))}")
               for address in sorted(new) if old.get(address) != new[address]]
    changes += [_change("override_removed", base, ("overrides", address), f"{address} removed")
                for address in sorted(set(old) - set(new))]
    return changes


def _top_level(base: LoadedSpec, head: LoadedSpec) -> list[SpecChange]:
    changes = []
    standards = [sorted(f"{s.id} {s.version or ''}".strip() for s in loaded.spec.compliance.standards)
                 for loaded in (base, head)]
    if standards[0] != standards[1]:
        changes.append(_change("standards_changed", head, ("compliance", "standards"),
                               f"{', '.join(standards[0]) or 'none'} -> {', '.join(standards[1]) or 'none'}"))
    if base.spec.compliance.gate != head.spec.compliance.gate:
        changes.append(_change("gate_changed", head, ("compliance", "gate"),
                               f"{base.spec.compliance.gate} -> {head.spec.compliance.gate}"))
    if base.spec.compliance.auto_remediate != head.spec.compliance.auto_remediate:
        changes.append(_change("auto_remediate_changed", head, ("compliance", "auto_remediate"),
                               f"{base.spec.compliance.auto_remediate} -> {head.spec.compliance.auto_remediate}"))
    if base.spec.environments != head.spec.environments:
        changes.append(_change("environments_changed", head, ("environments",),
                               f"{', '.join(base.spec.environments)} -> {', '.join(head.spec.environments)}"))
    if set(base.spec.secrets) != set(head.spec.secrets):
        changes.append(_change("secrets_changed", head, ("secrets",),
                               f"{', '.join(sorted(base.spec.secrets)) or 'none'} -> "
                               f"{', '.join(sorted(head.spec.secrets)) or 'none'}"))
    return changes
