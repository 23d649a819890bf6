"""A package that re-exports names from its modules without importing them until a name is used (PEP 562).

For the packages the CLI touches before it knows what a command needs: importing `cdktf_app.spec` must not build
the spec model (~0.2 s of pydantic) for a command that only reads a spec's bytes first."""
from __future__ import annotations

import importlib
from collections.abc import Callable


def lazy_exports(package: str, homes: dict[str, str]) -> Callable[[str], object]:
    """The module `__getattr__` of PACKAGE: `homes` maps each exported name to the module (relative to the
    package) that defines it."""
    def __getattr__(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{homes[name]}"), name)
    return __getattr__
