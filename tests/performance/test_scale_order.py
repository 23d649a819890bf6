"""Nexus's own work per component stays linear at scale (no timing: comparisons are counted)."""
from __future__ import annotations

from cdktf_app.spec import load_spec
from cdktf_app.stacks.app import _reference_order
from tests.performance.scale import scale_spec

COUNT = 2000


class CountedName(str):
    """A component name that counts how often it is compared for equality."""
    comparisons = 0

    def __eq__(self, other: object) -> bool:
        CountedName.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_reference_order_compares_each_name_a_bounded_number_of_times(tmp_path):
    spec_file = tmp_path / "nexus.yaml"
    spec_file.write_text(scale_spec(COUNT))
    spec = load_spec(spec_file).spec
    names = [CountedName(name) for name in spec.components]
    CountedName.comparisons = 0
    ordered = _reference_order(spec, names)
    assert ordered == names  # queues name nothing: spec order
    assert CountedName.comparisons <= 10 * COUNT  # a list's `in` per name made it about COUNT**2 / 2
