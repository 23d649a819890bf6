"""The Terraform input variables through which `nexus release` moves a service's traffic, one set per service with
a canary or blue_green `release:`, the same names on every cloud. Their defaults are the spec's: the spec's
image on both versions and no traffic on the new one, so a plain deploy changes nothing."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReleaseVariables:
    stable_image: str   # the image the stable version runs
    next_image: str     # the image being released
    next_weight: str    # per cent of the traffic the new version receives (0-100)

    @classmethod
    def of(cls, component: str) -> ReleaseVariables:
        return cls(f"{component}_image", f"{component}_next_image", f"{component}_next_weight")

    def reference(self, name: str) -> str:
        return "${var." + name + "}"

    @property
    def stable_weight_expression(self) -> str:
        return "${100 - var." + self.next_weight + "}"

    def declare(self, stack, component: str, image: str) -> None:
        import cdktn   # here, not at the top: `nexus release` reads the names without starting Node

        for name, what in ((self.stable_image, "image of the stable version"),
                           (self.next_image, "image being released")):
            cdktn.TerraformVariable(stack, name, type="string", default=image, nullable=False,
                                    description=f"{component}: {what} (set by nexus release)")
        cdktn.TerraformVariable(
            stack, self.next_weight, type="number", default=0, nullable=False,
            description=f"{component}: per cent of the traffic the released version receives (set by nexus release)",
            validation=[cdktn.TerraformVariableValidationConfig(
                condition=f"${{var.{self.next_weight} >= 0 && var.{self.next_weight} <= 100}}",
                error_message="a traffic weight is a per cent between 0 and 100")])
