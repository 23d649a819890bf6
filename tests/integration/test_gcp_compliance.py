"""GCP constructs that a compliance gate used to reject: a Cloud CDN origin bucket and an encrypted Firestore.

The gamedev blueprint on GCP puts Cloud CDN in front of a private bucket and keeps player data in Firestore; its
render must pass its own high gate. A bucket the spec declares public stays public (that is the user's choice).
"""
from __future__ import annotations

import pytest

from cdktf_app.compliance import check
from tests.conftest import synthesized, synthesized_text
from tests.helpers import load_stack

CDN_FILL_MEMBER = ("serviceAccount:service-${data.google_project.project.number}"
                   "@cloud-cdn-fill.iam.gserviceaccount.com")
FIRESTORE_AGENT = ("serviceAccount:service-${data.google_project.project.number}"
                   "@gcp-sa-firestore.iam.gserviceaccount.com")

PUBLIC_ORIGIN_SPEC = """\
apiVersion: nexus/v1
name: site
providers:
  gcp: {project: acme-demo-1234, region: europe-west1}
environments: [dev]
tags: {team: Platform}
components:
  site_files: {type: bucket, public: true}
  site_cdn: {type: cdn, origin: site_files}
  cache_data: {type: document_store, encrypted: false}
"""


def gcp_stacks(result) -> list[dict]:
    return [load_stack(result.stack_json(info.name)) for info in result.stacks if info.name.endswith("-gcp")]


@pytest.fixture(scope="module")
def gamedev_gcp(tmp_path_factory):
    return synthesized(tmp_path_factory, "gamedev", {"primary_cloud": "gcp"})


@pytest.fixture(scope="module")
def public_origin(tmp_path_factory):
    return synthesized_text(tmp_path_factory, "public-origin", PUBLIC_ORIGIN_SPEC)


def test_cdn_origin_bucket_stays_private_and_only_the_cdn_cache_filler_reads_it(gamedev_gcp):
    stacks = gcp_stacks(gamedev_gcp)
    assert stacks, "gamedev with primary_cloud=gcp has GCP stacks"
    for stack in stacks:
        resources = stack["resource"]
        assert resources["google_storage_bucket"]["game_assets"]["public_access_prevention"] == "enforced"
        grants = resources["google_storage_bucket_iam_member"]
        assert not [name for name, grant in grants.items() if grant["member"] in ("allUsers", "allAuthenticatedUsers")]
        fill = grants["game_assets_cdn_fill_read"]
        assert fill["bucket"] == "${google_storage_bucket.game_assets.name}"
        assert (fill["role"], fill["member"]) == ("roles/storage.objectViewer", CDN_FILL_MEMBER)
        assert "project" in stack["data"]["google_project"], "the project number comes from the project itself"


def test_encrypted_firestore_uses_the_stack_key_granted_to_the_firestore_agent(gamedev_gcp):
    for stack in gcp_stacks(gamedev_gcp):
        resources = stack["resource"]
        database = resources["google_firestore_database"]["player_data"]
        assert database["cmek_config"] == {
            "kms_key_name": "${google_kms_crypto_key_iam_member.stack_key_firestore.crypto_key_id}"}
        grant = resources["google_kms_crypto_key_iam_member"]["stack_key_firestore"]
        assert grant["crypto_key_id"] == "${google_kms_crypto_key.stack_key.id}"
        assert (grant["role"], grant["member"]) == ("roles/cloudkms.cryptoKeyEncrypterDecrypter", FIRESTORE_AGENT)
        key_ring = next(iter(resources["google_kms_key_ring"].values()))
        assert key_ring["location"] == database["location_id"], "Firestore takes only a key in its own location"


def test_a_bucket_the_spec_declares_public_stays_public_behind_a_cdn(public_origin):
    (stack,) = gcp_stacks(public_origin)
    resources = stack["resource"]
    assert resources["google_storage_bucket"]["site_files"]["public_access_prevention"] == "inherited"
    assert resources["google_storage_bucket_iam_member"]["site_files_public_read"]["member"] == "allUsers"
    assert "site_files_cdn_fill_read" not in resources["google_storage_bucket_iam_member"]
    assert "cmek_config" not in resources["google_firestore_database"]["cache_data"]
    assert "stack_key_firestore" not in resources.get("google_kms_crypto_key_iam_member", {})


def test_gamedev_on_gcp_passes_its_own_high_gate(gamedev_gcp, checkov_worker):
    report = check(gamedev_gcp.out_dir, worker=checkov_worker)
    blocking = [(finding.check_id, finding.stack, finding.address) for finding in report.blocking("high")]
    assert not blocking
