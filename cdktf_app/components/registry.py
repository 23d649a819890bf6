"""Which construct builds which component on which cloud, imported lazily by dotted name."""
from __future__ import annotations

import importlib

from ..spec.model import COMPONENT_TYPES

_CLASS_NAMES = {
    "network": "Network", "service": "Service", "vm_group": "VmGroup", "kubernetes": "Kubernetes",
    "database": "Database", "cache": "Cache", "bucket": "Bucket", "queue": "Queue", "function": "Function",
    "cdn": "Cdn", "document_store": "DocumentStore", "warehouse": "Warehouse", "monitoring": "Monitoring",
}
_CLOUD_PREFIX = {"aws": "Aws", "gcp": "Gcp", "azure": "Azure"}


def construct_class(cloud: str, component_type: str) -> type:
    """`("aws", "database")` -> `cdktf_app.components.aws.database.AwsDatabase`."""
    if component_type not in COMPONENT_TYPES or cloud not in _CLOUD_PREFIX:
        raise KeyError((cloud, component_type))
    if component_type == "module":
        from .module import HclModuleUse
        return HclModuleUse
    module = importlib.import_module(f"{__package__}.{cloud}.{component_type}")
    return getattr(module, f"{_CLOUD_PREFIX[cloud]}{_CLASS_NAMES[component_type]}")


def cloud_setup(cloud: str):
    """The function that configures a cloud's provider (and stack-wide resources) in a new stack."""
    return importlib.import_module(f"{__package__}.{cloud}.provider").configure
