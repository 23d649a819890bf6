"""Fixes as data: `compliance/fixes/<CHECK_ID>.yaml`, one per check, each an edit of the spec.

A fix either sets component settings (`set: {encrypted: true}` on the component the resource came from), sets
settings of the spec secret a resource was compiled from (`secret: {rotation: {days: 90}}` on `secrets.<name>`),
or, when the spec cannot express it, records raw attributes under `overrides.<type.name>`. Like ruff's, fixes are
`safe` (keeps what the user built working and their data in place) or `unsafe` (may cut off access, replace a
resource or block a delete), and unsafe ones run only with --unsafe-fixes.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..data_files import expected, read_data_file, validated
from ..errors import DataFileError
from ..paths import compliance_dir
from ..spec import model
from ..spec.loader import LoadedSpec
from .findings import Finding
from .spec_edit import SpecEdit


class Fix(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    check: str = Field(pattern=r"^[A-Z][A-Z0-9_]+$")
    summary: str = Field(min_length=5, max_length=120)
    safety: Literal["safe", "unsafe"]
    why: str = Field(min_length=10, description="why it is safe or unsafe")
    components: list[str] = Field(default_factory=list, description="component types `set` applies to")
    set: dict[str, Any] | None = None
    secret: dict[str, Any] | None = Field(None, description="settings of the spec secret the resource came from")
    override: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Fix:
        if [self.set, self.secret, self.override].count(None) != 2:
            raise ValueError("a fix has exactly one of `set` (component settings), `secret` (settings of a spec "
                             "secret) or `override` (raw attributes)")
        unknown = sorted(set(self.secret or {}) - set(model.Secret.model_fields))
        if unknown:
            raise ValueError(f"a secret has no setting {', '.join(unknown)}")
        if self.set is not None:
            if not self.components:
                raise ValueError("`set` needs `components`: the component types it applies to")
            for type_name in self.components:
                fields = _component_fields(type_name)
                unknown = sorted(set(self.set) - fields)
                if unknown:
                    raise ValueError(f"component type {type_name} has no setting {', '.join(unknown)}")
        return self

    def edit_for(self, finding: Finding, loaded: LoadedSpec) -> SpecEdit | None:
        """The spec edit that resolves `finding`, or None when it does not apply or is already in place."""
        if finding.component is None:
            return None
        if self.secret is not None:
            return self._secret_edit(finding, loaded)
        if self.set is not None:
            return self._component_edit(finding, loaded)
        current = loaded.spec.overrides.get(finding.address, {})
        return self._edit(("overrides", finding.address), self.override, current.get, finding)

    def _component_edit(self, finding: Finding, loaded: LoadedSpec) -> SpecEdit | None:
        component = loaded.spec.components.get(finding.component)
        if finding.spec_path not in (None, f"components.{finding.component}"):
            return None   # a resource of a spec secret (or other section) that shares a component's name
        if component is None or component.type not in self.components:
            return None
        return self._edit(("components", finding.component), self.set,
                          lambda key: getattr(component, key), finding)

    def _secret_edit(self, finding: Finding, loaded: LoadedSpec) -> SpecEdit | None:
        """Only for a resource compiled from `secrets.<name>`, and only where that secret's kind takes the settings
        (rotation on a generated or managed secret, not on an external one): the model's own rules decide."""
        secret = loaded.spec.secrets.get(finding.component)
        if secret is None or finding.spec_path != f"secrets.{finding.component}":
            return None
        current = secret.model_dump(by_alias=True, exclude_none=True)
        try:
            model.Secret.model_validate({**current, **self.secret})
        except ValidationError:
            return None
        return self._edit(("secrets", finding.component), self.secret, current.get, finding)

    def _edit(self, path: tuple[str, ...], wanted: dict, current, finding: Finding) -> SpecEdit | None:
        changes = tuple((key, value) for key, value in wanted.items() if current(key) != value)
        if not changes:
            return None
        return SpecEdit(path=path, values=changes, check_id=self.check, safety=self.safety, summary=self.summary,
                        findings=(f"{finding.stack}/{finding.address}",))


def _component_fields(type_name: str) -> set[str]:
    component_class = model.component_class(type_name)
    if component_class is None:
        raise ValueError(f"unknown component type {type_name}")
    return set(component_class.model_fields)


def fixes_dir() -> Path:
    return compliance_dir() / "fixes"


@functools.lru_cache(maxsize=4)
def _load(directory: Path) -> dict[str, Fix]:
    fixes = {}
    for path in sorted(directory.glob("*.yaml")):
        document = read_data_file(path)
        fix = validated(Fix, document.data, document.source)
        if path.stem != fix.check:
            raise DataFileError(problems=[expected(document.source, ("check",), f"'{path.stem}' (a fix file is "
                                                                                 "named after its check)", fix.check)])
        fixes[fix.check] = fix
    return fixes


def load_fixes() -> dict[str, Fix]:
    return _load(fixes_dir())
