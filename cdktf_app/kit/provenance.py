"""The provenance map: every synthesized resource -> the spec path and line a person wrote.

Findings, diagram nodes, cost lines and plan changes all point back to the spec through this map. It is
written beside the stacks as `provenance.json` and read back with `Provenance.read`.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..layout import PROVENANCE_FILE


@dataclass(frozen=True)
class Origin:
    stack: str
    address: str          # `<type>.<name>` for resources, `data.<type>.<name>`, `module.<name>`
    component: str        # spec component name, or a section such as `providers.edge`
    spec_path: str        # `components.db`
    line: int | None
    column: int | None
    overridden: tuple[str, ...] = ()


@dataclass
class Provenance:
    spec_file: str
    origins: dict[tuple[str, str], Origin] = field(default_factory=dict)

    def record(self, origin: Origin) -> None:
        self.origins[(origin.stack, origin.address)] = origin

    def mark_overridden(self, stack: str, address: str, keys: tuple[str, ...]) -> None:
        origin = self.origins[(stack, address)]
        self.origins[(stack, address)] = Origin(**{**asdict(origin), "overridden": (*origin.overridden, *keys)})

    def lookup(self, address: str, stack: str | None = None) -> Origin | None:
        """Find where a resource came from; without a stack, the first stack that has it."""
        if stack is not None:
            return self.origins.get((stack, address))
        for (_, known_address), origin in sorted(self.origins.items()):
            if known_address == address:
                return origin
        return None

    def addresses(self, stack: str | None = None) -> list[str]:
        return sorted(address for (name, address) in self.origins if stack is None or name == stack)

    def as_dict(self) -> dict:
        stacks: dict[str, dict] = {}
        for (stack, address), origin in sorted(self.origins.items()):
            entry = {"component": origin.component, "spec_path": origin.spec_path,
                     "line": origin.line, "column": origin.column}
            if origin.overridden:
                entry["overridden"] = list(origin.overridden)
            stacks.setdefault(stack, {})[address] = entry
        return {"spec_file": self.spec_file, "stacks": stacks}

    def write(self, out_dir: Path) -> Path:
        target = Path(out_dir) / PROVENANCE_FILE
        target.write_text(json.dumps(self.as_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        return target

    @classmethod
    def read(cls, out_dir: Path) -> Provenance:
        data = json.loads((Path(out_dir) / PROVENANCE_FILE).read_text(encoding="utf-8"))
        provenance = cls(spec_file=data["spec_file"])
        for stack, resources in data["stacks"].items():
            for address, entry in resources.items():
                provenance.record(Origin(stack=stack, address=address, component=entry["component"],
                                         spec_path=entry["spec_path"], line=entry["line"], column=entry["column"],
                                         overridden=tuple(entry.get("overridden", ()))))
        return provenance
