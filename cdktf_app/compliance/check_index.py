"""The check index: every check id Nexus knows -> its check file (ours), its fix, the packs that cite it and the
cloud it judges. It plays the part of ruff's rule registry: `nexus packs checks` prints it, and
`index_problems` says where the three catalogues (checks/, fixes/, packs/) disagree."""
from __future__ import annotations

import functools
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..errors import Problem, ToolError
from ..paths import compliance_dir
from .checkov import checkov_environment, checkov_python
from .fixes import fixes_dir, load_fixes
from .packs import check_cloud, load_packs, nexus_check_ids


@dataclass(frozen=True)
class IndexedCheck:
    id: str
    cloud: str | None
    check_file: Path | None      # ours only: checkov's own checks ship inside checkov
    fix_file: Path | None
    packs: tuple[str, ...]
    in_checkov: bool

    @property
    def ours(self) -> bool:
        return self.id.startswith("NEXUS_")

    @property
    def source(self) -> str:
        return "nexus" if self.check_file else "checkov" if self.in_checkov else "missing"

    def as_dict(self) -> dict:
        root = compliance_dir()
        return {"id": self.id, "cloud": self.cloud, "packs": list(self.packs), "source": self.source,
                "check_file": _relative(self.check_file, root), "fix_file": _relative(self.fix_file, root)}


def check_index() -> dict[str, IndexedCheck]:
    """Every check cited by a pack, written by us or fixed by a fix file, sorted by id."""
    packs = load_packs()
    ours = nexus_check_ids()
    fixes = load_fixes()
    checkov = checkov_check_ids()
    ids = set(ours) | set(fixes) | {check for pack in packs.values() for check in pack.check_ids}
    return {check: IndexedCheck(id=check, cloud=check_cloud(check), check_file=ours.get(check),
                                fix_file=fixes_dir() / f"{check}.yaml" if check in fixes else None,
                                packs=tuple(sorted(name for name, pack in packs.items() if check in pack.check_ids)),
                                in_checkov=check in checkov)
            for check in sorted(ids)}


# `id = "CKV_AWS_20"` or `check_id="CKV_AWS_24"` in Python checks, `id: CKV2_AWS_6` in YAML and
# `"id": "CKV2_AWS_6"` in JSON graph checks. Measured: the same 1,144 Terraform ids as `checkov --list`, in 1 s
# instead of 10 (plus two ids checkov does not list for Terraform).
_CHECKOV_ID = re.compile(r"""\b(?:check_)?id["']?\s*[=:]\s*["']?(CKV2?_[A-Z0-9]+_\d+)\b""")


_PRINT_CHECKOV_DIR = "import checkov, os; print(os.path.dirname(checkov.__file__))"


@functools.lru_cache(maxsize=1)
def checkov_check_ids() -> frozenset[str]:
    """The Terraform checks the installed checkov registers, read from its source (importing its registries takes
    seconds); an unreachable checkov is a ToolError, never an empty set."""
    try:
        found = subprocess.run([str(checkov_python()), "-c", _PRINT_CHECKOV_DIR], capture_output=True, text=True,
                               timeout=60, env=checkov_environment())
    except (OSError, subprocess.TimeoutExpired) as error:
        raise ToolError(f"cannot run checkov's Python to list its checks: {error}") from None
    if found.returncode != 0:
        raise ToolError(f"cannot import checkov to list its checks: {found.stderr.strip()[-500:]}")
    checks = Path(found.stdout.strip()) / "terraform" / "checks"
    return frozenset(check for path in checks.rglob("*") if path.suffix in (".py", ".yaml", ".json")
                     for check in _CHECKOV_ID.findall(path.read_text(encoding="utf-8", errors="replace")))


def index_problems(index: dict[str, IndexedCheck]) -> list[Problem]:
    """A fix or a pack naming a check that does not exist, a Nexus check no pack cites."""
    problems = []
    for entry in index.values():
        if entry.source == "missing" and entry.fix_file:
            problems.append(Problem(f"fixes {entry.id}, which is neither a Nexus check nor one of checkov's",
                                    file=str(entry.fix_file), path="check"))
        if entry.source == "missing" and entry.packs:
            problems.append(Problem(f"{entry.id} is cited by {', '.join(entry.packs)} but neither a Nexus check "
                                    f"(under {compliance_dir() / 'checks'}) nor one of checkov's registers it",
                                    file=str(compliance_dir() / "packs" / f"{entry.packs[0]}.yaml")))
        if entry.check_file and not entry.packs:
            problems.append(Problem(f"{entry.id} is cited by no pack: its findings would have no severity",
                                    file=str(entry.check_file)))
    return problems


def _relative(path: Path | None, root: Path) -> str | None:
    if path is None:
        return None
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
