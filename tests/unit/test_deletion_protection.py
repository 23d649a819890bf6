"""Deletion protection as destroy reads it: from a state's `show -json` (modules too) and a destroy plan's refreshed
`before` values; the lift override sets exactly the protecting flags; a lift plan may only update those."""
from __future__ import annotations

import json

from cdktf_app.deploy.protection import (UNPROTECT_FILE, ProtectedResources, managed_instances, protected_deletions,
                                         protected_in_state, unexpected_changes, write_unprotect_override)

STATE = {"values": {"root_module": {
    "resources": [
        {"address": "aws_db_instance.db", "mode": "managed", "type": "aws_db_instance", "name": "db",
         "values": {"deletion_protection": True}},
        {"address": "aws_dynamodb_table.open", "mode": "managed", "type": "aws_dynamodb_table", "name": "open",
         "values": {"deletion_protection_enabled": False}},
        {"address": "data.aws_db_instance.db", "mode": "data", "type": "aws_db_instance", "name": "db",
         "values": {"deletion_protection": True}},
        {"address": "google_firestore_database.docs", "mode": "managed", "type": "google_firestore_database",
         "name": "docs", "values": {"delete_protection_state": "DELETE_PROTECTION_ENABLED",
                                    "deletion_policy": "ABANDON"}},
    ],
    "child_modules": [{"address": "module.edge", "resources": [
        {"address": "module.edge.aws_lb.front", "mode": "managed", "type": "aws_lb", "name": "front",
         "values": {"enable_deletion_protection": True}}]}]}}}


def test_the_state_shows_every_protected_managed_resource_modules_included():
    found = {p.address: p for p in protected_in_state("s", STATE)}
    assert sorted(found) == ["aws_db_instance.db", "google_firestore_database.docs", "module.edge.aws_lb.front"]
    assert found["module.edge.aws_lb.front"].in_module and not found["aws_db_instance.db"].in_module
    assert found["google_firestore_database.docs"].describe() == ('delete_protection_state = '
                                                                 '"DELETE_PROTECTION_ENABLED", deletion_policy = "ABANDON"')
    assert managed_instances(STATE) == 4
    assert "inside modules, so Nexus cannot lift them: module.edge.aws_lb.front" in str(
        ProtectedResources(list(found.values())))


def test_the_override_lifts_exactly_the_protecting_flags(tmp_path):
    found = [p for p in protected_in_state("s", STATE) if not p.in_module]
    written = json.loads(write_unprotect_override(tmp_path, found).read_text())
    assert (tmp_path / UNPROTECT_FILE).is_file()
    assert written == {"resource": {
        "aws_db_instance": {"db": {"deletion_protection": False}},
        "google_firestore_database": {"docs": {"delete_protection_state": "DELETE_PROTECTION_DISABLED",
                                               "deletion_policy": "DELETE"}}}}


def test_a_destroy_plan_names_protected_deletions_and_a_lift_plan_may_only_update_them():
    plan = {"resource_changes": [
        {"address": "aws_dynamodb_table.t", "type": "aws_dynamodb_table", "name": "t",
         "change": {"actions": ["delete"], "before": {"deletion_protection_enabled": True}}},
        {"address": "aws_sqs_queue.q", "type": "aws_sqs_queue", "name": "q",
         "change": {"actions": ["delete"], "before": {}}}]}
    protected = protected_deletions("s", plan)
    assert [p.address for p in protected] == ["aws_dynamodb_table.t"]
    lift = {"resource_changes": [
        {"address": "aws_dynamodb_table.t", "change": {"actions": ["update"]}},
        {"address": "aws_kms_key.k", "change": {"actions": ["delete", "create"]}},
        {"address": "aws_iam_role.r", "change": {"actions": ["no-op"]}}]}
    assert unexpected_changes(lift, protected) == ["aws_kms_key.k (delete/create)"]
