"""`nexus synth`: spec -> `OUT/stacks/<stack>/cdk.tf.json`, cdktn's manifest, provenance and Nexus' manifest.

The app is synthesized into a scratch directory inside OUT first and then moved into place all or nothing (a
failure puts back what was moved), so a failure never leaves a half-updated output, and Terraform's working
files (.terraform, state) in the stack folders are kept. When the command runs a synth worker
(cdktf_app.synth_worker), the worker fills the scratch directory with the same `write_app`. An unchanged spec
does not run the CDK app at all: the output is reused when the cache key matches and every output file is still
the one synth wrote.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .. import __version__
from ..errors import UsageError
from ..kit.provenance import Provenance
from ..layout import (CDK_MANIFEST, NEXUS_MANIFEST, OUT_DIR_NAME, PROVENANCE_FILE, read_manifest, stack_dir,
                      stack_json)
from ..spec.loader import LoadedSpec, load_spec
from ..spec.overrides import UnsafeOverride, audit_overrides
from .app import StackInfo, build_app
from .cache import cache_key, output_digests, outputs_unchanged
from .runtime import binding_type_checks
from ..synth_worker.client import synthesize_in_worker


@dataclass(frozen=True)
class SynthResult:
    """What synth made, with the spec it read and the provenance map it wrote: callers need not read them back."""
    out_dir: Path
    stacks: list[StackInfo]
    cached: bool
    seconds: float
    loaded: LoadedSpec
    provenance: Provenance
    unsafe_overrides: list[UnsafeOverride] = field(default_factory=list)

    def stack_dir(self, name: str) -> Path:
        return stack_dir(self.out_dir, name)

    def stack_json(self, name: str) -> Path:
        return stack_json(self.out_dir, name)


def synth(spec: str | Path | LoadedSpec, out_dir: str | Path = OUT_DIR_NAME, *, use_cache: bool = True,
          allow_unsafe_overrides: Iterable[str] = ()) -> SynthResult:
    """The CDK app's synth, below policy: no remediation here (cdktf_app.build adds `compliance.auto_remediate`).

    `allow_unsafe_overrides` names each override that is more than an attribute (`aws_s3_bucket.assets.count`);
    any other is refused (cdktf_app.spec.overrides), before the cache is even looked at."""
    started = time.perf_counter()
    loaded = spec if isinstance(spec, LoadedSpec) else load_spec(spec)
    unsafe = audit_overrides(loaded, allow_unsafe_overrides)
    out_dir = Path(out_dir)
    key = cache_key(loaded)
    if use_cache:
        stacks = cached_stacks(out_dir, key)
        if stacks is not None:
            return SynthResult(out_dir, stacks, cached=True, seconds=time.perf_counter() - started, loaded=loaded,
                               provenance=Provenance.read(out_dir), unsafe_overrides=unsafe)
    spec_label = os.path.relpath(loaded.path, out_dir) if loaded.path else "<spec>"
    for write in (synthesize_in_worker, write_app):  # the worker's, else (a fresh scratch) this process's
        with _scratch_in(out_dir) as scratch_dir:
            made = write(loaded, scratch_dir, out_dir, spec_label, key, unsafe)
            if made is not None:
                stacks, provenance = made
                _move_into_place(scratch_dir, out_dir, [stack.name for stack in stacks])
                break
    return SynthResult(out_dir, stacks, cached=False, seconds=time.perf_counter() - started, loaded=loaded,
                       provenance=provenance, unsafe_overrides=unsafe)


def write_app(loaded: LoadedSpec, scratch_dir: Path, out_dir: Path, spec_label: str, key: str,
              unsafe: list[UnsafeOverride]) -> tuple[list[StackInfo], Provenance]:
    """The CDK app of LOADED with its assets, modules, provenance and nexus.json, written into SCRATCH_DIR: what
    the synth worker runs too (cdktf_app.synth_worker), so that both write the same bytes."""
    with binding_type_checks():
        built = build_app(loaded, str(scratch_dir), spec_label)
        built.app.synth()
    try:
        for ctx in built.contexts:
            for relative, content in ctx.assets.items():
                target = stack_dir(scratch_dir, ctx.stack_name) / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            for module_name in ctx.modules_used:
                _copy_module(module_name, stack_dir(scratch_dir, ctx.stack_name) / "modules" / module_name)
        built.provenance.write(scratch_dir)
        _write_nexus_manifest(scratch_dir, loaded, built.stacks, key, spec_label, unsafe,
                              recovery_runbook(loaded, built.contexts))
    except OSError as error:
        raise _unwritable(out_dir, Path(error.filename or scratch_dir), error) from None
    return built.stacks, built.provenance


def _copy_module(name: str, target: Path) -> None:
    from ..hcl_modules import read_module

    source = read_module(name).directory
    target.mkdir(parents=True, exist_ok=True)
    for tf_file in sorted(source.glob("*.tf")):
        shutil.copyfile(tf_file, target / tf_file.name)


def _write_nexus_manifest(out_dir: Path, loaded: LoadedSpec, stacks: list[StackInfo], key: str,
                          spec_label: str, unsafe: list[UnsafeOverride], runbook: dict | None = None) -> None:
    manifest = {
        "nexus_version": __version__,
        "spec": {"file": spec_label, "name": loaded.spec.name, "sha256": loaded.digest},
        "cache_key": key,
        "stacks": [{k: v for k, v in asdict(stack).items() if v not in (None, ())} | {"components": list(
            stack.components)} for stack in stacks],
        "overrides": [{"address": address, "keys": sorted(attributes), "line": loaded.line_of("overrides", address)}
                      for address, attributes in sorted(loaded.spec.overrides.items())],
        "outputs": output_digests(out_dir),
    }
    if runbook:
        manifest["disaster_recovery"] = runbook
    if unsafe:  # only ever the ones the caller named; the allowance is exact, so the cache key need not hold it
        manifest["unsafe_overrides"] = [override.as_dict() for override in unsafe]
    (out_dir / NEXUS_MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def recovery_runbook(loaded: LoadedSpec, contexts) -> dict | None:
    """nexus.json's disaster_recovery section (cdktf_app.dr.runbook), names read from the stacks that made them."""
    from ..dr.runbook import runbook
    from ..dr.standby import STANDBY_SUFFIX

    by_stack = {ctx.stack_name: ctx for ctx in contexts}

    def namer(cloud: str):
        def name_of(environment: str, component: str, suffix: str, standby: bool) -> str:
            primary = by_stack[f"{loaded.spec.name}-{environment}-{cloud}"]
            return primary.physical_name(component, suffix,
                                         environment=f"{environment}{STANDBY_SUFFIX}" if standby else None)
        return name_of

    clouds = sorted({ctx.cloud for ctx in contexts if ctx.cloud != "edge"})
    return runbook(loaded.spec, lambda path: loaded.line_of(*path), {cloud: namer(cloud) for cloud in clouds})


@contextmanager
def _scratch_in(out_dir: Path) -> Iterator[Path]:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        # absolute: the jsii kernel (node) may resolve a relative path from another working directory
        scratch = Path(tempfile.mkdtemp(prefix=".synth-", dir=out_dir.resolve()))
    except OSError as error:
        raise _unwritable(out_dir, Path(error.filename or out_dir), error) from None
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _move_into_place(scratch: Path, out_dir: Path, stack_names: list[str]) -> None:
    """All or nothing: each generated path of OUT is moved aside (into the scratch folder, deleted with it) and
    replaced by the new one; a failure puts back what was moved. A stack folder's .terraform and state files are
    not generated and stay where they are. nexus.json goes last."""
    moves: list[tuple[Path | None, Path]] = []
    for name in stack_names:
        source, target = stack_dir(scratch, name), stack_dir(out_dir, name)
        try:
            target.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise _unwritable(out_dir, target, error) from None
        new = {entry.name for entry in source.iterdir()}
        moves += [(source / entry if entry in new else None, target / entry)
                  for entry in sorted(new | {"modules", "assets"})]
    moves += [(scratch / top, out_dir / top) for top in (CDK_MANIFEST, PROVENANCE_FILE, NEXUS_MANIFEST)]
    aside = scratch / ".replaced"
    aside.mkdir()
    done: list[tuple[Path | None, Path, Path | None]] = []
    try:
        for index, (source, target) in enumerate(moves):
            backup = aside / str(index) if os.path.lexists(target) else None
            if backup:
                os.rename(target, backup)
            done.append((None, target, backup))
            if source:
                os.rename(source, target)
                done[-1] = (source, target, backup)
    except OSError as error:
        _put_back(done, out_dir)
        raise _unwritable(out_dir, target, error) from None


def _put_back(done: list[tuple[Path | None, Path, Path | None]], out_dir: Path) -> None:
    try:
        for source, target, backup in reversed(done):
            if source:
                os.rename(target, source)
            if backup:
                os.rename(backup, target)
    except OSError as error:
        raise UsageError(f"{out_dir} is incomplete: a failed synth could not put back {error.filename} "
                         f"({error.strerror}); run nexus synth again once the folder is writable") from None


def _unwritable(out_dir: Path, path: Path, error: OSError) -> UsageError:
    return UsageError(f"cannot write the synth output: {path}: {error.strerror or error}. Nothing in {out_dir} was "
                      "changed; remove what is in the way, make the folder writable or pass --out to another folder")


def cached_stacks(out_dir: Path, key: str) -> list[StackInfo] | None:
    manifest = read_manifest(out_dir)
    if not manifest or manifest.get("cache_key") != key:
        return None
    stacks = [StackInfo(**{**entry, "components": tuple(entry.get("components", ()))})
              for entry in manifest["stacks"]]
    if not outputs_unchanged(out_dir, manifest.get("outputs")):
        return None
    return stacks
