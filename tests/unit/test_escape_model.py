"""escape_model copies only what it must: a frozen model with no text to escape and no list or dict inside is
returned as it is (2,000 components were 2,000 copies), text to escape still gives a copy, lists and dicts are
still fresh copies a builder may change, and every string anywhere is still escaped."""
from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cdktf_app.kit.text import escape, escape_model, escape_value
from cdktf_app.spec.loader import load_spec_text
from tests.helpers import aws_spec

SPEC = aws_spec("escapes", """\
compliance:
  standards: [{pci-dss: "4.0"}]
components:
  plain: {type: queue, dead_letter: false}
  templated: {type: queue, description: "costs ${var.price} %{if x}"}
""")


def test_a_frozen_model_with_nothing_to_escape_is_not_copied():
    spec = load_spec_text(SPEC).spec
    standard = spec.compliance.standards[0]
    assert escape_model(standard) is standard
    assert escape_model(spec.providers.aws) is spec.providers.aws


def test_text_to_escape_gives_a_copy_and_leaves_the_spec_as_written():
    spec = load_spec_text(SPEC).spec
    escaped = escape_model(spec)
    templated = escaped.components["templated"]
    assert templated.description == "costs $${var.price} %%{if x}"
    assert spec.components["templated"].description == "costs ${var.price} %{if x}"
    assert templated.model_fields_set == spec.components["templated"].model_fields_set


def test_lists_and_dicts_are_fresh_copies_even_with_nothing_to_escape():
    spec = load_spec_text(SPEC).spec
    escaped = escape_model(spec)
    plain = escaped.components["plain"]
    assert plain.tags == spec.components["plain"].tags and plain.tags is not spec.components["plain"].tags
    assert escaped.compliance.standards is not spec.compliance.standards
    assert escaped.environments is not spec.environments


def escaped_everywhere(value):
    """What escaping means, written plainly: every string, at any depth, keys included."""
    if isinstance(value, str):
        return escape(value)
    if isinstance(value, dict):
        return {escaped_everywhere(key): escaped_everywhere(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(escaped_everywhere(item) for item in value)
    return value


TEXT = st.text(alphabet="${}%ab", max_size=8)
DATA = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
                    | st.dictionaries(TEXT, inner, max_size=4), max_leaves=20)


@given(DATA)
def test_every_string_at_any_depth_is_escaped(value):
    assert escape_value(value) == escaped_everywhere(value)
