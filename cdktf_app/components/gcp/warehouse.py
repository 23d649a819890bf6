"""warehouse -> a BigQuery dataset encrypted with the stack key, with an optional table expiry."""
from __future__ import annotations

from cdktn_provider_google.bigquery_dataset import BigqueryDataset
from cdktn_provider_google.kms_crypto_key_iam_member import KmsCryptoKeyIamMember

from ...spec.model import Warehouse
from ..base import ComponentConstruct
from .provider import STACK_SECTION, project_number, region, stack_key

DAY_MS = 24 * 3600 * 1000


def bigquery_key(ctx) -> str:
    """The stack key, granted to BigQuery's encryption agent (whose name differs from other service agents)."""
    def build() -> str:
        grant = ctx.add(STACK_SECTION, KmsCryptoKeyIamMember, "stack_key_bigquery", crypto_key_id=stack_key(ctx).id,
                        role="roles/cloudkms.cryptoKeyEncrypterDecrypter",
                        member=f"serviceAccount:bq-{project_number(ctx)}@bigquery-encryption.iam.gserviceaccount.com")
        return grant.crypto_key_id
    return ctx.shared("gcp.kms.bigquery", build)


class GcpWarehouse(ComponentConstruct[Warehouse]):
    def build(self) -> None:
        spec = self.component
        dataset = self.add(
            BigqueryDataset, None, dataset_id=self.physical_name(max_length=1024, separator="_"),
            friendly_name=f"{self.ctx.prefix} {self.name}", location=region(self.ctx),
            description=spec.description, delete_contents_on_destroy=False,
            default_table_expiration_ms=spec.default_table_expiration_days * DAY_MS
            if spec.default_table_expiration_days else None,
            default_encryption_configuration={"kms_key_name": bigquery_key(self.ctx)}
            if spec.encrypted else None, labels=self.labels)
        self.export(dataset_id=lambda: dataset.dataset_id, id=lambda: dataset.id)
