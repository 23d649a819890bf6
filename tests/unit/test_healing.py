"""The failure classifier and the retry policy: every rule against a real failure text, backoff, bounds."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest

from cdktf_app.errors import DataFileError, UsageError
from cdktf_app.healing import RetryPolicy, classify, load_rules, run_healed
from cdktf_app.healing.classifier import RULES_FILE

RULES = load_rules()
# Every rule's real failure texts, from the rules file itself (terraform's and the AWS provider's messages as
# seen here, ARCHITECTURE.md "Failure texts", and Terragrunt's reference examples).
SAMPLES = [(rule, text) for rule in RULES for text in rule.samples]


@pytest.mark.parametrize("rule, text", SAMPLES, ids=[f"{rule.id}-{index}" for index, (rule, _) in enumerate(SAMPLES)])
def test_each_rule_classifies_its_real_failure_texts(rule, text):
    result = classify(text)
    assert (result.rule, result.failure_class, result.kind) == (rule.id, rule.failure_class, rule.kind)
    assert result.confidence == rule.confidence > 0
    assert result.evidence and result.evidence in re.sub(r"^[\s│╷╵]+", "", text, flags=re.M)


def test_every_rule_carries_a_sample_and_the_known_texts_are_there():
    assert all(rule.samples for rule in RULES)
    # one per class the issues and ARCHITECTURE.md name, so a sample cannot silently drop out of the data
    texts = "\n".join(text for _, text in SAMPLES)
    for seen in ("No valid credential sources found", "Error acquiring the state lock", "PreconditionFailed",
                 "ConditionalCheckFailedException", "connect: connection refused", "api error Throttling: Rate",
                 "RequestLimitExceeded", "Please try again", "EntityAlreadyExists", "BucketAlreadyExists"):
        assert seen in texts


def test_no_valid_credential_sources_is_a_permanent_auth_failure():
    # terraform 1.11 + AWS provider 5.100 with no credentials at all (AWS_EC2_METADATA_DISABLED=true)
    result = classify("Planning failed. Terraform encountered an error while generating this plan.\n\n"
                      "│ Error: No valid credential sources found\n│\n│ Please see "
                      "https://registry.terraform.io/providers/hashicorp/aws\n"
                      "│ for more information about providing credentials.")
    assert (result.failure_class, result.kind, result.rule) == ("auth", "permanent", "auth")
    assert result.evidence == "Error: No valid credential sources found"


def test_patterns_match_whatever_the_case():
    assert classify("ERROR ACQUIRING THE STATE LOCK").rule == "state-lock"
    assert classify("api error throttling: rate exceeded").rule == "throttling"


def test_terragrunt_defaults_are_the_reference_set():
    sources = {rule.id: rule.source for rule in load_rules()}
    assert sum(1 for source in sources.values() if source == "terragrunt") == 10


def test_the_evidence_line_is_shown_without_terraforms_frame():
    result = classify("╷\n│ Error: Error acquiring the state lock\n╵")
    assert result.evidence == "Error: Error acquiring the state lock"


def test_an_unknown_failure_is_permanent_with_terraforms_first_error_line():
    result = classify("Terraform planned\n│ Error: something nobody has seen\n│ more")
    assert (result.failure_class, result.kind, result.rule) == ("unknown", "permanent", None)
    assert result.evidence == "Error: something nobody has seen"


def test_a_permanent_match_wins_a_tie_and_the_better_match_wins_otherwise():
    # A retried call that ends in an auth error: both rules match; auth (0.95) beats connection (0.8).
    text = ("dial tcp 127.0.0.1:1: connect: connection refused\n"
            "api error InvalidClientTokenId: The security token included in the request is invalid.")
    assert classify(text).failure_class == "auth"


def test_a_broken_rules_file_is_a_located_data_file_error(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text("- id: x\n  class: y\n  kind: sometimes\n  confidence: 1\n  pattern: a\n  samples: [a]\n",
                   encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"{bad}:3:\d+: \[0\]\.kind: expected 'transient', 'permanent' or "
                                            r"'stalled', got 'sometimes'"):
        load_rules(bad)
    bad.write_text("- id: x\n  class: y\n  kind: transient\n  confidence: 1\n  pattern: '('\n  samples: ['(']\n",
                   encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"{bad}:5:\d+: \[0\]\.pattern: expected a regular expression"):
        load_rules(bad)
    bad.write_text("- id: x\n  class: y\n  kind: transient\n  confidence: 1\n  pattern: a\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"{bad}:1:\d+: \[0\]\.samples: expected a value \(required\)"):
        load_rules(bad)
    assert RULES_FILE.is_file()


@dataclass
class Outcome:
    ok: bool
    output: str


def failing_then_ok(failures: int, text: str):
    calls = []

    def call() -> Outcome:
        calls.append(time.monotonic())
        return Outcome(ok=len(calls) > failures, output="" if len(calls) > failures else text)
    return call, calls


def test_transient_failures_are_retried_with_exponential_backoff():
    call, calls = failing_then_ok(2, "api error Throttling: Rate exceeded")
    waits = []
    healed = run_healed(call, RetryPolicy(max_attempts=5, base_seconds=0.05, max_backoff_seconds=1),
                        on_retry=lambda attempt, wait: waits.append(wait))
    assert healed.outcome.ok and len(healed.attempts) == 3
    assert waits == pytest.approx([0.05, 0.1])
    assert calls[2] - calls[1] >= 0.1 > calls[1] - calls[0] >= 0.05
    assert [a.classification.failure_class if a.classification else None for a in healed.attempts] == \
        ["throttling", "throttling", None]


def test_retries_stop_at_the_bound():
    call, calls = failing_then_ok(99, "dial tcp 127.0.0.1:1: connect: connection refused")
    healed = run_healed(call, RetryPolicy(max_attempts=3, base_seconds=0.01))
    assert not healed.outcome.ok and len(calls) == 3
    assert healed.classification.failure_class == "connection"


def test_retries_stop_at_the_time_bound():
    call, calls = failing_then_ok(99, "api error Throttling: Rate exceeded")
    started = time.monotonic()
    run_healed(call, RetryPolicy(max_attempts=100, base_seconds=0.05, max_backoff_seconds=0.05,
                                 max_total_seconds=0.3))
    assert time.monotonic() - started < 1.0 and 3 <= len(calls) < 100


@pytest.mark.parametrize("text", ["EntityAlreadyExists: Role with name x already exists.",
                                  "nexus watchdog: terraform apply did not finish in 5s; stopped it",
                                  "Error: something new"])
def test_permanent_stalled_and_unknown_failures_are_never_retried(text):
    call, calls = failing_then_ok(99, text)
    healed = run_healed(call, RetryPolicy(max_attempts=5, base_seconds=0.01))
    assert len(calls) == 1 and not healed.outcome.ok
