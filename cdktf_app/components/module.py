"""module -> an HCL module from modules/, copied beside the stack and called with the spec's checked inputs."""
from __future__ import annotations

from ..hcl_modules import read_module
from ..spec.model import ModuleUse
from .base import ComponentConstruct


class HclModuleUse(ComponentConstruct[ModuleUse]):
    def build(self) -> None:
        interface = read_module(self.component.source)
        module = self.ctx.hcl_module(self.name, self.name, interface.name, dict(self.component.inputs))
        self.export(**{output: lambda output=output: module.get_string(output) for output in interface.outputs})
