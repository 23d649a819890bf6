"""`--fix adopt` refuses a drifted value that fails the gate, and writes nothing (no sandbox: the drift is given)."""
from __future__ import annotations

import pytest

from cdktf_app.drift import Detected
from cdktf_app.drift.changes import AttributeDrift, ResourceDrift
from cdktf_app.drift.fix import AdoptRefused, adopt
from cdktf_app.drift.report import DriftItem, DriftReport
from cdktf_app.stacks.synth import synth
from cdktf_app.workspace import load
from tests.helpers import TINY_SPEC, write_spec


def test_a_drifted_value_that_fails_the_gate_is_refused_and_the_spec_is_unchanged(tmp_path, checkov_worker):
    spec = write_spec(tmp_path, TINY_SPEC + "# kept as it is\n")
    synthesized = synth(load(spec), tmp_path / "cdktf.out")
    opened = ResourceDrift(address="aws_s3_bucket_public_access_block.files_public_access",
                           resource_type="aws_s3_bucket_public_access_block", action="update",
                           attributes=(AttributeDrift("block_public_acls", True, False),),
                           addresses=("aws_s3_bucket_public_access_block.files_public_access",))
    item = DriftItem(stack="tiny-dev-aws", drift=opened, severity="critical", file=str(spec), line=5,
                     spec_path="components.files", component="files")
    detected = Detected(report=DriftReport(spec_name="tiny", stacks=("tiny-dev-aws",), items=[item]),
                        synthesized=synthesized, plans=())
    with pytest.raises(AdoptRefused) as refused:
        adopt(detected, worker=checkov_worker)
    assert "fail the gate" in str(refused.value) and "CKV_AWS_53" in str(refused.value)
    assert refused.value.exit_code == 1
    assert spec.read_text() == TINY_SPEC + "# kept as it is\n"


def test_a_deletion_is_no_value_to_adopt_and_nothing_is_checked_or_written(tmp_path):
    spec = write_spec(tmp_path, TINY_SPEC)
    gone = ResourceDrift(address="aws_s3_bucket.files", resource_type="aws_s3_bucket", action="delete",
                         addresses=("aws_s3_bucket.files",))
    item = DriftItem(stack="tiny-dev-aws", drift=gone, severity="medium", file=str(spec), line=5,
                     spec_path="components.files", component="files")
    detected = Detected(report=DriftReport(spec_name="tiny", stacks=("tiny-dev-aws",), items=[item]),
                        synthesized=synth(load(spec), tmp_path / "cdktf.out"), plans=())
    with pytest.raises(AdoptRefused, match="deleted outside Terraform; a deletion is not a value to adopt"):
        adopt(detected)
    assert spec.read_text() == TINY_SPEC
