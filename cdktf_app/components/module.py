"""module -> an HCL module from modules/, copied beside the stack and called with the spec's checked inputs."""
from __future__ import annotations

from ..hcl_modules import read_module
from ..spec.model import ModuleUse
from .base import ComponentConstruct


class HclModuleUse(ComponentConstruct[ModuleUse]):
    def build(self) -> None:
        import cdktn

        interface = read_module(self.component.source)
        module = cdktn.TerraformHclModule(self.ctx.stack, self.name, source=f"./modules/{interface.name}",
                                          skip_asset_creation_from_local_modules=True,
                                          variables=dict(self.component.inputs))
        self.ctx.modules_used.add(interface.name)
        self.ctx.register(self.name, f"module.{self.name}", module)
        self.export(**{output: module.get_string(output) for output in interface.outputs})
