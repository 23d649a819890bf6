"""The one exception tree of Nexus.

Every error a user can cause is a ``NexusError``; the CLI prints it without a traceback and exits with its
``exit_code``. Spec problems carry one ``Problem`` per mistake so a person can fix them all in one go.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Problem:
    """One mistake in a spec: where it is, which spec path it concerns, and what was expected."""

    message: str
    file: str = "<spec>"
    line: int | None = None
    column: int | None = None
    path: str = ""

    def location(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)

    def __str__(self) -> str:
        where = f" {self.path}:" if self.path else ""
        return f"{self.location()}:{where} {self.message}"

    def as_dict(self) -> dict:
        return asdict(self)


class NexusError(Exception):
    """Base of every error Nexus raises on purpose."""

    exit_code = 1

    def as_dict(self) -> dict:
        return {"error": type(self).__name__, "message": str(self)}


class UsageError(NexusError):
    """The command was called wrongly (bad option, missing file)."""

    exit_code = 2


@dataclass
class SpecError(NexusError):
    """The spec cannot be used; ``problems`` lists every mistake found."""

    problems: list[Problem] = field(default_factory=list)
    exit_code = 2

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def headline(self) -> str:
        count = len(self.problems)
        return f"{count} problem{'s' if count != 1 else ''} in the spec"

    def __str__(self) -> str:
        return "\n".join([self.headline(), *(f"  {problem}" for problem in self.problems)])

    def as_dict(self) -> dict:
        return {"error": type(self).__name__, "problems": [problem.as_dict() for problem in self.problems]}


class ModuleError(NexusError):
    """An HCL module under modules/ is missing or cannot be read."""

    exit_code = 2


class BlueprintError(NexusError):
    """A blueprint is unknown, or its parameters are wrong."""

    exit_code = 2


class ToolError(NexusError):
    """An external tool (terraform, node, the CDK runtime) is missing or failed."""

    exit_code = 1


class ScanError(NexusError):
    """A compliance scan that did not check everything it was given (a stack checkov could not parse, a stack with
    resources on which no check ran, a scanner that failed): never a pass, whatever the findings."""

    exit_code = 4


class DataFileError(NexusError):
    """A data file Nexus loads (a compliance pack, a fix, the exemptions, a blueprint, the healing rules, the price
    catalogue; Nexus's own or the user's via NEXUS_COMPLIANCE_DIR) is missing or malformed. Each problem reads
    `path:line: field: expected ..., got ...`; exit 2 like every bad input."""

    exit_code = 2

    def __init__(self, message: str = "", problems: list[Problem] | None = None) -> None:
        self.problems = list(problems or [])
        count = len(self.problems)
        head = message or f"{count} problem{'s' if count != 1 else ''} in Nexus data files"
        super().__init__("\n".join([head, *(f"  {problem}" for problem in self.problems)]))

    def as_dict(self) -> dict:
        return {"error": "DataFileError", "message": str(self), "problems": [p.as_dict() for p in self.problems]}


class EncryptionError(NexusError):
    """An encrypted artifact cannot be opened or made: a wrong or malformed key, a tampered or truncated file, an
    algorithm this build cannot use. Nothing of the plaintext is written; exit 2 like every bad input."""

    exit_code = 2


class VerificationError(NexusError):
    """A signed artifact (an edge bundle) failed verification: a signature that does not verify, a file whose
    checksum differs, a file missing or added, a damaged archive. The check ran and said no: exit 1, as a check
    with findings does."""

    exit_code = 1
