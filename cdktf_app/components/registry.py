"""Which construct builds which component on which cloud, imported lazily by dotted name.

The rule, derived from the spec model's component types: type `vm_group` on cloud `aws` is built by
`cdktf_app.components.aws.vm_group.AwsVmGroup`. A new component type needs its model in the union and one such
file per cloud that offers it, nothing else.
"""
from __future__ import annotations

import importlib

from ..spec.model import CLOUDS, COMPONENT_TYPES


def construct_path(cloud: str, component_type: str) -> tuple[str, str]:
    """(module, class name) of the construct: `("aws", "vm_group")` -> (`...components.aws.vm_group`, `AwsVmGroup`)."""
    camel = "".join(part.capitalize() for part in component_type.split("_"))
    return f"{__package__}.{cloud}.{component_type}", f"{cloud.capitalize()}{camel}"


def construct_class(cloud: str, component_type: str) -> type:
    """`("aws", "database")` -> `cdktf_app.components.aws.database.AwsDatabase`."""
    if component_type not in COMPONENT_TYPES or cloud not in CLOUDS:
        raise KeyError((cloud, component_type))
    if component_type == "module":
        from .module import HclModuleUse
        return HclModuleUse
    module, class_name = construct_path(cloud, component_type)
    return getattr(importlib.import_module(module), class_name)


def cloud_setup(cloud: str):
    """The function that configures a cloud's provider (and stack-wide resources) in a new stack, and has the
    spec's secrets built once the components are (see components/secrets.py)."""
    from .secrets import build_stack_secrets

    configure = importlib.import_module(f"{__package__}.{cloud}.provider").configure

    def setup(ctx) -> None:
        configure(ctx)
        ctx.on_finish(lambda: build_stack_secrets(ctx))
    return setup

