"""Where a service's release stands, per stack: the stable image, the image being released and its share of the
traffic. Kept in the project's `.nexus/releases/` so that each step (and --promote or --abort later) knows it;
the values reach Terraform as the stack's release variables."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from ..components.release import ReleaseVariables
from ..errors import UsageError
from ..files import private_directory, write_atomically

RELEASES_DIR = "releases"


@dataclass(frozen=True)
class ReleaseState:
    stable_image: str
    next_image: str
    next_weight: int = 0

    @property
    def in_progress(self) -> bool:
        return self.next_image != self.stable_image

    def terraform_override(self, component: str) -> dict:
        """Terraform JSON laid over the stack for one run: the variables' defaults set to this state."""
        names = ReleaseVariables.of(component)
        values = {names.stable_image: self.stable_image, names.next_image: self.next_image,
                  names.next_weight: self.next_weight}
        return {"variable": {name: {"default": value} for name, value in values.items()}}


def state_file(state_dir: Path, stack: str, component: str) -> Path:
    return state_dir / RELEASES_DIR / f"{stack}.{component}.json"


def read_state(state_dir: Path, stack: str, component: str, spec_image: str) -> ReleaseState:
    """The recorded state, or (before any release) the spec's image everywhere and no traffic shifted."""
    path = state_file(state_dir, stack, component)
    if not path.exists():
        return ReleaseState(stable_image=spec_image, next_image=spec_image)
    try:
        return ReleaseState(**json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as error:
        raise UsageError(f"{path} is not a release state ({error}); remove it to start from the spec's "
                         "image") from None


def write_state(state_dir: Path, stack: str, component: str, state: ReleaseState) -> None:
    folder = private_directory(private_directory(state_dir) / RELEASES_DIR)
    write_atomically(folder / f"{stack}.{component}.json", json.dumps(asdict(state), indent=2, sort_keys=True) + "\n")
