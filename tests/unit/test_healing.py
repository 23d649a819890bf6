"""The failure classifier and the retry policy: every rule against a real failure text, backoff, bounds."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass

import pytest

from cdktf_app.errors import DataFileError, UsageError
from cdktf_app.healing import RetryPolicy, classify, load_rules, run_healed
from cdktf_app.healing.classifier import RULES_FILE

# (rule id, class, kind, failure text as terraform prints it). Texts are terraform's and the AWS provider's
# real messages (ARCHITECTURE.md lists the ones seen on this machine) and Terragrunt's reference examples.
SAMPLES = [
    ("terragrunt-state-load-tcp-timeout", "network-timeout", "transient",
     "Failed to load state: RequestError: send request failed\ncaused by: Get https://bucket.s3.amazonaws.com/"
     "state: dial tcp 52.216.8.1:443: i/o timeout"),
    ("terragrunt-backend-tls-timeout", "tls-handshake-timeout", "transient",
     "Failed to load backend: Error configuring the backend 's3': RequestError: send request failed caused by: "
     "Post https://sts.amazonaws.com/: net/http: TLS handshake timeout"),
    ("terragrunt-alarm-update-in-progress", "conflict-in-progress", "transient",
     "Error: Creating metric alarm failed: ValidationError: A separate request to update this alarm is in "
     "progress. status code: 400"),
    ("terragrunt-provider-install-tls-timeout", "tls-handshake-timeout", "transient",
     'Error installing provider "template": error fetching checksums: Get https://releases.hashicorp.com/'
     "terraform-provider-template/1.0.0/terraform-provider-template_1.0.0_SHA256SUMS: net/http: TLS handshake "
     "timeout."),
    ("terragrunt-provider-install-tcp", "network-timeout", "transient",
     'Error installing provider "aws": Get https://releases.hashicorp.com/: read tcp 10.0.0.2:50514->'
     "151.101.1.183:443: read: connection reset by peer"),
    ("terragrunt-no-such-bucket", "eventual-consistency", "transient",
     "Error: NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404"),
    ("terragrunt-ssm-too-many-updates", "throttling", "transient",
     "Error: Error creating SSM parameter: TooManyUpdates: Too many updates to the parameter"),
    ("terragrunt-registry-429", "registry-rate-limit", "transient",
     "Error: Failed to query available provider packages\nCould not retrieve the list of available versions "
     "for provider hashicorp/aws: could not query provider registry: app.terraform.io: 429 Too Many Requests"),
    ("terragrunt-ssh-closed", "connection", "transient",
     "Could not download module: ssh_exchange_identification: Connection closed by remote host"),
    ("terragrunt-client-timeout", "network-timeout", "transient",
     'Error: Get "https://registry.terraform.io/v1/providers/": net/http: request canceled '
     "(Client.Timeout exceeded while awaiting headers)"),
    ("logging-target-not-ready", "eventual-consistency", "transient",
     "│ Error: creating S3 Bucket (patient-portal-dev-phi-records) Logging: operation error S3: PutBucketLogging, "
     "https response error StatusCode: 400, api error InvalidTargetBucketForLogging: You must either provide the "
     "necessary permissions to the logging service using a bucket policy or give the log-delivery group WRITE "
     "and READ_ACP permissions to the target bucket"),
    ("throttling", "throttling", "transient",
     "│ Error: creating SQS Queue (jobs): operation error SQS: CreateQueue, exceeded maximum number of "
     "attempts, 2, https response error StatusCode: 400, RequestID: 1f2e, api error Throttling: Rate exceeded"),
    ("throttling", "throttling", "transient",
     "│ Error: creating EC2 VPC: operation error EC2: CreateVpc, https response error StatusCode: 503, "
     "RequestID: 9c1, api error RequestLimitExceeded: Request limit exceeded."),
    ("server-error", "server-error", "transient",
     "│ Error: reading S3 Bucket (logs): operation error S3: HeadBucket, https response error StatusCode: 500, "
     "api error InternalError: We encountered an internal error. Please try again."),
    ("connection-refused", "connection", "transient",
     '│ Error: creating KMS Key: operation error KMS: CreateKey, exceeded maximum number of attempts, 9, '
     'https response error StatusCode: 0, RequestID: , request send failed, Post "http://127.0.0.1:4566/": '
     "dial tcp 127.0.0.1:4566: connect: connection refused"),
    ("connection-refused", "connection", "transient",
     '│ Error: creating EC2 VPC: operation error EC2: CreateVpc, exceeded maximum number of attempts, 1, https '
     'response error StatusCode: 0, RequestID: , request send failed, Post "http://127.0.0.1:49847/": EOF'),
    ("state-lock", "lock-contention", "transient",
     "│ Error: Error acquiring the state lock\n│ \n│ Error message: resource temporarily unavailable\n"
     "│ Lock Info:\n│   ID:        7b1c\n│   Path:      terraform.app-dev-aws.tfstate\n│   Operation: "
     "OperationTypeApply"),
    ("state-lock", "lock-contention", "transient",
     "│ Error: Error acquiring the state lock\n│ Error message: operation error S3: PutObject, https response "
     "error StatusCode: 412, RequestID: 5d, HostID: x, api error PreconditionFailed: At least one of the "
     "pre-conditions you specified did not hold"),
    ("state-lock", "lock-contention", "transient",
     "│ Error: Error acquiring the state lock\n│ Error message: operation error DynamoDB: PutItem, https response "
     "error StatusCode: 400, RequestID: 1, ConditionalCheckFailedException: The conditional request failed"),
    ("watchdog", "watchdog-timeout", "stalled",
     "aws_s3_bucket.files: Still creating... [40s elapsed]\n"
     "nexus watchdog: terraform apply did not finish in 30s; stopped it"),
    ("auth", "auth", "permanent",
     "│ Error: creating IAM Role (app): operation error IAM: CreateRole, https response error StatusCode: 403, "
     "api error InvalidClientTokenId: The security token included in the request is invalid."),
    ("already-exists", "already-exists", "permanent",
     "│ Error: creating IAM Role (app-task): operation error IAM: CreateRole, https response error StatusCode: "
     "409, api error EntityAlreadyExists: Role with name app-task already exists."),
    ("already-exists", "already-exists", "permanent",
     "│ Error: creating S3 Bucket (assets): operation error S3: CreateBucket, https response error StatusCode: "
     "409, BucketAlreadyExists: The requested bucket name is not available."),
    ("quota", "quota", "permanent",
     "│ Error: creating EC2 VPC: operation error EC2: CreateVpc, https response error StatusCode: 400, "
     "api error VpcLimitExceeded: The maximum number of VPCs has been reached."),
    ("validation", "validation", "permanent",
     "│ Error: creating RDS DB Instance (db): operation error RDS: CreateDBInstance, https response error "
     "StatusCode: 400, api error InvalidParameterCombination: Cannot find version 99 for postgres"),
    ("validation", "validation", "permanent",
     '│ Error: Unsupported argument\n│   on cdk.tf.json line 40, in resource.aws_s3_bucket.files:\n│ An '
     'argument named "region" is not expected here.'),
    ("missing-dependency", "not-found", "permanent",
     "│ Error: reading Secrets Manager Secret (patient-portal/db-password): couldn't find resource"),
    ("already-deleted", "already-deleted", "transient",
     "│ Error: deleting AWS DynamoDB Table (patient-portal-dev-consent-records): operation error DynamoDB: "
     "DeleteTable, https response error StatusCode: 400, RequestID: bX8boQ1b95lJI7zLJcqCj72PNIQqIcHFfWBSIulXukOQ"
     "lDlVFUxe, ResourceNotFoundException: Requested resource not found"),
    ("bucket-not-empty", "not-empty", "permanent",
     "│ Error: deleting S3 Bucket (tiny-dev-access-logs): operation error S3: DeleteBucket, https response "
     "error StatusCode: 409, api error BucketNotEmpty: The bucket you tried to delete is not empty"),
    ("deletion-protection", "deletion-protection", "permanent",
     "│ Error: deleting RDS DB Instance (db): operation error RDS: DeleteDBInstance, api error "
     "InvalidParameterCombination: Cannot delete protected DB Instance, please disable deletion protection"),
]


@pytest.mark.parametrize("rule_id, failure_class, kind, text", SAMPLES,
                         ids=[f"{sample[0]}-{index}" for index, sample in enumerate(SAMPLES)])
def test_each_rule_classifies_its_real_failure_text(rule_id, failure_class, kind, text):
    result = classify(text)
    assert (result.rule, result.failure_class, result.kind) == (rule_id, failure_class, kind)
    assert 0 < result.confidence <= 1
    assert result.evidence and result.evidence in re.sub(r"^[\s│╷╵]+", "", text, flags=re.M)


def test_every_rule_has_a_sample():
    assert {rule.id for rule in load_rules()} == {sample[0] for sample in SAMPLES}


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
    bad.write_text("- id: x\n  class: y\n  kind: sometimes\n  confidence: 1\n  pattern: a\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"{bad}:3:\d+: \[0\]\.kind: expected 'transient', 'permanent' or "
                                            r"'stalled', got 'sometimes'"):
        load_rules(bad)
    bad.write_text("- id: x\n  class: y\n  kind: transient\n  confidence: 1\n  pattern: '('\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=rf"{bad}:5:\d+: \[0\]\.pattern: expected a regular expression"):
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
