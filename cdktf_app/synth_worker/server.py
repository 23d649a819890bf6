"""The synth worker process: `python -m cdktf_app.synth_worker.server FOLDER [BINDING ...]` (the client starts it).

It loads the jsii kernel and the CDK core once, listens on FOLDER/socket (0600), loads the provider BINDINGS the
command that started it named (`cdktn_provider_aws`; requests wait in the socket's backlog meanwhile) and answers
one request per connection from the same user: `hello` (pid, key), `stop`, and `synth`, which runs
stacks.synth.write_app into the command's scratch folder with the command's environment and working directory. It
exits after IDLE_SECONDS without a request, when its socket is no longer its own (another worker replaced it, the
project was removed), when asked to synthesize for other code than its own (`stale`), and after any failed synth (a
fresh kernel next time).
"""
from __future__ import annotations

import importlib
import os
import shutil
import socket
import sys
import time
from pathlib import Path

from .protocol import SOCKET_NAME, receive, same_user, send, worker_key

IDLE_SECONDS = 900.0
TICK_SECONDS = 2.0
REQUEST_READ_SECONDS = 60.0


class Worker:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.key = worker_key()  # first: the code this process loads from here on is the code it was keyed on
        self.synths = 0
        self.listener: socket.socket | None = None
        self.inode: int | None = None

    def warm_up(self) -> None:
        from ..stacks.runtime import prepare_jsii_environment

        prepare_jsii_environment()
        import cdktn  # noqa: F401  (starts Node and loads the CDK core: the seconds a cold synth pays first)

    def load(self, bindings: tuple[str, ...]) -> None:
        """Import the provider bindings a first request will need (each loads its assembly into Node), after
        listening: the command that started this worker is still reading its spec."""
        from ..stacks.preload import CLOUD_BINDINGS

        for module in bindings:
            if module not in CLOUD_BINDINGS.values():
                _log(f"not a provider binding, not loaded: {module}")
                continue
            started = time.perf_counter()
            try:
                importlib.import_module(module)
            except Exception as error:  # the synth that needs it imports it again and fails there, in its answer
                _log(f"loading {module} failed: {type(error).__name__}: {error}")
                continue
            _log(f"loaded {module} in {time.perf_counter() - started:.2f}s")

    def listen(self) -> None:
        """Bind a private name, then rename it over the socket path: a client never sees a half-made socket."""
        os.chdir(self.folder)
        temporary = f".socket-{os.getpid()}"
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        umask = os.umask(0o077)
        try:
            self.listener.bind(temporary)
        finally:
            os.umask(umask)
        os.chmod(temporary, 0o600)
        self.listener.listen(16)
        self.listener.settimeout(TICK_SECONDS)
        os.rename(temporary, SOCKET_NAME)
        self.inode = os.stat(SOCKET_NAME).st_ino

    def owns_socket(self) -> bool:
        try:
            return os.stat(self.folder / SOCKET_NAME).st_ino == self.inode
        except OSError:
            return False

    def release_socket(self) -> None:
        if self.owns_socket():
            os.unlink(self.folder / SOCKET_NAME)

    def serve(self) -> None:
        idle_since = time.monotonic()
        while True:
            try:
                connection, _ = self.listener.accept()
            except (TimeoutError, socket.timeout):
                if time.monotonic() - idle_since > IDLE_SECONDS or not self.owns_socket():
                    break
                continue
            with connection:
                try:
                    keep_serving = self.answer(connection)
                except Exception:  # a command that went away mid-request, or sent what is not a request
                    keep_serving = True
            idle_since = time.monotonic()
            if not keep_serving:
                break
        self.release_socket()

    def answer(self, connection: socket.socket) -> bool:
        if not same_user(connection):
            return True
        connection.settimeout(REQUEST_READ_SECONDS)
        request = receive(connection)
        operation = request.get("op")
        if operation == "hello":
            send(connection, {"status": "ok", "pid": os.getpid(), "key": self.key, "synths": self.synths})
            return True
        if operation == "synth" and request.get("key") == self.key:
            return self.synthesize(connection, request)
        self.release_socket()  # before the answer: the client's next connection must not reach this process
        send(connection, {"status": "stale" if operation == "synth" else "stopped"})
        return False

    def synthesize(self, connection: socket.socket, request: dict) -> bool:
        from ..hcl_modules import read_module
        from ..stacks.synth import write_app

        started = time.perf_counter()
        saved_environment = dict(os.environ)
        try:
            _replace_environment(request["environ"])
            os.chdir(request["cwd"])
            read_module.cache_clear()  # module files may have changed since the last synth
            stacks, provenance = write_app(request["loaded"], Path(request["scratch_dir"]), Path(request["out_dir"]),
                                           request["spec_label"], request["cache_key"], request["unsafe"])
        except BaseException as error:  # any failure: the client synthesizes by itself, this process retires
            self.release_socket()
            send(connection, {"status": "failed", "error": f"{type(error).__name__}: {error}"})
            return False
        finally:
            _replace_environment(saved_environment)
            os.chdir(self.folder)
        self.synths += 1
        try:
            send(connection, {"status": "ok", "stacks": stacks, "provenance": provenance})
        except OSError:  # the command went away (Ctrl-C, killed): what was written for it is nobody's now
            shutil.rmtree(request["scratch_dir"], ignore_errors=True)
            _log(f"the command went away before synth {self.synths} was answered; removed its scratch folder")
            return True
        _log(f"synth {self.synths} of {request['spec_label']} in {time.perf_counter() - started:.2f}s")
        return True


def _log(line: str) -> None:
    """A line of the worker's log (its stderr is the log file the client opened for it)."""
    print(f"{time.strftime('%Y-%m-%dT%H:%M:%S')} worker {os.getpid()}: {line}", file=sys.stderr, flush=True)


def _replace_environment(values: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(values)


def main(folder: str, *bindings: str) -> None:
    worker = Worker(Path(folder))
    worker.warm_up()
    worker.listen()
    _log("listening")
    worker.load(bindings)
    worker.serve()


if __name__ == "__main__":
    main(*sys.argv[1:])
