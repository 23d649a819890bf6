"""The synth worker runs without the bindings' runtime type checks (python -O); its bytes are a cold synth's
(tests/integration/test_synth_worker.py compares them on every blueprint)."""
from __future__ import annotations

from pathlib import Path

from cdktf_app.stacks.synth import synth
from cdktf_app.synth_worker import WORKER_VARIABLE, stop_worker, worker_status
from tests.helpers import write_spec
from tests.performance.scale import scale_spec


def test_worker_runs_without_debug_checks(tmp_path, monkeypatch):
    monkeypatch.setenv(WORKER_VARIABLE, str(tmp_path))
    try:
        result = synth(write_spec(tmp_path, scale_spec(3)), tmp_path / "cdktf.out", use_cache=False)
        status = worker_status(tmp_path)
        assert status is not None and status.synths == 1
        arguments = Path(f"/proc/{status.pid}/cmdline").read_bytes().split(b"\0")
        assert arguments[1:4] == [b"-O", b"-m", b"cdktf_app.synth_worker.server"]
    finally:
        stop_worker(tmp_path)
    monkeypatch.setenv(WORKER_VARIABLE, "off")
    (tmp_path / "cold").mkdir()
    cold = synth(write_spec(tmp_path / "cold", scale_spec(3)), tmp_path / "cold" / "cdktf.out", use_cache=False)
    assert ((result.out_dir / "stacks/scale-dev-aws/cdk.tf.json").read_bytes()
            == (cold.out_dir / "stacks/scale-dev-aws/cdk.tf.json").read_bytes())
