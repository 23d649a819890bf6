"""`nexus watch` sees saves by polling: each editor's way of saving is one save, a touch is none. The clock is a
script: each sleep of the watch performs the next step of an editor, so no test depends on timing."""
from __future__ import annotations

import os

from cdktf_app.watch import _saves


class ScriptDone(Exception):
    pass


def moments(spec, *steps) -> list[str]:
    """What `_saves` yields while each of its sleeps runs the next step (None: nothing happens meanwhile)."""
    script = iter([*steps, None, None, None, None])

    def sleep(_seconds: float) -> None:
        step = next(script, ScriptDone)
        if step is ScriptDone:
            raise ScriptDone
        if step is not None:
            step()

    said = []
    try:
        for moment in _saves(spec, 0.05, 0.1, sleep=sleep):
            said.append(moment)
    except ScriptDone:
        pass
    return said


def write(spec, text):
    return lambda: spec.write_text(text, encoding="utf-8")


def test_a_truncate_then_write_seen_half_way_is_one_save(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text("name: one\n", encoding="utf-8")
    truncate = lambda: spec.open("w").close()  # the poll sees an empty file, the debounce the written one
    assert moments(spec, truncate, write(spec, "name: two\n")) == ["start", "saved"]


def test_a_rename_over_the_spec_is_one_save(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text("name: one\n", encoding="utf-8")

    def rename_over():
        (tmp_path / ".nexus.yaml.swp").write_text("name: two\n", encoding="utf-8")
        os.replace(tmp_path / ".nexus.yaml.swp", spec)

    assert moments(spec, rename_over) == ["start", "saved"]


def test_a_delete_then_write_is_one_save(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text("name: one\n", encoding="utf-8")
    assert moments(spec, spec.unlink, write(spec, "name: two\n")) == ["start", "saved"]


def test_a_touch_or_a_rewrite_of_the_same_bytes_is_no_save(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text("name: one\n", encoding="utf-8")
    later = spec.stat().st_mtime_ns + 5_000_000_000
    assert moments(spec, lambda: os.utime(spec, ns=(later, later)), write(spec, "name: one\n")) == ["start"]


def test_two_saves_apart_are_two_saves(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text("name: one\n", encoding="utf-8")
    assert moments(spec, write(spec, "name: two\n"), None, None, write(spec, "name: six\n")) \
        == ["start", "saved", "saved"]

