"""Offline provider schema validation: schemas derived from the installed bindings' jsii assemblies (cached per
binding version), checked against every synthesized stack, findings located at the spec line."""
from .check import SchemaFinding, check_configuration
from .report import ProviderSchemaError, SchemaReport, check_out_dir
from .store import SchemaStore, installed_bindings

__all__ = ["ProviderSchemaError", "SchemaFinding", "SchemaReport", "SchemaStore", "check_configuration",
           "check_out_dir", "installed_bindings"]
