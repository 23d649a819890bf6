"""Model output is untrusted: hardening, JSON parsing, YAML writing and the header comment."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import yaml
from hypothesis import given, settings, strategies as st

from cdktf_app.nli.intent import parse_intent
from cdktf_app.nli.pipeline import Draft, header_comment, parse_answer, spec_yaml
from cdktf_app.nli.prompts import repair_prompt, schema_summary, system_prompt
from cdktf_app.nli.safety import harden
from cdktf_app.errors import Problem
from cdktf_app.spec.loader import load_spec_text
from cdktf_app.spec.model import COMPONENT_TYPES

SEED_ANSWER = json.loads((Path(__file__).parent.parent / "fixtures" / "nli" / "seed-answer.json").read_text())


def fresh() -> dict:
    return json.loads(json.dumps(SEED_ANSWER))


def test_overrides_are_removed_unless_allowed():
    data = fresh()
    data["overrides"] = {"aws_s3_bucket.documents": {"acl": "public-read"}}
    notes = harden(data, parse_intent("x"), allow_overrides=False)
    assert "overrides" not in data and "removed overrides of aws_s3_bucket.documents" in notes[0]
    allowed = fresh()
    allowed["overrides"] = {"aws_s3_bucket.documents": {"acl": "private"}}
    assert not any("overrides" in note for note in harden(allowed, parse_intent("x"), allow_overrides=True))
    assert allowed["overrides"] == {"aws_s3_bucket.documents": {"acl": "private"}}


def test_security_switches_are_kept_on_and_plaintext_secrets_removed():
    data = fresh()
    data["components"]["db"].update(encrypted=False, public=True, deletion_protection=False)
    data["components"]["documents"]["public"] = True
    data["components"]["network"]["flow_logs"] = False
    data["components"]["web"]["environment"] = {"DB_PASSWORD": "hunter2", "LOG_LEVEL": "info", "api_key": "k"}
    data["compliance"].update(gate="critical", suppressions=[{"check": "CKV_AWS_1", "reason": "because I said so"}])
    intent = parse_intent("PCI app; store the db password in plain text and turn off encryption and logging")
    notes = harden(data, intent, allow_overrides=False)
    db = data["components"]["db"]
    assert (db["encrypted"], db["public"], db["deletion_protection"]) == (True, False, True)
    assert data["components"]["documents"]["public"] is False and data["components"]["network"]["flow_logs"]
    assert data["components"]["web"]["environment"] == {"LOG_LEVEL": "info"}
    assert data["compliance"]["gate"] == "high" and "suppressions" not in data["compliance"]
    assert data["components"]["web"]["public"] is True  # a public web tier is a design choice, not a weakness
    text = "\n".join(notes)
    for expected in ("components.db.encrypted: kept true", "environment.DB_PASSWORD: removed", "plain text",
                     "keeps them on", "compliance.gate: high instead of critical"):
        assert expected in text
    load_spec_text(spec_yaml(data))


def test_standards_named_in_the_prompt_are_declared():
    data = fresh()
    data["compliance"]["standards"] = []
    notes = harden(data, parse_intent("HIPAA and SOC 2 type 1 web app"), allow_overrides=False)
    assert data["compliance"]["standards"] == [{"hipaa": "v3.2"}, {"soc2": "type1"}]
    assert any("added hipaa, soc2" in note for note in notes)


def test_hardening_tolerates_any_shape():
    for junk in ([], "text", {"components": [1, 2]}, {"components": {"a": "b"}, "compliance": "off"}):
        harden(junk, parse_intent("pci app"), allow_overrides=False)


def test_parse_answer():
    assert parse_answer('{"a": 1}') == ({"a": 1}, None)
    assert parse_answer('Here you go:\n```json\n{"a": {"b": [1]}}\n```\nEnjoy!') == ({"a": {"b": [1]}}, None)
    assert parse_answer("no spec for you")[1] == "the answer is not a JSON object"
    assert "not valid JSON" in parse_answer('{"a": }')[1]
    assert parse_answer("[1, 2]")[1] == "the answer is not a JSON object"


YAML_11_LOOKALIKES = ["Yes", "on", "OFF", "~", "null", "0o17", "0x1F", "1_000", "12:30", "2026-01-02", ".inf", "1e3",
                      "\x85", "a\u2028b", "${x}", "a: b\n- c", "'\"#", " padded ", ""]


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=0, max_size=60) | st.sampled_from(YAML_11_LOOKALIKES))
def test_any_model_text_is_written_as_exactly_that_text(text):
    """The spec loader reads YAML 1.1 (PyYAML): `Yes` must not come back as True, `0o17` not as 15."""
    data = fresh()
    data["description"] = text
    data["tags"] = {text: text}
    data["components"]["web"]["environment"] = {"GREETING": text}
    read = yaml.safe_load(spec_yaml(data))
    assert read["description"] == text and read["tags"] == {text: text}
    assert read["components"]["web"]["environment"] == {"GREETING": text}
    assert set(read) == set(data)


def test_offline_values_are_quoted_for_yaml_11_too():
    from cdktf_app.spec.document import dump_document

    assert yaml.safe_load(dump_document({"locations": ["no", "on", "yes_site"], "name": "off"})) == {
        "locations": ["no", "on", "yes_site"], "name": "off"}


def test_the_header_records_prompt_source_date_and_notes_and_cannot_be_broken_out_of():
    prompt = "web app\napiVersion: evil\u2028components: {}\x85overrides:\n  # x"
    draft = Draft(body="", notes=["a note\nsecond: line"], blueprint="fintech")
    header = header_comment(prompt, "offline intent parser (--offline)", draft, parse_intent(prompt),
                            dt.date(2026, 1, 2))
    assert header.startswith("# Generated by `nexus generate` on 2026-01-02 from offline intent parser (--offline).")
    assert all(line.startswith("#") for line in header.splitlines())
    assert yaml.safe_load(header + "apiVersion: nexus/v1\n") == {"apiVersion": "nexus/v1"}
    assert "web app apiVersion: evil components: {} overrides: # x" in header
    assert "# Words the offline parser did not understand: apiversion, evil, components, overrides\n" in header


def test_the_system_prompt_carries_schema_catalogue_and_real_examples():
    text = system_prompt()
    for component_type in COMPONENT_TYPES:
        assert f'"{component_type}"' in schema_summary()
    for blueprint in ("fintech", "ecommerce", "healthcare", "gamedev", "devops-platform"):
        assert f"- {blueprint}: " in text
    example = text[text.index('Worked example: the "fintech" blueprint'):].split("\n", 1)[1]
    spec = json.JSONDecoder().raw_decode(example)[0]
    load_spec_text(spec_yaml(spec))
    assert 'The user chose the blueprint "healthcare"' in system_prompt("healthcare")


def test_the_repair_prompt_lists_every_problem_by_spec_path():
    text = repair_prompt([Problem("got 'oracle'", path="components.db.engine"), Problem("missing", path="")])
    assert "2 problems" in text and "- components.db.engine: got 'oracle'" in text and "- (top level): missing" in text


def test_only_the_exceptions_nexus_blueprints_make_survive():
    data = fresh()
    data["compliance"]["suppressions"] = [
        {"check": "CKV_AWS_2", "resource": "web", "reason": "no certificate yet, plain HTTP for now"},   # as fintech
        {"check": "CKV_AWS_2", "resource": "api", "reason": "internal load balancer in private subnets"},
        {"check": "CKV_AWS_16", "resource": "db", "reason": "the model would like this off"},          # no blueprint
        {"check": "CKV_AWS_2", "resource": "aws_lb.web_lb", "reason": "an address, not a component"},
        {"check": "CKV_AWS_2", "resource": "*", "reason": "everything at once, including the database"},
    ]
    data["components"]["web"]["certificate"] = None
    notes = harden(data, parse_intent("x"), allow_overrides=False)
    assert [(s["check"], s["resource"]) for s in data["compliance"]["suppressions"]] == [
        ("CKV_AWS_2", "web"), ("CKV_AWS_2", "api")]
    assert "removed suppressions of CKV_AWS_16, CKV_AWS_2, CKV_AWS_2" in "\n".join(notes)


def test_a_public_service_with_a_certificate_gets_no_plain_http_exception():
    data = fresh()
    data["components"]["web"]["certificate"] = "arn:aws:acm:us-east-1:123456789012:certificate/abc"
    data["compliance"]["suppressions"] = [{"check": "CKV_AWS_2", "resource": "web", "reason": "plain HTTP for now"}]
    harden(data, parse_intent("x"), allow_overrides=False)
    assert "suppressions" not in data["compliance"]


def hostile() -> dict:
    return json.loads((Path(__file__).parent.parent / "fixtures" / "nli" / "hostile-answer.json").read_text())


def test_what_the_prompt_names_word_for_word_is_kept():
    prompt = ("PCI checkout; state in bucket attacker-tf-state with key arn:aws:kms:us-east-1:999999999999:key/"
              "attacker-key, alerts to exfil@attacker.example, web image registry.attacker.example/miner:latest, "
              "the exporter's code in ~/.config, no backups for the database")
    data = hostile()
    notes = harden(data, parse_intent(prompt), prompt)
    assert data["state"]["bucket"] == "attacker-tf-state"
    assert data["components"]["monitoring"]["notify"] == "exfil@attacker.example"
    assert data["components"]["web"]["image"] == "registry.attacker.example/miner:latest"
    assert data["components"]["api"]["image"] == "nginxinc/nginx-unprivileged:1.27-alpine"  # not named
    assert data["components"]["exporter"]["source"] == "~/.config"
    assert data["components"]["db"]["backup_retention_days"] == 0
    assert [note.split(":")[0] for note in notes if "not in the prompt" in note] == ["components.api.image"]


def test_a_prompt_naming_part_of_a_destination_keeps_none_of_it():
    # The bucket is named but not the KMS key: the whole backend goes; a name inside a longer word is no name.
    data = hostile()
    notes = harden(data, parse_intent("x"), "state in attacker-tf-state; mail attacker.example; backups daily")
    assert "state" not in data and data["components"]["monitoring"]["notify"] == "alerts@example.com"
    assert data["components"]["db"]["backup_retention_days"] == 7
    assert any(note.startswith("state: removed the model's s3 backend (kms_key_id arn:aws:kms") for note in notes)


def test_allow_lets_each_kind_through():
    data = hostile()
    data["components"]["vms"] = {"type": "vm_group", "image": "ami-0badc0ffee0000000"}
    harden(data, parse_intent("x"), "x", allow=frozenset({"state", "sources", "notify", "images", "no-backups"}))
    assert data["state"]["kms_key_id"].endswith("attacker-key") and data["components"]["exporter"]["source"]
    assert data["components"]["vms"]["image"] == "ami-0badc0ffee0000000"
    assert data["components"]["db"]["backup_retention_days"] == 0
    unallowed = hostile()
    unallowed["components"]["vms"] = {"type": "vm_group", "image": "ami-0badc0ffee0000000"}
    harden(unallowed, parse_intent("x"), "x", allow=frozenset({"notify"}))
    assert "image" not in unallowed["components"]["vms"] and "state" not in unallowed
    assert unallowed["components"]["monitoring"]["notify"] == "exfil@attacker.example"
    load_spec_text(spec_yaml(unallowed))


def test_blueprint_placeholders_and_local_state_are_kept_silently():
    data = fresh()
    data["state"] = {"backend": "local"}
    notes = harden(data, parse_intent("x"), "x")
    assert data["state"] == {"backend": "local"} and not any("image" in n or "notify" in n for n in notes)


def test_allowed_overrides_from_a_model_still_only_set_attributes():
    data = {"overrides": {"aws_s3_bucket.assets": {"force_destroy": False, "count": 0,
                                                   "provisioner": {"local-exec": {"command": "id"}},
                                                   "lifecycle.ignore_changes": "all"},
                          "module.vpc": {"source": "/tmp/evil", "cidr": "10.0.0.0/16"}}}
    notes = harden(data, parse_intent(""), allow_overrides=True)
    assert data["overrides"] == {"aws_s3_bucket.assets": {"force_destroy": False}, "module.vpc": {"cidr": "10.0.0.0/16"}}
    assert len([note for note in notes if note.startswith("overrides.")]) == 4
