"""Suppressions: matched by check (glob), resource address, component or stack/address; expired ones fail."""
from __future__ import annotations

import datetime

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.compliance.suppressions import apply_suppressions, raise_if_expired, wildcard_notes
from cdktf_app.errors import SpecError
from cdktf_app.spec.loader import load_spec_text
from tests.helpers import AWS_SPEC_HEAD, make_finding

SPEC = AWS_SPEC_HEAD + """\
components:
  logs: {type: bucket}
compliance:
  suppressions:
    - check: CKV_AWS_18
      resource: aws_s3_bucket.logs
      reason: this bucket receives the access logs of the others
      expires: "2030-01-31"
    - check: CKV2_AWS_*
      allow_wildcard: true
      resource: logs
      reason: graph checks do not understand the log bucket pattern
"""



def finding(check_id, address, component="logs"):
    return make_finding(check_id, address, component)


def test_matching_by_address_glob_and_component():
    loaded = load_spec_text(SPEC)
    marked = apply_suppressions([finding("CKV_AWS_18", "aws_s3_bucket.logs"),
                                 finding("CKV_AWS_18", "aws_s3_bucket.assets", "assets"),
                                 finding("CKV2_AWS_62", "aws_s3_bucket.logs"),
                                 finding("CKV_AWS_21", "aws_s3_bucket.logs")], loaded)
    assert [item.suppressed for item in marked] == [True, False, True, False]
    assert marked[0].suppression_reason == "this bucket receives the access logs of the others"


def test_expired_suppression_is_an_error_with_its_line():
    loaded = load_spec_text(SPEC, file="nexus.yaml")
    raise_if_expired(loaded, today=datetime.date(2030, 1, 31))
    with pytest.raises(SpecError) as error:
        raise_if_expired(loaded, today=datetime.date(2030, 2, 1))
    problem, = error.value.problems
    assert (problem.file, problem.line, problem.path) == ("nexus.yaml", 12, "compliance.suppressions[0].expires")
    assert "expired on 2030-01-31" in problem.message and "CKV_AWS_18" in problem.message


def test_reason_is_mandatory():
    with pytest.raises(SpecError) as error:
        load_spec_text(SPEC.replace("      reason: this bucket receives the access logs of the others\n", ""))
    assert "compliance.suppressions[0].reason" in str(error.value)


def test_a_built_in_exemption_for_one_component_type_spares_a_lookalike_of_another():
    loaded = load_spec_text("""\
apiVersion: nexus/v1
name: shop
providers:
  azure: {location: westeurope}
components:
  worker: {type: function}
  file_storage: {type: bucket}
""")
    marked = apply_suppressions([finding("CKV_AZURE_59", "azurerm_storage_account.worker_storage", "worker"),
                                 finding("CKV_AZURE_59", "azurerm_storage_account.file_storage", "file_storage")],
                                loaded)
    assert [item.suppressed for item in marked] == [True, False]
    assert marked[0].suppression_reason.startswith("built-in exemption: the content account of a Function App")


@pytest.mark.parametrize("expires", ['"2027-13-45"', '"2027-02-30"', '"next year"'])
def test_an_expiry_that_is_not_a_day_is_a_located_spec_error_for_validate_and_check(tmp_path, expires):
    spec = tmp_path / "nexus.yaml"
    spec.write_text(SPEC.replace('expires: "2030-01-31"', f"expires: {expires}"), encoding="utf-8")
    for command in ("validate", "check"):
        result = CliRunner().invoke(cli, [command, str(spec)])
        assert result.exit_code == 2, result.output
        assert f"{spec}:12:" in result.output and "compliance.suppressions[0].expires" in result.output
        assert "expected a date YYYY-MM-DD" in result.output and "Traceback" not in result.output


def test_an_unquoted_yaml_date_is_an_expiry_like_a_quoted_one():
    loaded = load_spec_text(SPEC.replace('expires: "2030-01-31"', "expires: 2030-01-31"))
    assert loaded.spec.compliance.suppressions[0].expires == "2030-01-31"


BLANKET = AWS_SPEC_HEAD + """\
components:
  assets: {type: bucket, public: true}
compliance:
  suppressions:
    - check: "***"
      resource: "*"
      reason: silence every finding of every check
"""


def test_a_blanket_suppression_is_refused_by_validate_and_check(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text(BLANKET, encoding="utf-8")
    for command in ("validate", "check"):
        result = CliRunner().invoke(cli, [command, str(spec), *(["--fail-on", "low"] if command == "check" else [])])
        assert result.exit_code == 2, result.output
        assert f"{spec}:9:7: compliance.suppressions[0].check: expected one check id" in result.output


@pytest.mark.parametrize("pattern, allowed", [("***", False), ("**?", False), ("CKV*", False), ("*_AWS_*", False),
                                              ("CKV_AWS_1*", True), ("CKV2_GCP_?", True), ("NEXUS_AZURE_*", True)])
def test_allow_wildcard_admits_only_a_pattern_inside_one_family(pattern, allowed):
    text = BLANKET.replace('"***"', f'"{pattern}"')
    with pytest.raises(SpecError, match="allow_wildcard"):
        load_spec_text(text)
    flagged = text.replace("      reason:", "      allow_wildcard: true\n      reason:")
    if allowed:
        assert load_spec_text(flagged).spec.compliance.suppressions[0].check == pattern
    else:
        with pytest.raises(SpecError, match="not confined to one family of checks"):
            load_spec_text(flagged)


def test_a_wildcard_suppression_is_named_in_the_report_with_what_it_covers():
    loaded = load_spec_text(SPEC)
    marked = apply_suppressions([finding("CKV2_AWS_62", "aws_s3_bucket.logs"),
                                 finding("CKV2_AWS_61", "aws_s3_bucket.logs"),
                                 finding("CKV_AWS_18", "aws_s3_bucket.logs")], loaded)
    assert wildcard_notes(marked, loaded) == [
        "compliance.suppressions[1] is a wildcard (allow_wildcard: true): check 'CKV2_AWS_*', resource 'logs' "
        "covers 2 suppressed finding(s)"]
