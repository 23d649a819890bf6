"""Function code archives, built byte-for-byte reproducibly (sorted entries, fixed dates and modes)."""
from __future__ import annotations

import fnmatch
import hashlib
import io
import os
import zipfile
from pathlib import Path

from ..errors import Problem, SpecError

_FIXED_DATE = (1980, 1, 1, 0, 0, 0)

# Answers 501 until real code is deployed: the stack is valid and honest about having no code yet.
_STUBS = {
    "python": ("main.py", 'def handler(event, context):\n    return {"statusCode": 501, '
                          '"body": "no code deployed yet: set source: in the Nexus spec"}\n'),
    "nodejs": ("index.js", 'exports.handler = async () => ({ statusCode: 501, '
                           'body: "no code deployed yet: set source: in the Nexus spec" });\n'),
    "go": ("README.txt", "Build your Go handler as 'bootstrap' and set source: in the Nexus spec.\n"),
}


def archive(entries: list[tuple[str, bytes]]) -> bytes:
    """A zip of (name, bytes) entries that is byte-for-byte the same for the same entries."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zipped.writestr(info, data)
    return buffer.getvalue()


# Version-control metadata and caches: never code, skipped like a .gitignore would.
SKIPPED_NAMES = frozenset({".git", ".hg", ".svn", ".gitignore", ".gitattributes", ".DS_Store", "__pycache__"})
# Names of files that hold keys, credentials or Terraform state/variables: a source holding one is refused.
SECRET_PATTERNS = ("*.pem", "*.key", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.ppk", "*.kdbx", "id_rsa*",
                   "id_dsa*", "id_ecdsa*", "id_ed25519*", "credentials", "credentials.json", "*.tfstate",
                   "*.tfstate.*", "*.tfvars", "*.tfvars.json", "terraform.rc")
MAX_REPORTED = 20


def refusal(name: str) -> str | None:
    """Why a file or folder of this name is never packaged, or None."""
    if any(fnmatch.fnmatch(name.lower(), pattern) for pattern in SECRET_PATTERNS):
        return "looks like a secret (a key, credentials, Terraform state or variables)"
    if name.startswith("."):
        return "starts with a dot: dot-files and dot-folders hold credentials and tool settings (.env, .aws/, .ssh/)"
    return None


def function_source_files(base_dir: Path, source: str, where: Problem) -> list[tuple[str, bytes]]:
    """The files of a function's source folder, as (archive name, bytes). The folder and every file in it stay
    inside the project (the spec's folder, symlinks resolved); secret files, dot-files and anything that is not
    a regular file are refused with the file named; version-control folders and caches are skipped."""
    project = base_dir.resolve()
    directory = (base_dir / source).resolve()
    if not directory.is_relative_to(project):
        raise _error(where, f"function source '{source}' resolves to {directory}, outside the project folder "
                            f"{project}; function code lives beside the spec")
    if not directory.is_dir():
        raise _error(where, f"function source '{source}' is not a directory (resolved to {directory})")
    files, refused = _walk(directory, project)
    if refused:
        shown = [f"function source '{source}': '{Path(source) / name}' {why} and is "
                 "never packaged; move it out of the source folder"
                 for name, why in refused[:MAX_REPORTED]]
        if len(refused) > MAX_REPORTED:
            shown.append(f"function source '{source}': {len(refused) - MAX_REPORTED} more files refused")
        raise SpecError([_problem(where, message) for message in shown])
    if not files:
        raise _error(where, f"function source '{source}' is empty")
    return [(name, path.read_bytes()) for name, path in files]


def _walk(directory: Path, project: Path) -> tuple[list[tuple[str, Path]], list[tuple[str, str]]]:
    """(archive name, path) of each file to package and (name, reason) of each refused entry, sorted. Symlinked
    folders inside the project are followed; each real folder is walked once (a link up the tree is no loop)."""
    files, refused, visited = [], [], set()
    for folder, folders, names in os.walk(directory, followlinks=True):
        real = Path(folder).resolve()
        if real in visited:
            folders[:] = []
            continue
        visited.add(real)
        entered = []
        for name in folders + names:
            if name in SKIPPED_NAMES:
                continue
            path = Path(folder) / name
            why = refusal(name) or _outside_or_special(path, project)
            if why:
                refused.append((path.relative_to(directory).as_posix(), why))
            elif path.is_file():
                files.append((path.relative_to(directory).as_posix(), path))
            else:
                entered.append(name)
        folders[:] = sorted(entered)
    return sorted(files), sorted(refused)


def _outside_or_special(path: Path, project: Path) -> str | None:
    target = path.resolve()
    if not target.is_relative_to(project):
        return f"is a symlink to {target}, outside the project folder {project}"
    if not (target.is_file() or target.is_dir()):
        return "is not a regular file (a device, FIFO, socket or broken link)"
    return None


def _problem(where: Problem, message: str) -> Problem:
    return Problem(message, file=where.file, line=where.line, column=where.column, path=where.path)


def _error(where: Problem, message: str) -> SpecError:
    return SpecError([_problem(where, message)])


def function_archive(base_dir: Path, source: str | None, runtime: str, where: Problem) -> bytes:
    """Zip the function's source directory (relative to the spec), or a stub for its runtime."""
    if source is None:
        family = "python" if runtime.startswith("python") else "nodejs" if runtime.startswith("node") else "go"
        return archive([_STUBS[family]])
    return archive(function_source_files(base_dir, source, where))


def sha256_base64(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode()
