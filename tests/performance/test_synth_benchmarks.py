"""Synth speed (pytest-benchmark; run `make bench` or `pytest tests/performance --benchmark-enable`)."""
from __future__ import annotations

import json
import shutil

import pytest

from cdktf_app.stacks.synth import synth
from tests.conftest import FIXTURES
from tests.performance.scale import handwritten_app, scale_spec

SCALE = 2000


@pytest.fixture(scope="module")
def aws_all_spec(tmp_path_factory):
    work = tmp_path_factory.mktemp("bench")
    shutil.copyfile(FIXTURES / "specs" / "aws-all.yaml", work / "nexus.yaml")
    return work / "nexus.yaml"


def test_unchanged_resynth_reuses_output(benchmark, aws_all_spec):
    out = aws_all_spec.parent / "out"
    synth(aws_all_spec, out)
    result = benchmark(synth, aws_all_spec, out)
    assert result.cached
    if benchmark.stats:  # None when benchmarks are disabled (plain `make test`)
        assert benchmark.stats.stats.median <= 0.3


def test_warm_synth_of_every_component_type(benchmark, aws_all_spec):
    out = aws_all_spec.parent / "warm"
    result = benchmark.pedantic(synth, args=(aws_all_spec, out), kwargs={"use_cache": False}, rounds=2,
                                iterations=1)
    assert not result.cached and result.stacks[0].name == "shop-dev-aws"


@pytest.fixture(scope="module")
def scale_work(tmp_path_factory):
    work = tmp_path_factory.mktemp("scale")
    (work / "nexus.yaml").write_text(scale_spec(SCALE))
    return work


def test_scale_spec_matches_the_handwritten_app_byte_for_byte(scale_work):
    synth(scale_work / "nexus.yaml", scale_work / "nexus-out", use_cache=False)
    handwritten_app(SCALE, str(scale_work / "hand-out"))
    ours = (scale_work / "nexus-out/stacks/scale-dev-aws/cdk.tf.json").read_bytes()
    theirs = (scale_work / "hand-out/stacks/scale-dev-aws/cdk.tf.json").read_bytes()
    assert ours == theirs
    assert len(json.loads(ours)["resource"]["aws_sqs_queue"]) == SCALE


@pytest.mark.benchmark(group="scale-2000")
def test_scale_nexus(benchmark, scale_work):
    benchmark.pedantic(synth, args=(scale_work / "nexus.yaml", scale_work / "bench-nexus"),
                       kwargs={"use_cache": False}, rounds=1, iterations=1)


@pytest.mark.benchmark(group="scale-2000")
def test_scale_handwritten(benchmark, scale_work):
    benchmark.pedantic(handwritten_app, args=(SCALE, str(scale_work / "bench-hand")), rounds=1, iterations=1)
