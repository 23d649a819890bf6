"""Function code archives, built byte-for-byte reproducibly (sorted entries, fixed dates and modes)."""
from __future__ import annotations

import hashlib
import io
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


def _archive(entries: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=_FIXED_DATE)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def source_files(directory: Path) -> list[tuple[str, bytes]]:
    return [(path.relative_to(directory).as_posix(), path.read_bytes())
            for path in sorted(directory.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith(".")]


def function_archive(base_dir: Path, source: str | None, runtime: str, where: Problem) -> bytes:
    """Zip the function's source directory (relative to the spec), or a stub for its runtime."""
    if source is None:
        family = "python" if runtime.startswith("python") else "nodejs" if runtime.startswith("node") else "go"
        return _archive([_STUBS[family]])
    directory = (base_dir / source).resolve()
    if not directory.is_dir():
        raise SpecError([Problem(f"function source '{source}' is not a directory (resolved to {directory})",
                                 file=where.file, line=where.line, column=where.column, path=where.path)])
    entries = source_files(directory)
    if not entries:
        raise SpecError([Problem(f"function source '{source}' is empty", file=where.file, line=where.line,
                                 column=where.column, path=where.path)])
    return _archive(entries)


def sha256_base64(data: bytes) -> str:
    import base64

    return base64.b64encode(hashlib.sha256(data).digest()).decode()
