"""The provider schema check of a synth out dir, each finding located at the spec line it came from.

Every stack's `cdk.tf.json` is checked, and the HCL modules it calls (`./modules/<name>`, copied beside it), whose
resources are addressed `module.<name>.<type>.<name>` and located at the module call's spec line. A finding on an
argument that `overrides:` set points at that override (the user's error); any other finding is in what Nexus
generated itself and says so (a bug to report), located at the component. Both are located errors, exit 2.
Resources of a provider with no installed binding cannot be checked: that is a failure (exit 4), never a pass.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import Problem, ScanError, SpecError
from ..hcl_modules import read_hcl
from ..inventory.resources import CLOUD_OF_PREFIX
from ..kit.provenance import Provenance
from ..layout import current_stack_files, default_out_dir
from ..spec.loader import LoadedSpec
from ..spec.source import dotted
from ..stacks.synth import SynthResult, synth
from .check import ConfigurationCheck, SchemaFinding, check_configuration
from .store import SchemaStore

EDGE_PROVIDERS = {"kubernetes": "edge"}


@dataclass
class SchemaReport:
    """What the check found in an out dir: findings with their spec problem, and what it could not check."""

    out_dir: Path
    findings: list[tuple[SchemaFinding, Problem]] = field(default_factory=list)
    unchecked: dict[str, dict[str, list[str]]] = field(default_factory=dict)   # stack -> provider -> addresses
    checked: int = 0
    stacks: int = 0
    providers: dict[str, str] = field(default_factory=dict)   # aws -> "hashicorp/aws 6.69.1 from cdktn-provider-aws ..."
    seconds: float = 0.0

    @property
    def problems(self) -> list[Problem]:
        return [problem for _, problem in self.findings]

    def raise_for_problems(self) -> SchemaReport:
        """ScanError (exit 4) when a resource could not be checked, ProviderSchemaError (exit 2) for findings."""
        if self.unchecked:
            lines = [f"the provider schema check could not run on {len(self.unchecked)} stack(s): no installed "
                     "binding for their provider"]
            lines += [f"  {stack}: {provider} ({', '.join(addresses[:5])}{' ...' if len(addresses) > 5 else ''})"
                      for stack, by_provider in sorted(self.unchecked.items())
                      for provider, addresses in sorted(by_provider.items())]
            raise ScanError("\n".join(lines))
        if self.findings:
            raise ProviderSchemaError(self.problems)
        return self

    def summary(self) -> str:
        return (f"{self.checked} resources and provider blocks in {self.stacks} stacks match their provider schemas "
                f"({', '.join(self.providers.values()) or 'none'}; offline, {self.seconds:.2f}s)")

    def as_dict(self) -> dict:
        return {"checked": self.checked, "stacks": self.stacks, "providers": self.providers,
                "seconds": round(self.seconds, 3), "problems": [problem.as_dict() for problem in self.problems],
                "unchecked": self.unchecked}


@dataclass
class ProviderSchemaError(SpecError):
    """Arguments the provider would reject, each at its spec line: a located error like any bad spec (exit 2)."""

    def headline(self) -> str:
        count = len(self.problems)
        return f"{count} argument{'s' if count != 1 else ''} the provider schemas reject (checked offline)"


def check_out_dir(out_dir: str | Path, *, provenance: Provenance | None = None, loaded: LoadedSpec | None = None,
                  store: SchemaStore | None = None) -> SchemaReport:
    """Check every stack synth last wrote into OUT_DIR; `provenance` (default: OUT/provenance.json) and `loaded`
    (the spec, for the lines of its overrides) locate the findings."""
    started = time.perf_counter()
    out_dir = Path(out_dir)
    store = store or SchemaStore()
    provenance = provenance or Provenance.read(out_dir)
    report = SchemaReport(out_dir=out_dir)
    stacks_of: dict[tuple, list[SchemaFinding]] = {}   # the same finding in every environment's stack: one problem
    for stack_file in current_stack_files(out_dir):
        stack = stack_file.parent.name
        result = _check_stack(stack_file, stack, store)
        report.stacks += 1
        report.checked += result.checked
        if result.unchecked:
            report.unchecked[stack] = result.unchecked
        for finding in result.findings:
            stacks_of.setdefault((finding.address, finding.path, finding.message), []).append(finding)
    report.findings = [(same[0], locate(same[0], [f.stack for f in same], provenance, loaded, out_dir))
                       for same in stacks_of.values()]
    report.findings.sort(key=lambda pair: (pair[1].line or 0, pair[1].column or 0, pair[0].where()))
    report.providers = {provider: f"{store.schema(provider)['terraform_provider']} from {binding.package} "
                                  f"{binding.version}"
                        for provider, binding in store.bindings.items() if provider in store.loaded}
    report.seconds = time.perf_counter() - started
    return report


def _check_stack(stack_file: Path, stack: str, store: SchemaStore) -> ConfigurationCheck:
    document = json.loads(stack_file.read_text(encoding="utf-8"))
    result = check_configuration(document, stack, store.schema)
    for name, call in sorted((document.get("module") or {}).items()):
        source = str(call.get("source", ""))
        if source.startswith("./"):   # Nexus's own modules are copied beside the stack; others are not ours to read
            check_configuration(read_hcl(stack_file.parent / source), stack, store.schema, prefix=f"module.{name}.",
                                result=result)
    return result


def locate(finding: SchemaFinding, stacks: list[str], provenance: Provenance, loaded: LoadedSpec | None,
           out_dir: Path) -> Problem:
    """The spec problem of a finding (in STACKS, one per environment): at the override that set the argument,
    else at the component (Nexus's own output: a bug), else at the provider's section."""
    spec_file = str(loaded.path) if loaded and loaded.path else os.path.normpath(out_dir / provenance.spec_file)
    where = f"{finding.where()} in {', '.join(stacks)}"
    if finding.address.startswith("provider."):
        provider = finding.address.split(".", 1)[1]
        section = ("providers", EDGE_PROVIDERS.get(provider, CLOUD_OF_PREFIX.get(provider, provider)))
        return _problem(finding.message, spec_file, loaded, section,
                        f"{where}; Nexus generated this provider block: {NEXUS_BUG}")
    override = _override_key(finding, loaded)
    if override is not None:
        return _problem(finding.message, spec_file, loaded, ("overrides", finding.address, override), where)
    owner = ".".join(finding.address.split(".")[:2]) if finding.address.startswith("module.") else finding.address
    origin = provenance.lookup(owner, stacks[0])
    if origin is None:
        return Problem(message=f"{finding.message} [{where}]", file=spec_file)
    return Problem(message=f"{finding.message} [{where}; Nexus generated this for '{origin.component}': {NEXUS_BUG}]",
                   file=spec_file, line=origin.line, column=origin.column, path=origin.spec_path)


NEXUS_BUG = "a bug in Nexus, please report it"


def _override_key(finding: SchemaFinding, loaded: LoadedSpec | None) -> str | None:
    """The `overrides.<address>` key that set the finding's argument (`versioning.enabled` sets `versioning`)."""
    if loaded is None or not finding.path:
        return None
    for key in (loaded.spec.overrides.get(finding.address) or {}):
        if key.split(".")[0] == finding.path[0]:
            return key
    return None


def _problem(message: str, spec_file: str, loaded: LoadedSpec | None, path: tuple, note: str) -> Problem:
    text = f"{message} [{note}]"
    if loaded is None:
        return Problem(message=text, file=spec_file, path=".".join(map(str, path)))
    line, column = loaded.source.position(path)
    return Problem(message=text, file=spec_file, line=line, column=column, path=dotted(path))


def check_synthesized(result: SynthResult, *, store: SchemaStore | None = None) -> SchemaReport:
    """Check what a synth wrote, raising for findings (see `SchemaReport.raise_for_problems`). A schema not
    derived yet is derived first (once per binding version; setup derives them all), never skipped."""
    store = store or SchemaStore()
    return check_out_dir(result.out_dir, provenance=result.provenance, loaded=result.loaded,
                         store=store).raise_for_problems()


def validate_providers(loaded: LoadedSpec, out_dir: str | Path | None = None, *,
                       store: SchemaStore | None = None) -> SchemaReport:
    """Synthesize LOADED (the synth cache applies; no auto-remediation: the spec as written is what is checked)
    into its out dir and check every stack against the provider schemas, deriving any not cached yet."""
    spec_dir = loaded.path.parent if loaded.path else Path.cwd()
    return check_synthesized(synth(loaded, default_out_dir(spec_dir, out_dir)), store=store)
