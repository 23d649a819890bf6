"""A process that synthesizes once and exits (`nexus synth`): its bindings loaded on a thread while it is still
reading the spec, its Node let go as soon as the synth is written.

A cold synth in the command's process cannot build a construct before Node has loaded the bindings' JavaScript
(AWS: 3-7 s on a 2-core machine), and before it asks for them Nexus spends about half a second in Python: its
own imports, the spec model, reading and validating the spec (2,000 components). `start_loading` begins the load
first, on a thread that only waits for Node, so the two run at once on two cores.

It starts only where it pays and is safe:
- the synth runs in this process (NEXUS_SYNTH_WORKER off or unset): the worker keeps its bindings loaded itself;
- the output is not current: an out dir whose nexus.json records this spec's bytes is a cache hit, which never
  starts Node;
- the process runs one command and exits: the CLI calls this from the `nexus` executable only, never for a
  library caller or a test process, which may use jsii in ways the thread cannot know of.
Which bindings is a guess from the keys under the spec's top-level `providers:`, read from the YAML's events
without building the document. A wrong guess costs time, never bytes: a binding not loaded here is loaded where it
always is, and the synth is the same.

Until the thread ends it owns the jsii kernel: `build_app` calls `wait_for_bindings()` before the process's first
jsii call (the kernel speaks one request at a time over one pipe). A command that ends without synthesizing (a
bad spec, Ctrl-C) does not wait for a load nobody will use: at exit, Node is stopped at once.

Two more things only such a process can afford: Python's cyclic garbage collector stays off (its passes over the
spec model and the constructs cost ~0.15 s of a 2,000-component synth; the cycles it would free are ~1 MB there),
and `release_node()` asks Node to exit once the synth is written, so that Node winds down while the command
checks the output against the provider schemas and prints.
"""
from __future__ import annotations

import atexit
import contextlib
import gc
import hashlib
import importlib
import sys
import threading
from pathlib import Path

import yaml

from ..errors import SpecError
from ..layout import default_out_dir, read_manifest
from ..spec.source import Loader, read_spec_bytes
from ..synth_worker.switch import synthesizes_in_this_process
from .runtime import prepare_jsii_environment

# The binding each cloud's components/<cloud>/provider.py configures (a unit test holds the two together).
CLOUD_BINDINGS = {"aws": "cdktn_provider_aws", "gcp": "cdktn_provider_google", "azure": "cdktn_provider_azurerm",
                  "edge": "cdktn_provider_kubernetes"}

_loading: _Loading | None = None
_exit_guarded = False


def one_synth_process(spec: str | Path, out_dir: str | Path | None = None, *, use_cache: bool = True) -> bool:
    """For a process that synthesizes SPEC once and exits: the collector off, and the bindings loading early, in
    this process (`start_loading`) or, when the project's worker will synthesize and none runs yet, in a worker
    started now (`start_worker_early`). True when a load started."""
    gc.disable()
    if synthesizes_in_this_process():
        return start_loading(spec, out_dir, use_cache=use_cache)
    return start_worker_early(spec, out_dir, use_cache=use_cache)


def start_worker_early(spec: str | Path, out_dir: str | Path | None = None, *, use_cache: bool = True) -> bool:
    """Start the project's synth worker now, if none runs, loading the bindings SPEC names (the same guess and the
    same cache rule as `start_loading`), while this command reads the spec. True when one started."""
    from ..synth_worker.client import start_early
    from ..synth_worker.switch import project_for

    spec = Path(spec)
    bindings = _bindings_worth_loading(spec, out_dir, use_cache)
    project = project_for(spec.parent) if bindings is not None else None
    return project is not None and start_early(project, bindings)


def release_node() -> None:
    """Ask Node to exit now, for a process that will make no further jsii call: jsii's exit hook then only reaps
    it. Nothing when this process never started Node (a cache hit)."""
    process = _node()
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(OSError, ValueError):
        process.stdin.write(b'{"exit":0}\n')   # what jsii's own exit hook sends, and it then closes stdin too
        process.stdin.close()


def _node():
    """jsii's Node (a subprocess.Popen), or None when this process has not started it. Importing the CDK core
    (`cdktn._jsii`) is what starts it; jsii's kernel is otherwise asked only then, as asking starts Node."""
    if "cdktn._jsii" not in sys.modules:
        return None
    from jsii._kernel import Kernel

    return getattr(getattr(Kernel().provider, "_process", None), "_process", None)


def guard_node_exit() -> None:
    """Once Node runs in this process (importing the CDK core starts it, and registers jsii's exit hook): our
    own exit hook, registered after jsii's so that it runs before it."""
    global _exit_guarded
    if not _exit_guarded:
        _exit_guarded = True
        atexit.register(_before_jsii_exit)


def _before_jsii_exit() -> None:
    """At exit: a load still running was for a synth that never came (jsii's hook would wait for it), and a Node
    that Ctrl-C has already ended has a closed pipe (jsii's hook would write into it and print a
    BrokenPipeError). Either way jsii's hook is left only the reaping."""
    process = _node()
    loading = _loading is not None and _loading.thread.is_alive()
    if process is None or (process.poll() is None and not loading):
        return
    if process.poll() is None:
        # SIGTERM, not SIGKILL: jsii's Node passes it on to the child that does the loading, which a SIGKILL
        # would leave running until its require() ends
        process.terminate()
    with contextlib.suppress(OSError, ValueError):
        process.stdin.close()


def start_loading(spec: str | Path, out_dir: str | Path | None = None, *, use_cache: bool = True) -> bool:
    """Begin loading the bindings SPEC names under `providers:` (and the CDK core), unless the synth will not
    need them here (see the module doc). True when a load started."""
    global _loading
    if _loading is not None or not synthesizes_in_this_process():
        return False
    bindings = _bindings_worth_loading(Path(spec), out_dir, use_cache)
    if bindings is None:
        return False
    loading = _Loading(bindings)
    if loading.start():
        _loading = loading
    return _loading is loading


def _bindings_worth_loading(spec: Path, out_dir: str | Path | None, use_cache: bool) -> tuple[str, ...] | None:
    """The bindings of the clouds SPEC names, or None: not a readable spec, no plain `providers:`, or an output
    that is current (a cache hit needs no bindings)."""
    try:
        data = read_spec_bytes(spec)
    except SpecError:   # the synth reports it, at its line
        return None
    clouds = clouds_named(data)
    if not clouds or (use_cache and _output_is_of(data, default_out_dir(spec.parent, out_dir))):
        return None
    return tuple(CLOUD_BINDINGS[cloud] for cloud in clouds if cloud in CLOUD_BINDINGS)


def wait_for_bindings() -> None:
    """Before this process's first jsii call: an early load owns the kernel until it has ended."""
    if _loading is not None:
        _loading.thread.join()


def clouds_named(data: bytes) -> list[str] | None:
    """The keys of the document's top-level `providers:` mapping, in order; None when the events do not say so
    plainly (not YAML, no such mapping, an alias or a merge for it, a key that is not a plain scalar)."""
    try:
        events = yaml.parse(data, Loader=Loader)
        if not all(isinstance(next(events), kind) for kind in
                   (yaml.StreamStartEvent, yaml.DocumentStartEvent, yaml.MappingStartEvent)):
            return None
        for key in events:
            if not isinstance(key, yaml.ScalarEvent):
                return None   # the end of the mapping, or a key that is a collection or an alias
            if key.value == "providers":
                return _mapping_keys(events)
            _skip_value(events)
    except (yaml.YAMLError, StopIteration):
        return None
    return None


def _mapping_keys(events) -> list[str] | None:
    if not isinstance(next(events), yaml.MappingStartEvent):
        return None
    keys = []
    for key in events:
        if isinstance(key, yaml.MappingEndEvent):
            return keys
        if not isinstance(key, yaml.ScalarEvent) or key.value == "<<":
            return None
        keys.append(key.value)
        _skip_value(events)
    return None


def _skip_value(events) -> None:
    """Past one value: a scalar, an alias, or a whole collection (counted, not recursed: depth is the input's)."""
    depth = 0
    for event in events:
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        if depth == 0:
            return


def _output_is_of(data: bytes, out_dir: Path) -> bool:
    """nexus.json in OUT_DIR records these spec bytes: the cache will most likely serve the synth."""
    manifest = read_manifest(out_dir) or {}
    recorded = manifest.get("spec") if isinstance(manifest.get("spec"), dict) else {}
    return recorded.get("sha256") == hashlib.sha256(data).hexdigest()


class _Loading:
    """The CDK core loaded now, in the calling thread (Node's start and ~0.2 s: what every binding needs first),
    then a thread that imports the bindings (each binding's package loads its assembly into Node on import) and
    mostly waits for Node while the calling thread goes on with its Python."""

    def __init__(self, bindings: tuple[str, ...]) -> None:
        self.bindings = bindings
        self.thread = threading.Thread(target=self._load, name="nexus-bindings-load", daemon=True)

    def start(self) -> bool:
        try:
            prepare_jsii_environment()
            import cdktn  # noqa: F401
        except Exception:  # noqa: BLE001 - build_app does it again and reports what went wrong, where it always did
            return False
        guard_node_exit()
        self.thread.start()
        return True

    def _load(self) -> None:
        try:
            for module in self.bindings:
                importlib.import_module(module)
        except BaseException:  # noqa: BLE001 - build_app imports the same modules and raises what went wrong
            return
