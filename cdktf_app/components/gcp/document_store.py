"""document_store -> a Firestore (native mode) database with point-in-time recovery, delete protection and CMEK."""
from __future__ import annotations

from cdktn_provider_google.firestore_database import FirestoreDatabase

from ...spec.model import DocumentStore
from ..base import ComponentConstruct
from .provider import encryption_key, project, region


class GcpDocumentStore(ComponentConstruct[DocumentStore]):
    """Firestore accepts only a key in the database's own location: the database lives in the stack's region,
    which is where the stack key is, so an encrypted database uses the stack key through the Firestore agent."""

    def build(self) -> None:
        spec = self.component
        database = self.add(
            FirestoreDatabase, None, project=project(self.ctx), name=self.physical_name(max_length=63),
            location_id=region(self.ctx), type="FIRESTORE_NATIVE", concurrency_mode="OPTIMISTIC",
            point_in_time_recovery_enablement="POINT_IN_TIME_RECOVERY_ENABLED" if spec.point_in_time_recovery
            else "POINT_IN_TIME_RECOVERY_DISABLED",
            delete_protection_state="DELETE_PROTECTION_ENABLED" if spec.deletion_protection
            else "DELETE_PROTECTION_DISABLED",
            deletion_policy="ABANDON" if spec.deletion_protection else "DELETE",
            cmek_config={"kms_key_name": encryption_key(self.ctx, "firestore")} if spec.encrypted else None)
        self.export(name=lambda: database.name, id=lambda: database.id)
