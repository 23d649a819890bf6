"""`nexus ci plan-and-check` on every blueprint, planned for real in the sandbox: the rendered spec is the base,
and two heads change something real. The harmless head makes a service bigger and removes a component (exit 0),
the weakened head makes a bucket public (exit 1, the new finding on the bucket's spec line). Each head's stack is
planned once per module and the tests share the results."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from cdktf_app.blueprints.catalog import list_blueprints, render_blueprint
from cdktf_app.ci.outputs import JUNIT, REPORT, SARIF, SUMMARY
from cdktf_app.ci.plan_and_check import CiOptions, CiResult, plan_and_check
from cdktf_app.healing import RetryPolicy
from cdktf_app.runs import RunStore, runs_url
from cdktf_app.spec.document import dump_document, load_document
from cdktf_app.spec.loader import load_spec
from tests.helpers import write_spec

pytestmark = [pytest.mark.terraform, pytest.mark.slow]

BLUEPRINTS = [blueprint.name for blueprint in list_blueprints()]
QUICK = RetryPolicy(max_attempts=2, base_seconds=1.0, max_backoff_seconds=4.0, max_total_seconds=120)
OUTPUTS = (REPORT, SARIF, JUNIT, SUMMARY)
TOKEN_NAME = "payments/card-token"


def first_of(document, *types: str) -> str:
    return next(name for kind in types for name, settings in document["components"].items()
                if settings["type"] == kind)


def harmless(text: str) -> str:
    """A bigger service (one more task, a higher ceiling) and the monitoring component removed."""
    document = load_document(text)
    service = document["components"][first_of(document, "service", "kubernetes")]
    service["min"] = service.get("min", 1) + 1
    service["max"] = service["max"] + 2
    del document["components"]["monitoring"]
    return dump_document(document, like=text)


def weakened(text: str) -> str:
    """A bucket made public; devops-platform has none, so its warehouse loses its customer-managed key, with
    auto_remediate off (on, it would put the key back before the plan, and the report would say so)."""
    document = load_document(text)
    name = first_of(document, "bucket", "warehouse")
    if document["components"][name]["type"] == "bucket":
        document["components"][name]["public"] = True
    else:
        document["components"][name]["encrypted"] = False
        document["compliance"]["auto_remediate"] = False
    return dump_document(document, like=text)


def reading_a_token(text: str) -> str:
    """The harmless change, and the first service reads an existing token from Secrets Manager (the sandbox makes
    it with a random value: the plan sees the secret, never its value)."""
    document = load_document(harmless(text))
    document.setdefault("secrets", {})["card_token"] = {"kind": "external", "from": "aws-secrets-manager",
                                                        "name": TOKEN_NAME}
    document["components"][first_of(document, "service")].setdefault("secrets", []).append("card_token")
    return dump_document(document, like=text)


@dataclass
class Outcome:
    result: CiResult
    spec: Path
    report_dir: Path

    def text(self, name: str) -> str:
        return (self.report_dir / name).read_text(encoding="utf-8")


class Runs(dict):
    """(blueprint, head) -> its plan-and-check, run on first use."""

    def __init__(self, root: Path, sandbox_url: str):
        super().__init__()
        self.root, self.sandbox_url = root, sandbox_url

    def __missing__(self, key: tuple[str, str]) -> Outcome:
        blueprint, head = key
        folder = self.root / blueprint
        base_text = render_blueprint(blueprint, {"environments": "dev"})
        (folder / head).mkdir(parents=True)
        base = write_spec(folder, base_text, "base.yaml")
        spec = write_spec(folder / head, {"harmless": harmless, "weakened": weakened, "reading_a_token": reading_a_token}[head](base_text))
        # the weakened heads run at the gate a pull-request workflow would choose to catch medium findings too
        options = CiOptions(base=base, sandbox_url=self.sandbox_url, report_dir=folder / head / "nexus-ci",
                            retry=QUICK, fail_on="medium" if head == "weakened" else None)
        self[key] = Outcome(plan_and_check(spec, options), spec, options.report_dir)
        return self[key]


@pytest.fixture(scope="module")
def runs(tmp_path_factory, sandbox) -> Runs:
    return Runs(tmp_path_factory.mktemp("ci-blueprints"), sandbox.url)


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_a_harmless_change_passes_with_the_spec_diff_first_then_plan_counts_and_cost(blueprint, runs):
    outcome = runs[blueprint, "harmless"]
    summary, report = outcome.result.summary, outcome.text(REPORT)
    assert outcome.result.exit_code == 0 and summary["outcome"] == "passed", report
    kinds = [(change["kind"], change["path"].split(".")[-1]) for change in summary["spec_changes"]]
    assert kinds[0] == ("component_removed", "monitoring")          # what goes away first
    assert ("setting_changed", "min") in kinds and ("setting_changed", "max") in kinds
    head = load_spec(outcome.spec)
    service = next(c["path"].split(".")[1] for c in summary["spec_changes"] if c["path"].endswith(".min"))
    assert f"`{outcome.spec.as_posix()}:{head.line_of('components', service, 'min')}`" in report
    assert report.index("| Stack |") < report.index("What changed in the spec")
    assert summary["totals"]["new_findings_at_gate"] == 0
    for row in summary["stacks"]:
        if row["provider"] == "aws":
            assert row["planned"] and row["add"] > 0 and row["cost_delta_monthly"] is not None, row
        else:
            assert row["status"] == "not-planned" and "sandbox is AWS only" in row["note"]
    # monitoring's alarms and topics go, one more task comes: the delta is `nexus cost --compare`'s, not 0
    assert summary["cost"]["delta_monthly"] != 0
    assert len(report) <= 65_536


@pytest.mark.parametrize("blueprint", BLUEPRINTS)
def test_a_weakened_bucket_fails_with_the_new_finding_on_its_spec_line(blueprint, runs):
    outcome = runs[blueprint, "weakened"]
    summary, report = outcome.result.summary, outcome.text(REPORT)
    assert outcome.result.exit_code == 1 and summary["outcome"] == "failed", report
    head = load_spec(outcome.spec)
    changed = [change for change in summary["spec_changes"] if change["path"].startswith("components.")]
    assert len(changed) == 1 and changed[0]["kind"] == "setting_changed"
    component = changed[0]["path"].split(".")[1]
    new = [row for row in summary["findings"] if row["new"] and not row["suppressed"]
           and row["severity"] in ("medium", "high", "critical")]
    assert new and all(row["spec_path"] == f"components.{component}" for row in new), new
    line = head.line_of("components", component)
    assert {row["line"] for row in new} == {line}
    assert "Introduced by this change" in report and f"`{outcome.spec.as_posix()}:{line}`" in report
    # only the weakening is new: what the base already had is not blamed on the change
    assert all(row["new"] is False for row in summary["findings"] if row["spec_path"] != f"components.{component}"
               and not row["suppressed"])
    sarif = outcome.text(SARIF)
    assert '"partialFingerprints"' in sarif and f'"startLine": {line}' in sarif


def test_no_sensitive_plan_value_reaches_any_output_and_the_run_is_recorded_as_ci(runs, sandbox):
    """fintech's api reads an existing token from Secrets Manager, which the sandbox made with a random value."""
    import boto3

    outcome = runs["fintech", "reading_a_token"]
    secrets = boto3.client("secretsmanager", endpoint_url=sandbox.url, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
    value = secrets.get_secret_value(SecretId=TOKEN_NAME)["SecretString"]
    assert len(value) > 20
    for name in OUTPUTS:
        assert value not in outcome.text(name), name
    with RunStore(runs_url(outcome.spec.parent)) as store:
        recorded = store.get(outcome.result.summary["run_id"])
    assert recorded.command == "ci" and recorded.sandbox and recorded.added == outcome.result.summary["totals"]["add"]
    assert value not in Path(recorded.log_file).read_text() and value not in str(recorded.to_dict())
