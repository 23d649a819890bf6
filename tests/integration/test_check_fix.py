"""`nexus check --fix --unsafe-fixes` on a deliberately weakened copy of every blueprint (real checkov, real
terraform): the diff is readable, comments survive, the weaknesses are undone, a fresh check finds nothing
fixable, in at most 3 passes, and the AWS stacks still pass `terraform validate`."""
from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from cdktf_app.blueprints.catalog import list_blueprints, render_blueprint
from cdktf_app.compliance import check, fix
from cdktf_app.spec.loader import load_spec
from cdktf_app.tools.terraform import validate_stack
from tests.helpers import aws_spec

BLUEPRINTS = [blueprint.name for blueprint in list_blueprints()]
REGULATED = {"pci-dss", "hipaa"}

# What "weakened" means, per component type: encryption off, public, no backups, no logging, open endpoints.
WEAKENINGS = {
    "bucket": {"encrypted": False, "public": True, "access_logs": False, "versioned": False},
    "database": {"encrypted": False, "public": True, "backup_retention_days": 0, "deletion_protection": False},
    "cache": {"encrypted": False},
    "queue": {"encrypted": False},
    "network": {"flow_logs": False},
    "kubernetes": {"public_endpoint": True},
    "document_store": {"encrypted": False, "point_in_time_recovery": False},
    "cdn": {"waf": False},
}


def weaken(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The spec with every weakening applied (comments kept), and the (component, key) pairs it changed."""
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    document = yaml.load(text)
    changed = []
    for name, component in document["components"].items():
        for key, value in WEAKENINGS.get(component["type"], {}).items():
            component[key] = value
            changed.append((name, key))
    stream = io.StringIO()
    yaml.dump(document, stream)
    return stream.getvalue(), changed


def comment_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


@pytest.fixture(scope="module")
def fixed_blueprints(tmp_path_factory, checkov_worker):
    """Every blueprint weakened and then fixed once; shared by the assertions below."""
    results = {}
    for name in BLUEPRINTS:
        folder = tmp_path_factory.mktemp(f"weak-{name}")
        weakened, changed = weaken(render_blueprint(name, {}))
        spec_path = folder / "nexus.yaml"
        spec_path.write_text(weakened, encoding="utf-8")
        result = fix(spec_path, unsafe=True, worker=checkov_worker)
        results[name] = (spec_path, weakened, changed, result)
    return results


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_fix_undoes_the_weakenings_in_at_most_three_passes(fixed_blueprints, name):
    spec_path, _, changed, result = fixed_blueprints[name]
    assert 1 <= result.passes <= 3
    spec = load_spec(spec_path).spec
    still_weak = []
    for component, key in changed:
        if key == "encrypted" and not REGULATED & {standard.id for standard in spec.compliance.standards} \
                and spec.clouds_for(spec.components[component]) == ["gcp"]:
            continue  # GCP encrypts all data at rest; a customer-managed key is demanded for regulated data only
        value = getattr(spec.components[component], key)
        secure = value >= 7 if key == "backup_retention_days" else value == (not WEAKENINGS[
            spec.components[component].type][key])
        if not secure:
            still_weak.append(f"{component}.{key}={value}")
    assert still_weak == []


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_fix_diff_is_readable_and_comments_survive(fixed_blueprints, name):
    spec_path, weakened, _, result = fixed_blueprints[name]
    fixed = spec_path.read_text(encoding="utf-8")
    assert comment_lines(weakened) == [line for line in comment_lines(fixed) if not line.startswith("# nexus fix")]
    added = [line for line in result.diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    removed = [line for line in result.diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    structural = re.compile(r"^\+(overrides:|  [a-z0-9_]+\.[\w-]+:)$")  # a new overrides entry's keys
    assert added and all("# nexus fix: " in line or structural.match(line) for line in added), added
    assert len(removed) <= len(added)  # edits change or add lines; nothing else is rewritten


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_fresh_check_after_fix_reports_nothing_fixable(fixed_blueprints, checkov_worker, name):
    spec_path = fixed_blueprints[name][0]
    report = check(spec_path, worker=checkov_worker)
    assert [f"{finding.check_id} {finding.address}" for finding in report.fixable(unsafe=True)] == []


@pytest.mark.terraform
@pytest.mark.parametrize("name", [name for name in BLUEPRINTS if "aws" in render_blueprint(name, {})])
def test_fixed_aws_stack_still_passes_terraform_validate(fixed_blueprints, terraform_cli_config, name):
    spec_path = fixed_blueprints[name][0]
    stack_dir = next(Path(spec_path.parent / "cdktf.out" / "stacks").glob("*-dev-aws"))
    result = validate_stack(stack_dir, terraform_cli_config)
    assert result.ok, result.output[-2000:]


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_blueprint_out_of_the_box_has_no_high_findings_for_its_standards(blueprint_outputs, checkov_worker, name):
    report = check(blueprint_outputs[name].out_dir, worker=checkov_worker)
    declared = {standard.id for standard in load_spec(blueprint_outputs[name].out_dir.parent / "nexus.yaml")
                .spec.compliance.standards}
    assert set(report.standards) == declared
    assert [f"{finding.check_id} {finding.stack}/{finding.address}" for finding in report.blocking("high")] == []
    assert all(finding.suppression_reason for finding in report.findings if finding.suppressed)


AUTO_REMEDIATED = """\
apiVersion: nexus/v1
name: autofix
providers:
  aws: {region: eu-west-1}
compliance:
  auto_remediate: true
components:
  # uploads from partners
  uploads:
    type: bucket
    access_logs: false   # someone turned this off
    public: true
"""


def test_synth_applies_only_safe_fixes_when_auto_remediate_is_on(tmp_path):
    from click.testing import CliRunner

    from cdktf_app.cli.main import cli

    spec_path = tmp_path / "nexus.yaml"
    spec_path.write_text(AUTO_REMEDIATED, encoding="utf-8")
    result = CliRunner().invoke(cli, ["synth", str(spec_path), "--out", str(tmp_path / "cdktf.out")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    fixed = spec_path.read_text(encoding="utf-8")
    assert re.search(r"^    access_logs: true +# someone turned this off$", fixed, re.M)
    assert "    public: true\n" in fixed  # closing public access is unsafe: never automatic
    assert "# uploads from partners" in fixed
    assert "needs --unsafe-fixes" in result.output
    assert (tmp_path / "cdktf.out" / "stacks" / "autofix-dev-aws" / "cdk.tf.json").exists()


PUBLIC_ON_HTTP = aws_spec("plainweb", """\
compliance:
  standards: [{pci-dss: "4.0"}]
components:
  web: {type: service, image: ghcr.io/acme/web:1.4, public: true}   # the storefront
""")
PLAIN_HTTP_CHECKS = {"CKV_AWS_2", "CKV2_AWS_20", "CKV_AWS_260"}


def test_a_public_service_on_plain_http_is_made_private_only_by_an_unsafe_fix(tmp_path, checkov_worker):
    """CKV_AWS_260 (port 80 open to the internet) is fixed by `public: false`, unsafe: held back by --fix. The
    listener stays HTTP inside the VPC (CKV_AWS_2, CKV2_AWS_20): only a certificate ends those, so the note
    says so, before the fix (or go private) and after it (a private service still on HTTP)."""
    spec_path = tmp_path / "nexus.yaml"
    spec_path.write_text(PUBLIC_ON_HTTP, encoding="utf-8")
    safe_only = fix(spec_path, worker=checkov_worker)
    assert not safe_only.changed and spec_path.read_text(encoding="utf-8") == PUBLIC_ON_HTTP
    held, = [edit for edit in safe_only.skipped_unsafe if edit.check_id == "CKV_AWS_260"]
    assert (held.path, held.values, held.safety) == (("components", "web"), (("public", False),), "unsafe")
    public_note, = [note for note in safe_only.report.notes if note.startswith("components.web:")]
    assert "set `certificate: <ACM certificate ARN>` on it" in public_note
    assert "or, if it need not be reachable from the internet, `public: false`" in public_note

    unsafe = fix(spec_path, unsafe=True, worker=checkov_worker)
    assert [edit.values for edit in unsafe.edits if edit.check_id == "CKV_AWS_260"] == [(("public", False),)]
    assert re.search(r"^  web: \{type: service, image: ghcr.io/acme/web:1.4, public: false\} +# the storefront$",
                     spec_path.read_text(encoding="utf-8"), re.M)
    left = {finding.check_id for finding in unsafe.report.active if finding.component == "web"}
    assert left & PLAIN_HTTP_CHECKS == {"CKV_AWS_2", "CKV2_AWS_20"}
    private_note, = [note for note in unsafe.report.notes if note.startswith("components.web:")]
    assert "a private service without `certificate:` serves plain HTTP inside its network" in private_note
