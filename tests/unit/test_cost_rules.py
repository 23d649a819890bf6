"""Each pricing rule reproduces an independent published figure (the providers' public price pages as of 2025).

The figures are written in each test's docstring with their page. There is no network here: they are the
published 2025 figures as known when the tests were written, not re-read; where one is less sure, the docstring
says so. The catalogue marks the same figures `derived_from` (not `verified`) for that reason."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cdktf_app.cost import estimate
from cdktf_app.inventory.resources import Inventory, terraform_json_resources
from cdktf_app.spec.model import CostAssumptions

HOURS = 730
CLOUD_OF_PROVIDER = {"aws": "aws", "google": "gcp"}


def priced(resources: dict, region: str = "us-east-1", provider: str = "aws", as_of: date = date(2025, 6, 1),
           **usage):
    document = {"provider": {provider: [{"region": region}]}, "resource": resources}
    inventory = Inventory("terraform_json", Path("main.tf.json"), terraform_json_resources("s", document),
                          regions={"s": {CLOUD_OF_PROVIDER[provider]: region}})
    return estimate(inventory, usage=CostAssumptions(**usage), as_of=as_of)


def charges(result, address: str) -> dict[str, float]:
    line = result.line(address)
    assert line is not None, [item.reason for item in result.unpriced]
    return {charge.price.key: round(charge.monthly, 4) for charge in line.charges}


# ---------------------------------------------------------------- Aurora

AURORA = {
    "aws_rds_cluster": {"db": {"engine": "aurora-mysql", "cluster_identifier": "shop"}},
    "aws_rds_cluster_instance": {"one": {"engine": "aurora-mysql", "instance_class": "db.r6g.large",
                                         "cluster_identifier": "${aws_rds_cluster.db.id}"}},
}


def test_aurora_mysql_is_priced_as_aurora_instance_storage_and_io_not_as_rds_mysql():
    """https://aws.amazon.com/rds/aurora/pricing/ (2025, us-east-1, Aurora Standard): db.r6g.large $0.26 per hour;
    storage $0.10 per GB-month; I/O $0.20 per million requests. 50 GB and 100 M I/O a month:
    $189.80 + $5.00 + $20.00. (RDS for MySQL would be priced per instance with gp2/gp3 storage instead.)"""
    result = priced(AURORA)
    assert charges(result, "aws_rds_cluster_instance.one") == {"aurora_instance": 189.80}
    assert charges(result, "aws_rds_cluster.db") == {"aurora_storage": 5.00, "aurora_io": 20.00}
    assert result.total_monthly == 214.80 and not result.unpriced


def test_an_aurora_engine_on_a_db_instance_is_priced_at_the_aurora_rate():
    """https://aws.amazon.com/rds/aurora/pricing/ (2025, us-east-1): Aurora MySQL db.t4g.medium $0.073 per hour,
    against RDS for MySQL's $0.068 (the old rule stripped `aurora-` and priced RDS MySQL, ~7% low here)."""
    result = priced({"aws_db_instance": {"db": {"engine": "aurora-mysql", "instance_class": "db.t4g.medium"}}})
    assert charges(result, "aws_db_instance.db") == {"aurora_instance": round(0.073 * HOURS, 4)}


def test_aurora_io_optimized_bills_no_io_and_its_own_storage_and_instance_rates():
    """https://aws.amazon.com/rds/aurora/pricing/ (2025, us-east-1, Aurora I/O-Optimized): storage $0.225 per
    GB-month, no I/O charge, instances 30% above Standard (db.r6g.large $0.338 per hour)."""
    resources = {"aws_rds_cluster": {"db": {**AURORA["aws_rds_cluster"]["db"], "storage_type": "aurora-iopt1"}},
                 "aws_rds_cluster_instance": AURORA["aws_rds_cluster_instance"]}
    result = priced(resources, storage_gb=100)
    assert charges(result, "aws_rds_cluster.db") == {"aurora_storage_io_optimized": 22.50}
    assert charges(result, "aws_rds_cluster_instance.one") == {"aurora_instance_io_optimized": round(0.338 * HOURS, 4)}


def test_aurora_serverless_and_multi_az_db_clusters_are_unpriced_with_the_reason():
    result = priced({"aws_rds_cluster": {"plain": {"engine": "postgres"}},
                     "aws_rds_cluster_instance": {"flex": {"engine": "aurora-postgresql",
                                                           "instance_class": "db.serverless"}}})
    reasons = {item.address: item.reason for item in result.unpriced}
    assert "non-Aurora" in reasons["aws_rds_cluster.plain"] and "ACU" in reasons["aws_rds_cluster_instance.flex"]


# ---------------------------------------------------------------- load balancers


def test_a_network_load_balancer_is_priced_per_hour_and_nlcu():
    """https://aws.amazon.com/elasticloadbalancing/pricing/ (2025, us-east-1): NLB $0.0225 per hour and $0.006
    per NLCU-hour. At one NLCU on average (the usage knob): $16.425 + $4.38 = $20.805 a month."""
    balancer = {"aws_lb": {"nlb": {"load_balancer_type": "network", "internal": False}}}
    assert charges(priced(balancer, load_balancer_lcu=1), "aws_lb.nlb") == {"nlb_hour": 16.425, "nlb_lcu": 4.38}
    from_usage = priced(balancer)           # 100 GB a month is 0.137 GB an hour: bytes are the largest dimension
    line = from_usage.line("aws_lb.nlb")
    assert charges(from_usage, "aws_lb.nlb")["nlb_lcu"] == round(100 / HOURS * HOURS * 0.006, 4)
    assert "GB processed per hour" in line.charges[1].description


ALB_EXAMPLE_REQUESTS = 5 * 3600 * HOURS          # 5 requests a second
ALB_EXAMPLE_BYTES = 300e3 * 3600 * HOURS / 1e9   # 300 KB a second, in GB a month (1.08 GB an hour)


def alb_with_rules(count: int) -> dict:
    return {"aws_lb": {"web": {"load_balancer_type": "application"}},
            "aws_lb_listener": {"https": {"load_balancer_arn": "${aws_lb.web.arn}", "port": 443}},
            "aws_lb_listener_rule": {f"rule{index}": {"listener_arn": "${aws_lb_listener.https.arn}",
                                                      "priority": index} for index in range(count)}}


def test_alb_capacity_units_come_from_usage_the_largest_dimension_billed():
    """https://aws.amazon.com/elasticloadbalancing/pricing/ (2025, us-east-1), the ALB pricing example: 5 requests
    a second, 300 KB processed a second, 60 rules. LCU per dimension: new connections 5/25 = 0.2 (Nexus counts
    each request as a new connection; the page's example has 1 a second, 0.04), rule evaluations 5 x (60 - 10
    free) / 1,000 = 0.25, processed bytes 1.08 GB an hour / 1 GB = 1.08. Billed: 1.08 LCU x $0.008 = $0.00864
    an hour, plus $0.0225 an hour: $22.73 a month."""
    result = priced(alb_with_rules(60), requests_per_month=ALB_EXAMPLE_REQUESTS, data_transfer_gb=ALB_EXAMPLE_BYTES)
    assert charges(result, "aws_lb.web") == {"alb_hour": 16.425, "alb_lcu": round(1.08 * 0.008 * HOURS, 4)}
    assert result.line("aws_lb.web").monthly == 22.73
    no_bytes = priced(alb_with_rules(60), requests_per_month=ALB_EXAMPLE_REQUESTS, data_transfer_gb=0)
    lcu = no_bytes.line("aws_lb.web").charges[1]
    assert lcu.quantity == pytest.approx(0.25 * HOURS) and "rule evaluations per second" in lcu.description
    assert charges(priced(alb_with_rules(0), load_balancer_lcu=2), "aws_lb.web")["alb_lcu"] == 11.68


# ---------------------------------------------------------------- RDS


def test_rds_extended_support_is_charged_per_vcpu_for_old_engine_versions():
    """https://aws.amazon.com/rds/mysql/pricing/ and /rds/postgresql/pricing/ (2025, us-east-1): RDS Extended
    Support $0.100 per vCPU-hour in years 1-2 and $0.200 in year 3; MySQL 5.7 and PostgreSQL 11 entered it on
    2024-03-01. db.m7g.large has 2 vCPUs: $146.00 a month in mid-2025; a Multi-AZ db.m7g.xlarge (2 x 4 vCPUs)
    $584.00; from 2026-03-01 (year 3) double."""
    resources = {"aws_db_instance": {
        "old_mysql": {"engine": "mysql", "engine_version": "5.7.44", "instance_class": "db.m7g.large",
                      "allocated_storage": 20, "storage_type": "gp3"},
        "old_pg": {"engine": "postgres", "engine_version": "11.22", "instance_class": "db.m7g.xlarge",
                   "allocated_storage": 20, "storage_type": "gp3", "multi_az": True},
        "current": {"engine": "postgres", "engine_version": "16.4", "instance_class": "db.m7g.large",
                    "allocated_storage": 20, "storage_type": "gp3"}}}
    mid_2025 = priced(resources)
    assert charges(mid_2025, "aws_db_instance.old_mysql")["rds_extended_support"] == 146.00
    assert charges(mid_2025, "aws_db_instance.old_pg")["rds_extended_support"] == 584.00
    assert "rds_extended_support" not in charges(mid_2025, "aws_db_instance.current")
    year_three = priced(resources, as_of=date(2026, 6, 1))
    assert charges(year_three, "aws_db_instance.old_mysql")["rds_extended_support"] == 292.00
    assert "year 3" in year_three.line("aws_db_instance.old_mysql").charges[-1].description
    before = priced(resources, as_of=date(2024, 2, 1))
    assert "rds_extended_support" not in charges(before, "aws_db_instance.old_mysql")
    opted_out = {"aws_db_instance": {"old": {**resources["aws_db_instance"]["old_mysql"],
                                             "engine_lifecycle_support": "open-source-rds-extended-support-disabled"}}}
    assert "rds_extended_support" not in charges(priced(opted_out), "aws_db_instance.old")


def test_rds_gp3_iops_and_throughput_above_the_baseline_are_charged():
    """https://aws.amazon.com/rds/postgresql/pricing/ (2025, us-east-1, General Purpose gp3): storage $0.115 per
    GB-month includes 12,000 IOPS and 500 MiB/s from 400 GB (3,000 and 125 MiB/s below); beyond it $0.02 per
    IOPS-month and $0.080 per MiB/s-month. 500 GB at 15,000 IOPS and 600 MiB/s: $57.50 + 3,000 x $0.02 ($60.00)
    + 100 x $0.08 ($8.00); Multi-AZ bills all three twice."""
    database = {"engine": "postgres", "engine_version": "16.4", "instance_class": "db.m7g.large",
                "allocated_storage": 500, "storage_type": "gp3", "iops": 15000, "storage_throughput": 600}
    result = priced({"aws_db_instance": {"db": database, "ha": {**database, "multi_az": True},
                                         "small": {**database, "allocated_storage": 200, "iops": 3000,
                                                   "storage_throughput": 125}}})
    single = charges(result, "aws_db_instance.db")
    assert (single["rds_storage_gp3"], single["rds_gp3_iops"], single["rds_gp3_throughput"]) == (57.50, 60.00, 8.00)
    double = charges(result, "aws_db_instance.ha")
    assert (double["rds_gp3_iops"], double["rds_gp3_throughput"]) == (120.00, 16.00)
    assert set(charges(result, "aws_db_instance.small")) == {"rds_instance", "rds_storage_gp3"}


def test_ebs_gp3_iops_and_throughput_above_the_baseline_are_charged_per_instance():
    """https://aws.amazon.com/ebs/pricing/ (2025, us-east-1, gp3): 3,000 IOPS and 125 MiB/s free, then $0.005 per
    IOPS-month and $0.040 per MiB/s-month. Two instances with 100 GB at 6,000 IOPS and 250 MiB/s:
    2 x 3,000 x $0.005 = $30.00 and 2 x 125 x $0.04 = $10.00."""
    result = priced({
        "aws_launch_template": {"web": {"instance_type": "t3.small", "block_device_mappings": [{"ebs": {
            "volume_size": 100, "volume_type": "gp3", "iops": 6000, "throughput": 250}}]}},
        "aws_autoscaling_group": {"web": {"desired_capacity": 2, "min_size": 2, "max_size": 4,
                                          "launch_template": {"id": "${aws_launch_template.web.id}"}}}})
    found = charges(result, "aws_autoscaling_group.web")
    assert (found["ebs_gp3"], found["ebs_gp3_iops"], found["ebs_gp3_throughput"]) == (16.00, 30.00, 10.00)


# ---------------------------------------------------------------- Cloud SQL


def cloud_sql(**settings) -> dict:
    return {"google_sql_database_instance": {"db": {"database_version": "POSTGRES_16", "region": "us-central1",
                                                    "settings": {"availability_type": "ZONAL", **settings}}}}


def test_cloud_sql_hdd_is_priced_at_the_hdd_rate_not_the_ssd_rate():
    """https://cloud.google.com/sql/pricing (2025, us-central1): HDD storage $0.090 per GB-month, SSD $0.170.
    100 GB of HDD: $9.00 (the old rule charged $17.00)."""
    hdd = priced(cloud_sql(tier="db-custom-2-7680", disk_type="PD_HDD", disk_size=100), "us-central1", "google")
    ssd = priced(cloud_sql(tier="db-custom-2-7680", disk_size=100), "us-central1", "google")
    assert charges(hdd, "google_sql_database_instance.db")["cloud_sql_hdd"] == 9.00
    assert charges(ssd, "google_sql_database_instance.db")["cloud_sql_ssd"] == 17.00


def test_cloud_sql_enterprise_plus_is_priced_at_its_own_rates():
    """https://cloud.google.com/sql/pricing (2025, us-central1): Enterprise Plus $0.05369 per vCPU-hour and
    $0.0091 per GB-hour (Enterprise: $0.0413 and $0.0070). db-perf-optimized-N-2 has 2 vCPUs and 16 GB:
    2 x $0.05369 x 730 = $78.39 and 16 x $0.0091 x 730 = $106.29. Less sure than the Enterprise figures: the
    Enterprise Plus rates are as recalled (1.3 x Enterprise), not re-read."""
    result = priced(cloud_sql(edition="ENTERPRISE_PLUS", tier="db-perf-optimized-N-2", disk_size=10),
                    "us-central1", "google")
    found = charges(result, "google_sql_database_instance.db")
    assert (found["cloud_sql_plus_vcpu"], found["cloud_sql_plus_memory"]) == (78.3874, 106.288)
    mismatched = priced(cloud_sql(edition="ENTERPRISE_PLUS", tier="db-custom-2-7680"), "us-central1", "google")
    unpriced, = mismatched.unpriced
    assert "db-perf-optimized" in unpriced.reason and "ENTERPRISE_PLUS" in unpriced.reason


# ---------------------------------------------------------------- GCP forwarding rules


def forwarding_rules(pairs: int, singles: int) -> dict:
    rules = {}
    for index in range(pairs):
        rules[f"lb{index}_http"] = {"ip_address": f"${{google_compute_global_address.lb{index}.id}}",
                                    "port_range": "80", "target": "x"}
        rules[f"lb{index}_https"] = {"ip_address": f"${{google_compute_global_address.lb{index}.id}}",
                                     "port_range": "443", "target": "y"}
    rules |= {f"single{index}": {"port_range": "443", "target": "z"} for index in range(singles)}
    return {"google_compute_global_forwarding_rule": rules}


def test_forwarding_rules_share_the_five_rule_minimum_and_an_http_https_pair_counts_once():
    """https://cloud.google.com/vpc/network-pricing (2025, forwarding rules): the first 5 rules $0.025 an hour in
    total, each additional $0.01 an hour. One load balancer's HTTP+HTTPS pair on one address: $18.25 a month,
    not $36.50 (the old rule charged each rule the five-rule minimum)."""
    one_pair = priced(forwarding_rules(1, 0), "us-central1", "google")
    assert one_pair.total_monthly == 18.25
    assert one_pair.line("google_compute_global_forwarding_rule.lb0_https").monthly == 0
    assert "same IP address" in one_pair.line("google_compute_global_forwarding_rule.lb0_https").charges[0].description
    seven = priced(forwarding_rules(1, 6), "us-central1", "google")     # 7 counted: 5 in the minimum, 2 more
    assert seven.total_monthly == round(18.25 + 2 * 0.01 * HOURS, 2) == 32.85


# ---------------------------------------------------------------- CloudFront


def test_cloudfront_requests_are_priced_where_the_viewers_are():
    """https://aws.amazon.com/cloudfront/pricing/ (2025): HTTPS requests $0.0120 per 10,000 in Europe, $0.0100 in
    the United States; data out $0.085 per GB in both (first 10 TB). 1 M requests: $1.20 from Europe, $1.00
    from North America."""
    distribution = {"aws_cloudfront_distribution": {"cdn": {"enabled": True}}}
    europe = priced(distribution, "eu-west-1")
    america = priced(distribution, "us-east-1")
    assert charges(europe, "aws_cloudfront_distribution.cdn") == {"cloudfront_data_out": 8.50,
                                                                  "cloudfront_requests": 1.20}
    assert charges(america, "aws_cloudfront_distribution.cdn")["cloudfront_requests"] == 1.00
    assert any("viewers assumed in europe" in note for note in europe.assumptions)
