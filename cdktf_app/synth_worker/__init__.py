"""The synth worker: one warm process per project (and Nexus code and binding set) that keeps the jsii kernel and
the CDK bindings loaded, so a changed spec re-synthesizes without Node's start and the bindings' load.

The CLI turns it on for the command it runs (`nexus --no-worker ...` or NEXUS_SYNTH_WORKER=off keep it off);
library calls synthesize in their own process unless NEXUS_SYNTH_WORKER says otherwise:

    unset   in this process (the library's default; the CLI sets `on` for its command)
    off     in this process, also for the CLI and every child it starts
    on      the worker of the project of the first spec synthesized (the spec's folder), then pinned to it
    /path   the worker of that project folder

stacks.synth calls `synthesize_in_worker`: the worker writes the stacks into synth's scratch folder, synth moves
them into place; any failure of the worker (not running and cannot start, killed mid-synth, stale, timed out)
returns None and synth runs in this process, so the output is the same bytes either way and nothing half-written
ever reaches the out dir. The worker lives in `.nexus/synth-worker/` of the project (folder 0700, socket 0600,
both ends check that the peer is the same user), exits after IDLE_SECONDS without work, and is replaced when
Nexus' code, its version or the binding versions differ from the command's (`worker_key`).
"""
from ..lazy_exports import lazy_exports

# Light to import: the CLI sets the switch before it imports the spec model and the CDK.
_HOMES = {"WORKER_VARIABLE": "switch", "pin_project": "switch", "session": "switch", "WorkerStatus": "client",
          "stop_worker": "client", "synthesize_in_worker": "client", "worker_status": "client"}
__all__ = sorted(_HOMES)
__getattr__ = lazy_exports(__name__, _HOMES)
