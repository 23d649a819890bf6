"""What a component construct sees while it builds: its stack, the (escaped) spec, naming, tags, provenance."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import Problem, SpecError
from ..spec.loader import LoadedSpec
from ..spec.model import ComponentBase, Spec
from .provenance import Origin, Provenance
from .structs import as_structs

_type_names: dict[type, str] = {}


class Exports(dict):
    """What a component offers others. A callable value is read on first use: each attribute read is a round
    trip to the jsii kernel, and most exports (an ARN, a URL) are never asked for."""

    def __getitem__(self, key: str) -> Any:
        value = super().__getitem__(key)
        if callable(value):
            value = value()
            self[key] = value
        return value


def terraform_type(construct_class: type) -> str:
    """`S3Bucket` -> `aws_s3_bucket` (read once per class: each read is a round trip to the jsii kernel)."""
    if construct_class not in _type_names:
        _type_names[construct_class] = construct_class.TF_RESOURCE_TYPE
    return _type_names[construct_class]


def address_of(construct_class: type, logical_id: str) -> str:
    """`aws_s3_bucket.x`, `data.aws_iam_policy_document.x` or `ephemeral.random_password.x`."""
    kind = next((kind for kind in ("Data", "Ephemeral") if construct_class.__name__.startswith(kind)), None)
    prefix = f"{kind.lower()}." if kind else ""
    return f"{prefix}{terraform_type(construct_class)}.{logical_id}"


@dataclass
class StackContext:
    """One stack being built: a (environment x provider) pair, or one edge location."""

    stack: Any
    stack_name: str
    loaded: LoadedSpec
    spec: Spec                       # escaped copy: every string safe to hand to Terraform
    environment: str
    cloud: str                       # aws | gcp | azure | edge
    provenance: Provenance
    location: str | None = None
    standby: Any = None              # cdktf_app.dr.standby.Standby in the recovery-region copy of a stack
    resources: dict[str, Any] = field(default_factory=dict)
    exports: dict[str, Exports] = field(default_factory=dict)
    assets: dict[str, bytes] = field(default_factory=dict)
    modules_used: set[str] = field(default_factory=set)
    _shared: dict[str, Any] = field(default_factory=dict)
    _logical_ids: set[str] = field(default_factory=set)
    _finalizers: list[Callable[[], None]] = field(default_factory=list)

    # ------------------------------------------------------------ resources
    def add(self, component: str, construct_class: type, logical_id: str, /, **attributes: Any) -> Any:
        """Create a resource directly in the stack (readable address `<type>.<logical_id>`) and record it."""
        address = address_of(construct_class, logical_id)
        if logical_id in self._logical_ids:
            raise SpecError([self._problem(component.split(".")[-1], f"two resources would share the id "
                                                                     f"'{logical_id}'; rename a component")])
        self._logical_ids.add(logical_id)
        construct = construct_class(self.stack, logical_id, **as_structs(construct_class, attributes))
        self.register(component, address, construct)
        return construct

    def register(self, owner: str, address: str, construct: Any) -> None:
        """Record a synthesized element under the spec path it came from (`db` or `providers.edge.locations`)."""
        self.resources[address] = construct
        spec_path = owner if "." in owner else f"components.{owner}"
        line, column = self.loaded.source.position(tuple(spec_path.split(".")))
        self.provenance.record(Origin(stack=self.stack_name, address=address, component=owner.split(".")[-1],
                                      spec_path=spec_path, line=line, column=column))

    def hcl_module(self, owner: str, logical_id: str, module_name: str, variables: dict[str, Any]) -> Any:
        """Call a module from modules/; synth copies it beside the stack, so the source stays `./modules/<name>`."""
        import cdktn

        module = cdktn.TerraformHclModule(self.stack, logical_id, source=f"./modules/{module_name}",
                                          skip_asset_creation_from_local_modules=True, variables=variables)
        self.modules_used.add(module_name)
        self.register(owner, f"module.{logical_id}", module)
        return module

    def adder(self, owner: str, base_id: str) -> Callable[..., Any]:
        """`add(cls, role, **attributes)` naming resources `<base_id>_<role>`, recorded under `owner`."""
        def add(construct_class: type, role: str | None, /, **attributes: Any) -> Any:
            return self.add(owner, construct_class, f"{base_id}_{role}" if role else base_id, **attributes)
        return add

    def shared(self, key: str, factory: Callable[[], Any]) -> Any:
        """A stack-wide resource built once on first use (the stack's KMS key, its log bucket...)."""
        if key not in self._shared:
            self._shared[key] = factory()
        return self._shared[key]

    def on_finish(self, finalizer: Callable[[], None]) -> None:
        """Run once every component is built (e.g. a bucket policy other components add statements to)."""
        self._finalizers.append(finalizer)

    def finish(self) -> None:
        for finalizer in self._finalizers:
            finalizer()
        self._finalizers.clear()

    def add_asset(self, relative_path: str, content: bytes) -> str:
        """A file written beside the stack's cdk.tf.json (a function's code archive); returns its path."""
        self.assets[relative_path] = content
        return relative_path

    # ------------------------------------------------------------ naming and tags
    @property
    def prefix(self) -> str:
        return f"{self.spec.name}-{self.environment}"

    def physical_name(self, component: str, suffix: str = "", max_length: int = 63, separator: str = "-",
                      environment: str | None = None) -> str:
        """A cloud-side name: `<spec>-<env>-<component>[-suffix]`, shortened with a stable hash when too long;
        `environment` names another environment's resource (the primary's, from its recovery-region copy)."""
        parts = [self.spec.name, environment or self.environment, component.replace("_", "-")]
        if suffix:
            parts.append(suffix)
        name = separator.join(parts)
        if separator != "-":
            name = name.replace("-", separator)
        if len(name) <= max_length:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:6]
        return f"{name[:max_length - 7].rstrip(separator)}{separator}{digest}"

    def tags(self, component: str | None = None) -> dict[str, str]:
        tags = {"nexus:spec": self.spec.name, "nexus:environment": self.environment, "managed-by": "nexus"}
        tags.update(self.spec.tags)
        if component is not None:
            tags["nexus:component"] = component
            spec_component = self.spec.components.get(component)
            if spec_component is not None:
                tags.update(spec_component.tags)
        return tags

    def labels(self, component: str | None = None) -> dict[str, str]:
        """GCP/Kubernetes labels: lower-case `[a-z0-9_-]`, keys start with a letter, ≤63 chars."""
        return {_label(key, key=True): _label(value) for key, value in self.tags(component).items()}

    # ------------------------------------------------------------ other components
    def component(self, name: str) -> ComponentBase:
        return self.spec.components[name]

    def export(self, component: str, **values: Any) -> None:
        self.exports.setdefault(component, Exports()).update(values)

    def imported(self, component: str) -> Exports:
        """What an already-built component exported (built first thanks to the reference order)."""
        return self.exports[component]

    def network_for(self, component: ComponentBase) -> str | None:
        """The network a component runs in: the one it names, else the only network on this cloud."""
        named = getattr(component, "network", None)
        if named:
            return named
        networks = [name for name, other in self.spec.components.items()
                    if other.type == "network" and self.cloud in self.spec.clouds_for(other)]
        return networks[0] if len(networks) == 1 else None

    def referenced_by(self, name: str, component_type: str, field: str) -> bool:
        """Whether a component of `component_type` on this cloud names `name` in `field` (a CDN's origin, a
        function's trigger)."""
        return any(other.type == component_type and getattr(other, field) == name
                   and self.cloud in self.spec.clouds_for(other) for other in self.spec.components.values())

    def _problem(self, component: str, message: str) -> Problem:
        return self.loaded.source.problem(("components", component), message)


def _label(text: str, key: bool = False) -> str:
    value = re.sub(r"[^a-z0-9_-]+", "_", text.lower())[:63]
    if key and not value[:1].isalpha():
        value = f"k{value}"[:63]
    return value
