"""`dr:` in the spec: located errors (exit 2, file:line, spec path, what would work), the recovery-region copy
of a stack (what it holds and at what scale per mode) and the runbook's targets."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from cdktf_app.cli.main import cli
from cdktf_app.dr.runbook import runbook
from cdktf_app.dr.standby import standby_site
from cdktf_app.dr.targets import targets_on
from cdktf_app.errors import SpecError
from cdktf_app.spec.loader import load_spec_text

BASE = """\
apiVersion: nexus/v1
name: pay
providers:
  {providers}
{dr}
components:
  web: {{type: service, image: ghcr.io/acme/web:1.4, min: 3, max: 6}}
  cache: {{type: cache}}
  db: {{type: database}}
  docs: {{type: bucket{bucket}}}
"""


def spec_text(dr: str, providers: str = "aws: {region: us-east-1}", bucket: str = "") -> str:
    return BASE.format(providers=providers, dr=dr, bucket=bucket)


def problems_of(text: str) -> list[str]:
    with pytest.raises(SpecError) as raised:
        load_spec_text(text, file="nexus.yaml")
    return [f"{p.file}:{p.line}: {p.path}: {p.message}" for p in raised.value.problems]


def test_a_recovery_region_equal_to_the_primary_is_refused_at_its_line(tmp_path):
    spec = tmp_path / "nexus.yaml"
    spec.write_text(spec_text("dr: {region: us-east-1, mode: warm_standby}"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(spec)])
    assert result.exit_code == 2
    assert f"{spec}:5:6: dr.region: the recovery region must differ from the primary region " \
           "(providers.aws.region is us-east-1)" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("dr, expected", [
    ("dr: {region: us-west-2, mode: backup, rpo: 30m}",
     "dr.rpo: rpo 30m cannot be met by mode backup, whose best is 1h; mode pilot_light or warm_standby can"),
    ("dr: {region: us-west-2, mode: pilot_light, rto: 20m}",
     "dr.rto: rto 20m cannot be met by mode pilot_light, whose best is 1h; mode warm_standby can"),
    ("dr: {region: us-west-2, mode: warm_standby, rpo: 5m}",
     "dr.rpo: rpo 5m cannot be met by mode warm_standby, whose best is 15m; no mode reaches less than 15m "
     "(pilot_light and warm_standby)"),
])
def test_a_target_the_mode_cannot_meet_names_the_mode_that_can(dr, expected):
    assert [problem.split(": ", 1)[1] for problem in problems_of(spec_text(dr))] == [expected]


def test_recovery_regions_the_cloud_cannot_use_are_located_errors():
    assert problems_of(spec_text("dr: {region: us-west-9}"))[0].startswith(
        "nexus.yaml:5: dr.region: 'us-west-9' is not a known AWS region")
    residency = "aws: {region: us-east-1, allowed_regions: [us-east-1]}"
    assert problems_of(spec_text("dr: {region: us-west-2}", residency)) == [
        "nexus.yaml:5: dr.region: 'us-west-2' is outside providers.aws.allowed_regions (us-east-1); add it there to "
        "let copies of the data live in it"]
    azure = problems_of(spec_text("dr: {region: westus2}", "azure: {location: eastus}"))
    assert azure == ["nexus.yaml:5: dr.region: Azure replicates geo-redundant storage and backups to the primary "
                     "region's pair only: eastus pairs with westus"]
    gcp = problems_of(spec_text("dr: {region: europe-west1}", "gcp: {project: acme-pay-1, region: us-central1}"))
    assert gcp == ["nexus.yaml:5: dr.region: a Cloud Storage dual-region joins two regions of one continent (US, EU "
                   "or ASIA): us-central1 and europe-west1 are not"]


def test_cross_cloud_and_unversioned_buckets_are_refused():
    assert problems_of(spec_text("dr: {region: us-east1, provider: gcp}")) == [
        "nexus.yaml:5: dr.provider: 'gcp' is not a cloud the spec builds on (aws); a recovery copy stays on its "
        "data's cloud (cross-cloud replication is not offered)"]
    assert problems_of(spec_text("dr: {region: us-west-2}", bucket=", versioned: false")) == [
        "nexus.yaml:10: components.docs.versioned: a bucket with a recovery region must be versioned (replication "
        "and backup copies work on object versions); set versioned: true"]


def test_a_component_dr_overrides_the_spec_dr_and_both_share_one_region_per_cloud():
    text = spec_text("dr: {region: us-west-2, mode: backup}").replace(
        "db: {type: database}", "db: {type: database, dr: {region: us-west-2, mode: warm_standby}}")
    targets = targets_on(load_spec_text(text).spec, "aws")
    assert {name: (t.mode, t.spec_path) for name, t in targets.items()} == {
        "db": ("warm_standby", ("components", "db", "dr")), "docs": ("backup", ("dr",))}
    other = text.replace("dr: {region: us-west-2, mode: warm_standby}", "dr: {region: eu-west-1}")
    assert problems_of(other) == ["nexus.yaml:9: components.db.dr.region: one recovery region per cloud: dr "
                                  "already recovers aws in us-west-2"]


@pytest.mark.parametrize("mode, kept, web_min", [
    ("pilot_light", ["web", "db", "docs", "network"], 0),
    ("warm_standby", ["web", "cache", "db", "docs", "network"], 1),
])
def test_the_recovery_copy_holds_replicas_and_compute_scaled_for_its_mode(mode, kept, web_min):
    spec = load_spec_text(spec_text(f"dr: {{region: us-west-2, mode: {mode}}}").replace(
        "components:\n", "components:\n  network: {type: network}\n")).spec
    standby, copy, names = standby_site(spec, "aws", "prod", ("service", "cache", "database"))
    assert copy.providers.aws.region == "us-west-2" and copy.providers.aws.allowed_regions is None
    assert sorted(names) == sorted(kept)
    assert copy.components["web"].min == web_min and copy.components["web"].max == 6
    assert standby.primary_environment == "prod" and standby.replicated == ("db", "docs")


def test_backup_mode_builds_no_copy_on_gcp_and_only_the_backup_plan_on_aws():
    gcp = load_spec_text(spec_text("dr: {region: us-east1}", "gcp: {project: acme-pay-1, region: us-central1}"))
    assert standby_site(gcp.spec, "gcp", "prod", ()) is None
    aws = load_spec_text(spec_text("dr: {region: us-west-2}")).spec
    standby, _, names = standby_site(aws, "aws", "prod", ("service", "cache", "database"))
    assert names == [] and [name for name, _, _ in standby.protected] == ["db", "docs"]


def test_the_runbook_states_targets_and_failover_steps():
    loaded = load_spec_text(spec_text("dr: {region: us-west-2, mode: warm_standby, rto: 30m}"))
    section = runbook(loaded.spec, lambda path: loaded.line_of(*path),
                      {"aws": lambda env, component, suffix, standby: f"{env}{'-dr' if standby else ''}-{component}"})
    db = next(target for target in section["targets"] if target["component"] == "db")
    assert db == {"component": "db", "type": "database", "cloud": "aws", "declared_at": "dr", "line": 5,
                  "primary_region": "us-east-1", "region": "us-west-2", "mode": "warm_standby", "rpo": "15m",
                  "rto": "30m", "compiles_to": "an RDS cross-region read replica (and AWS Backup copies)"}
    steps = section["failover"]["dev"]["aws"]["steps"]
    assert "aws rds promote-read-replica --db-instance-identifier dev-dr-db --region us-west-2" in steps[1]
    assert section["failover"]["dev"]["aws"]["standby_stack"] == "pay-dev-aws-dr"
    assert runbook(load_spec_text(spec_text("")).spec, lambda path: None, {"aws": None}) is None
