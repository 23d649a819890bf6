"""The shape every component construct has."""
from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from ..errors import SpecError
from ..spec.model import ComponentBase, secure_settings
from ..kit.context import StackContext

C = TypeVar("C", bound=ComponentBase)


class ComponentConstruct(Generic[C]):
    """Maps one spec component to idiomatic resources of one cloud.

    Resources are created directly in the stack through `self.add`, so their addresses stay readable
    (`aws_db_instance.db`) and each one is recorded in the provenance map under this component.
    """

    # Secure settings of the model this cloud's service cannot deliver: field -> why. A spec that asks for the
    # secure value in so many words gets a located error; left unset, the setting is documented as not applied.
    UNSUPPORTED: ClassVar[dict[str, str]] = {}

    def __init__(self, ctx: StackContext, name: str, component: C) -> None:
        self.ctx = ctx
        self.name = name
        self.component = component
        self._refuse_unsupported()

    def _refuse_unsupported(self) -> None:
        secure = secure_settings(self.component.type)
        asked = [field for field in self.UNSUPPORTED
                 if field in self.component.model_fields_set and secure[field].allows(getattr(self.component, field))]
        if asked:
            source = self.ctx.loaded.source
            raise SpecError([source.problem(("components", self.name, field),
                                            f"{str(getattr(self.component, field)).lower()} cannot be honoured "
                                            f"on {self.ctx.cloud}: {self.UNSUPPORTED[field]}")
                             for field in asked])

    def build(self) -> None:
        raise NotImplementedError

    def add(self, construct_class: type, role: str | None, /, **attributes: Any) -> Any:
        """Add a resource; `role` distinguishes several resources of one component (`db_subnets`)."""
        return self.ctx.adder(self.name, self.name)(construct_class, role, **attributes)

    def physical_name(self, suffix: str = "", max_length: int = 63, separator: str = "-") -> str:
        return self.ctx.physical_name(self.name, suffix, max_length, separator)

    @property
    def tags(self) -> dict[str, str]:
        return self.ctx.tags(self.name)

    @property
    def labels(self) -> dict[str, str]:
        return self.ctx.labels(self.name)

    def export(self, **values: Any) -> None:
        self.ctx.export(self.name, **values)


def watched_components(ctx: StackContext, watch: list[str], kinds) -> list[str]:
    """Components a monitoring component alerts on: those it names (default: all) that were built in this stack
    and whose type has an alert, in spec order."""
    names = watch or list(ctx.spec.components)
    return [name for name in names if name in ctx.exports and ctx.component(name).type in kinds]
