"""One quoting rule for every YAML text Nexus writes (spec.document): what it writes reads back as the very value
under the spec loader (YAML 1.1), and the blueprint renderer, the offline generator and the model path write the
same value the same way."""
from __future__ import annotations

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cdktf_app.blueprints.catalog import BLUEPRINTS_DIR_ENV, render_blueprint
from cdktf_app.nli.pipeline import spec_yaml
from cdktf_app.spec.document import dump_document, load_document, needs_quotes, scalar, set_value
from cdktf_app.spec.loader import load_spec_text

BASE = "apiVersion: nexus/v1\nname: app\nproviders:\n  aws:\n    region: us-east-1\n"
# Strings YAML 1.1 or 1.2 reads as something else, or whose plain form would open structure.
LOOKALIKES = ["yes", "No", "on", "OFF", "y", "~", "null", "0o17", "0777", "0x1F", "1_000", "12:30", "2026-01-02",
              ".inf", ".NaN", "1e3", "+1", "<<", "=", "- a", "a: b", "a:", "[x]", "{y}", "a,b", "a?b", "${x}", "'q'",
              '"q"', "#c", "a #b", "a#b", "&a", "*_cdn", "!tag", "|", ">", "%x", "@x", "`x", "...", "---", " padded",
              "tail ", "", "\x85", "a\u2028b", "a\u202eb", "\ufeffbom", "nul\x00", "tab\there", "x\ny: z"]
TEXT = st.text(max_size=60) | st.sampled_from(LOOKALIKES)
PRINTABLE_TEXT = TEXT.filter(str.isprintable)


@settings(max_examples=400, deadline=None)
@given(TEXT)
def test_a_scalar_reads_back_through_the_spec_loader_as_the_same_string(text):
    loaded = load_spec_text(f"{BASE}description: {scalar(text)}\n")
    assert loaded.spec.description == text
    assert "\n" not in scalar(text) and scalar(text).isprintable()


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_a_document_writes_a_new_value_and_key_with_the_same_rule(text):
    document = load_document(BASE)
    set_value(document, ("description",), text)
    assert dump_document(document) == f"{BASE}description: {scalar(text)}\n"
    assert dump_document({text: text}) == f"{scalar(text)}: {scalar(text)}\n"
    assert yaml.safe_load(dump_document({"items": [text]})) == {"items": [text]}


@pytest.fixture
def text_blueprint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blueprints") / "text"
    folder.mkdir()
    (folder / "blueprint.yaml").write_text(
        "title: Text\nsummary: one free-text parameter\nindustry: Testing\n"
        "parameters:\n  text:\n    type: string\n    default: x\n    description: any text\n")
    (folder / "nexus.yaml.j2").write_text(BASE + "description: {{ text }}\n")
    return folder.parent


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(PRINTABLE_TEXT)
def test_the_blueprint_renderer_and_the_generators_quote_a_value_alike(text_blueprint, monkeypatch, text):
    monkeypatch.setenv(BLUEPRINTS_DIR_ENV, str(text_blueprint))
    rendered = render_blueprint("text", {"text": text})
    offline = load_document(BASE)
    set_value(offline, ("description",), text)  # as the offline generator's tailoring sets a value
    model = spec_yaml(yaml.safe_load(BASE) | {"description": text})
    line = f"description: {scalar(text)}\n"
    assert rendered.endswith("\n" + line)
    assert dump_document(offline).endswith("\n" + line)
    assert "\n" + line in model  # spec_yaml puts description after name


@pytest.mark.parametrize("text, written", [
    ("*_cdn", '"*_cdn"'),                      # ruamel alone wrote '*_cdn', the blueprints "*_cdn"
    ("a, b", '"a, b"'),                        # plain in block context, two items in a flow list
    ("on", '"on"'),                            # a string to ruamel (YAML 1.2), True to the spec loader (YAML 1.1)
    ("0o17", '"0o17"'),                        # 15 to ruamel (YAML 1.2)
    ("pay\u202eload", '"pay\\u202Eload"'),      # a bidi override shows as its escape, not as reordered text
    ("nginx:1.27-alpine", "nginx:1.27-alpine"),
    ("alerts@example.com", "alerts@example.com"),
    ("/", "/"),
])
def test_the_rule(text, written):
    assert scalar(text) == written
    assert needs_quotes(text) == written.startswith('"')
    assert dump_document({"k": text}) == f"k: {written}\n"


def test_text_read_from_the_file_keeps_its_own_quoting_when_an_edit_writes_its_line():
    text = "a: 'x'\nb: one, two\nc: \"y\"\n"
    document = load_document(text)
    set_value(document, ("d",), "three, four")
    assert dump_document(document, like=text) == text + 'd: "three, four"\n'
