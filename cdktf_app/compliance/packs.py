"""Standards packs as data: compliance/packs/<id>.yaml, validated against compliance/pack.schema.json.

A pack maps the public controls of one standard (CIS, PCI-DSS, HIPAA, SOC 2, ...) to the checks that evidence
them (checkov CKV ids and our NEXUS ids) with a severity and a rationale. Offline checkov has no severities and
no compliance mapping, so every finding's severity and control ids come from here.
"""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator

from ..data_files import read_data_file, schema_problems
from ..errors import DataFileError, Problem, UsageError
from ..paths import compliance_dir, repo_root
from ..spec.model import STANDARDS
from ..spec.source import SourceMap

SEVERITIES = ("low", "medium", "high", "critical")
CHECK_CLOUD = re.compile(r"(?:CKV2?|NEXUS)_(AWS|GCP|AZURE)_")


def check_cloud(check_id: str) -> str | None:
    """The cloud a check (or a check glob) is about, from its id: CKV_AWS_20, CKV2_GCP_*, NEXUS_AZURE_CMK."""
    match = CHECK_CLOUD.match(check_id)
    return match.group(1).lower() if match else None


def severity_rank(severity: str) -> int:
    """0 for low ... 3 for critical; a ValueError for anything else."""
    return SEVERITIES.index(severity)


@dataclass(frozen=True)
class Control:
    id: str
    title: str
    severity: str
    rationale: str
    checks: tuple[str, ...] = ()
    manual: bool = False


@dataclass(frozen=True)
class Pack:
    id: str
    title: str
    version: str
    source: str
    clouds: tuple[str, ...]
    controls: tuple[Control, ...]
    spec_versions: tuple[str, ...] = ()

    @property
    def automated_controls(self) -> tuple[Control, ...]:
        return tuple(control for control in self.controls if not control.manual)

    @property
    def manual_controls(self) -> tuple[Control, ...]:
        return tuple(control for control in self.controls if control.manual)

    @cached_property
    def check_ids(self) -> frozenset[str]:
        return frozenset(check for control in self.controls for check in control.checks)

    def controls_citing(self, check_id: str) -> tuple[Control, ...]:
        return tuple(control for control in self.controls if check_id in control.checks)

    def summary(self) -> dict:
        """Counts for `nexus packs list`: controls, how many are automated and manual, distinct checks."""
        return {"id": self.id, "title": self.title, "version": self.version, "clouds": list(self.clouds),
                "controls": len(self.controls), "automated": len(self.automated_controls),
                "manual": len(self.manual_controls), "checks": len(self.check_ids),
                "nexus_checks": sum(1 for check in self.check_ids if check.startswith("NEXUS_"))}

    def as_dict(self) -> dict:
        return {**self.summary(), "source": self.source, "spec_versions": list(self.spec_versions),
                "controls": [asdict(control) | {"checks": list(control.checks)} for control in self.controls]}

    def covers(self, spec_version: str) -> bool:
        """Whether the control ids follow the version a spec declares (e.g. PCI 4.0 ids do not fit 3.2.1)."""
        return not self.spec_versions or spec_version in self.spec_versions


def checks_dir() -> Path:
    """Our own checkov checks (pass to checkov's --external-checks-dir)."""
    return compliance_dir() / "checks"


def nexus_check_files() -> list[Path]:
    """Our checks: Python resource checks and YAML graph checks (those that judge connected resources)."""
    return sorted(path for path in checks_dir().glob("nexus_*.*") if path.suffix in (".py", ".yaml"))


def nexus_check_ids() -> dict[str, Path]:
    """The id each of our checks registers -> its file: `id="NEXUS_..."` in Python, `metadata.id` in YAML."""
    ids = {}
    for path in nexus_check_files():
        text = path.read_text(encoding="utf-8")
        found = re.findall(r'\bid:\s*(NEXUS_[A-Z0-9_]+)|id="(NEXUS_[A-Z0-9_]+)"', text)
        ids.update({yaml_id or python_id: path for yaml_id, python_id in found})
    return ids


def schema_path() -> Path:
    """The pack format belongs to this code, so its schema is always the repository's."""
    return repo_root() / "compliance" / "pack.schema.json"


def load_packs() -> dict[str, Pack]:
    """Every pack under <compliance>/packs, by id; re-read only when a file changes."""
    directory = compliance_dir() / "packs"
    if not directory.is_dir():
        raise DataFileError(f"no compliance packs: {directory} is not a directory (NEXUS_COMPLIANCE_DIR?)")
    files = sorted(directory.glob("*.yaml"))
    signature = tuple((str(path), path.stat().st_mtime_ns, path.stat().st_size) for path in files)
    return _load(signature)


def get_pack(name: str) -> Pack:
    packs = load_packs()
    if name not in packs:
        raise UsageError(f"unknown pack '{name}'; known: {', '.join(sorted(packs))}")
    return packs[name]


def severity_for(check_id: str, standards: list[str] | None = None) -> str | None:
    """The highest severity among the controls of `standards` (all packs when None) citing the check."""
    severities = [control.severity for pack in selected_packs(standards) for control in pack.controls_citing(check_id)]
    return max(severities, key=severity_rank) if severities else None


def controls_for(check_id: str, standards: list[str] | None = None) -> list[str]:
    """`["hipaa 164.312(a)(2)(iv)", "pci-dss 3.5.1"]`: the controls of `standards` that cite the check."""
    return sorted(f"{pack.id} {control.id}" for pack in selected_packs(standards)
                  for control in pack.controls_citing(check_id))


def selected_packs(standards: list[str] | None) -> list[Pack]:
    """The packs of the named standards (all when None); an unknown name is a usage error."""
    packs = load_packs()
    if standards is None:
        return list(packs.values())
    unknown = sorted(set(standards) - set(packs))
    if unknown:
        raise UsageError(f"no pack for standard {', '.join(unknown)}; known: {', '.join(sorted(packs))}")
    return [packs[standard] for standard in standards]


@lru_cache(maxsize=4)
def _load(signature: tuple[tuple[str, int, int], ...]) -> dict[str, Pack]:
    validator = Draft202012Validator(json.loads(schema_path().read_text(encoding="utf-8")))
    packs: dict[str, Pack] = {}
    problems: list[Problem] = []
    for file, _, _ in signature:
        try:
            pack = _read_pack(Path(file), validator)
        except DataFileError as error:
            problems.extend(error.problems)
            continue
        packs[pack.id] = pack
    if problems:
        raise DataFileError(problems=problems)
    return packs


def _read_pack(path: Path, validator: Draft202012Validator) -> Pack:
    document = read_data_file(path)
    data, source = document.data, document.source
    problems = schema_problems(validator, data, source)
    if problems:
        raise DataFileError(problems=problems)
    problems = _consistency_problems(data, path, source)
    if problems:
        raise DataFileError(problems=problems)
    controls = tuple(Control(id=item["id"], title=item["title"], severity=item["severity"],
                             rationale=" ".join(item["rationale"].split()), checks=tuple(item.get("checks", ())),
                             manual=bool(item.get("manual", False)))
                     for item in data["controls"])
    return Pack(id=data["id"], title=data["title"], version=str(data["version"]), source=data["source"],
                clouds=tuple(data["clouds"]), controls=controls, spec_versions=tuple(data.get("spec_versions", ())))


def _consistency_problems(data: dict, path: Path, source: SourceMap) -> list[Problem]:
    """What the schema cannot say: the id is the file name and a spec standard, control ids are unique, checks
    belong to the pack's clouds."""
    problems = []
    if data["id"] != path.stem:
        problems.append(source.problem(("id",), f"id '{data['id']}' must equal the file name '{path.stem}'"))
    if data["id"] not in STANDARDS:
        problems.append(source.problem(("id",), f"'{data['id']}' is not a spec standard; known: "
                                                f"{', '.join(STANDARDS)}"))
    else:
        for version in data.get("spec_versions", ()):
            if version not in STANDARDS[data["id"]]:
                problems.append(source.problem(("spec_versions",), f"'{version}' is not a version a spec may "
                                                                   f"declare for {data['id']}"))
    seen: set[str] = set()
    for index, control in enumerate(data["controls"]):
        if control["id"] in seen:
            problems.append(source.problem(("controls", index, "id"), f"duplicate control id '{control['id']}'"))
        seen.add(control["id"])
        for check in control.get("checks", ()):
            cloud = check_cloud(check)
            if cloud not in data["clouds"]:
                problems.append(source.problem(("controls", index, "checks"),
                                               f"{check} is for {cloud}, which is not among the pack's "
                                               f"clouds ({', '.join(data['clouds'])})"))
    return problems
