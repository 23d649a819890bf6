"""Load a spec file: YAML -> typed model -> cross-reference checks, every problem with file:line:column."""
from __future__ import annotations

import difflib
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from ..errors import Problem, SpecError
from ..sensitive import SECRET_NAME
from . import model
from .source import SourceDocument, SourceMap, SpecPath, decode_spec, read_spec_bytes, read_yaml


@dataclass(frozen=True)
class LoadedSpec:
    """A valid spec with where it came from: the source map is what provenance points back to."""

    spec: model.Spec
    source: SourceMap
    path: Path | None
    digest: str

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()

    def line_of(self, *path: str | int) -> int | None:
        return self.source.position(tuple(path))[0]


def load_spec(path: str | Path) -> LoadedSpec:
    path = Path(path)
    data = read_spec_bytes(path)
    document = read_yaml(decode_spec(data, str(path)), file=str(path))
    return _validated(document, path, hashlib.sha256(data).hexdigest())


def load_spec_text(text: str, file: str = "<spec>", path: str | Path | None = None) -> LoadedSpec:
    """`path`: the file this text is (about to be) written to, when it is one (a fix loop's edit)."""
    document = read_yaml(text, file=file)
    return _validated(document, Path(path) if path else None, hashlib.sha256(text.encode()).hexdigest())


def _validated(document: SourceDocument, path: Path | None, digest: str) -> LoadedSpec:
    source = document.source
    if not isinstance(document.data, dict):
        raise SpecError([source.problem((), "a spec is a mapping with apiVersion, name, providers and components")])
    try:
        spec = model.Spec.model_validate(document.data)
    except ValidationError as error:
        raise SpecError(_problems_from(error, document.data, source)) from None
    problems = check_references(spec, source)
    if problems:
        raise SpecError(problems)
    return LoadedSpec(spec=spec, source=source, path=path, digest=digest)


# ---------------------------------------------------------------- pydantic errors -> problems
def _problems_from(error: ValidationError, data: dict, source: SourceMap) -> list[Problem]:
    problems = []
    for item in error.errors(include_url=False):
        path = _spec_path(item["loc"], data)
        problems.append(source.problem(path, _message(item, path, data)))
    return _unique(problems)


def _spec_path(loc: tuple, data: dict) -> SpecPath:
    """Drop the discriminator tag pydantic inserts for a component: ('components','db','database','engine')."""
    path = list(loc)
    if len(path) >= 3 and path[0] == "components":
        component = data.get("components", {}).get(path[1]) if isinstance(data.get("components"), dict) else None
        if isinstance(component, dict) and path[2] == component.get("type"):
            del path[2]
    return tuple(part for part in path if not (isinstance(part, str) and part.startswith("function-")))


def _message(item: dict, path: SpecPath, data: dict) -> str:
    kind = item["type"]
    if kind == "extra_forbidden":
        return _unknown_key(path, data)
    if kind == "missing":
        return f"required key '{path[-1]}' is missing" if path else "required key is missing"
    if kind == "union_tag_invalid":
        given = item.get("ctx", {}).get("tag")
        return f"unknown component type '{given}'{_did_you_mean(given, model.COMPONENT_TYPES)}; " \
               f"expected one of: {', '.join(model.COMPONENT_TYPES)}"
    if kind == "union_tag_not_found":
        return f"a component needs a 'type': one of {', '.join(model.COMPONENT_TYPES)}"
    if kind == "literal_error":
        expected = item.get("ctx", {}).get("expected", "")
        given = item.get("input")
        options = [option.strip(" '") for option in expected.replace(" or ", ",").split(",")]
        return f"got {given!r}{_did_you_mean(str(given), options)}; expected {expected}"
    if kind == "string_pattern_mismatch":
        field = _field_description(path)
        return f"{item['input']!r} is not valid" + (f": {field}" if field else f" (pattern {item['ctx']['pattern']})")
    message = item["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    return f"{message} (got {item['input']!r})" if kind.endswith("_type") or kind.endswith("_parsing") else message


def _unknown_key(path: SpecPath, data: dict) -> str:
    key = path[-1]
    known = _known_keys(path[:-1], data)
    return f"unknown key '{key}'{_did_you_mean(str(key), known)}" + (
        f"; expected one of: {', '.join(known)}" if known and len(known) <= 25 else "")


def _known_keys(parent: SpecPath, data: dict) -> list[str]:
    owner = _model_at(parent, data)
    if owner is None:
        return []
    return [field.alias or name for name, field in owner.model_fields.items()]


def _model_at(path: SpecPath, data: dict) -> type[BaseModel] | None:
    """The model class that validates the mapping at `path` (enough of a walk for 'did you mean')."""
    if not path:
        return model.Spec
    head, *rest = path
    if head == "providers":
        if not rest:
            return model.Providers
        return {"aws": model.AwsProvider, "gcp": model.GcpProvider, "azure": model.AzureProvider,
                "edge": model.EdgeProvider}.get(rest[0]) if len(rest) == 1 else None
    if head == "compliance":
        if not rest:
            return model.Compliance
        return model.Suppression if rest[0] == "suppressions" and len(rest) == 2 else None
    if head == "secrets" and len(rest) == 1:
        return model.Secret
    if head == "components" and len(rest) == 1:
        component = data.get("components", {}).get(rest[0])
        if isinstance(component, dict):
            return model.component_class(component.get("type"))
    return None


def _field_description(path: SpecPath) -> str | None:
    if not path or not isinstance(path[-1], str):
        return None
    known = {
        "name": model.Spec.model_fields["name"], "region": model.AwsProvider.model_fields["region"],
        "cidr": model.Network.model_fields["cidr"],
    }
    field = known.get(path[-1])
    if field is None:
        return None
    for meta in field.metadata:
        if getattr(meta, "description", None):
            return meta.description
    return field.description


def _did_you_mean(given: str | None, options) -> str:
    if not given:
        return ""
    close = difflib.get_close_matches(str(given), [str(option) for option in options], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _unique(problems: list[Problem]) -> list[Problem]:
    seen, result = set(), []
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            result.append(problem)
    return result


# ---------------------------------------------------------------- cross references
def check_references(spec: model.Spec, source: SourceMap) -> list[Problem]:
    problems: list[Problem] = []
    enabled = spec.providers.enabled()
    if not enabled:
        problems.append(source.problem(("providers",), "configure at least one provider: aws, gcp, azure or edge"))
    for cloud, region_key in (("aws", "region"), ("gcp", "region"), ("azure", "location")):
        provider = getattr(spec.providers, cloud)
        region = getattr(provider, region_key, None)
        unknown = _region_problems(cloud, region_key, provider, source) if provider else []
        problems.extend(unknown)
        if provider and not unknown and provider.allowed_regions is not None and region not in provider.allowed_regions:
            problems.append(source.problem(("providers", cloud, region_key),
                                           f"{region_key} '{region}' is outside allowed_regions "
                                           f"({', '.join(provider.allowed_regions)})"))
    clouds = [cloud for cloud in model.CLOUDS if cloud in enabled]
    for name, component in spec.components.items():
        where = ("components", name)
        if component.provider and component.provider not in enabled:
            problems.append(source.problem((*where, "provider"),
                                           f"provider '{component.provider}' is not configured under providers"))
        elif not clouds:
            problems.append(source.problem(where, "components need a cloud provider (aws, gcp or azure)"))
        else:
            problems.extend(_availability_problems(spec, name, component, source))
        problems.extend(_reference_problems(spec, name, component, source))
        for secret in getattr(component, "secrets", []):
            if secret not in spec.secrets:
                problems.append(source.problem((*where, "secrets"),
                                               f"unknown secret '{secret}'{_did_you_mean(secret, spec.secrets)}"))
        problems.extend(_plaintext_secret_problems(name, component, source))
        for index, watched in enumerate(getattr(component, "watch", [])):
            if watched not in spec.components:
                problems.append(source.problem((*where, "watch", index), f"no component named '{watched}'"
                                                                         f"{_did_you_mean(watched, spec.components)}"))
        if isinstance(component, model.ModuleUse):
            from ..hcl_modules import check_module_inputs
            problems.extend(check_module_inputs(component, where, source))
    problems.extend(_secret_database_problems(spec, source))
    if not problems:  # the recovery sites are judged against providers and components that are sound
        from ..dr.checks import dr_problems
        problems.extend(dr_problems(spec, source))
    if spec.providers.edge and spec.providers.edge.site_inputs:
        from ..hcl_modules import check_inputs
        problems.extend(check_inputs("edge-site", spec.providers.edge.site_inputs,
                                     ("providers", "edge", "site_inputs"), source, provided_by_nexus=EDGE_SITE_FIXED))
    return problems


# Credentials whose shape gives them away, whatever the variable is called.
CREDENTIAL_SHAPES = re.compile(r"(AKIA|ASIA)[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|gh[pousr]_[A-Za-z0-9]{36}"
                               r"|xox[abpr]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{16,}|://[^/\s:@]+:[^/\s@]+@")
# A secret-named variable that holds where to find a secret, not the secret (DB_PASSWORD_SECRET_ARN).
REFERENCE_SUFFIX = re.compile(r"(?i)_(ARN|ID|NAME|URL|URI|PATH|FILE|REF)$")


def _plaintext_secret_problems(name: str, component: model.ComponentBase, source: SourceMap) -> list[Problem]:
    """A secret value in a plain environment variable (readable by anyone who can describe the task or
    function, and kept in the state) is refused: the component names the secret in `secrets` instead."""
    problems = []
    for variable, value in getattr(component, "environment", {}).items():
        secret_named = SECRET_NAME.search(variable) and not REFERENCE_SUFFIX.search(variable)
        if value and (secret_named or CREDENTIAL_SHAPES.search(value)):
            problems.append(source.problem(
                ("components", name, "environment", variable),
                f"{variable} would put a secret value in a plain environment variable; declare it under secrets: "
                f"(kind: external, or generated to let Nexus create it) and list it in components.{name}.secrets, "
                "which passes a reference, never the value"))
    return problems


def _secret_database_problems(spec: model.Spec, source: SourceMap) -> list[Problem]:
    """A managed or dynamic secret's `database` names a database component."""
    problems = []
    for secret_name, secret in spec.secrets.items():
        target = secret.database
        if target is None or getattr(spec.components.get(target), "type", None) == "database":
            continue
        databases = [other for other, c in spec.components.items() if c.type == "database"]
        problems.append(source.problem(("secrets", secret_name, "database"),
                                       f"no database component named '{target}'{_did_you_mean(target, databases)}"))
    return problems


def _region_problems(cloud: str, region_key: str, provider, source: SourceMap) -> list[Problem]:
    """The provider's region and each allowed_regions entry must be one the cloud has."""
    from .regions import unknown_region

    where = ("providers", cloud)
    named = [((*where, region_key), getattr(provider, region_key), False)]
    named += [((*where, "allowed_regions", index), entry, True)
              for index, entry in enumerate(provider.allowed_regions or [])]
    return [source.problem(path, reason) for path, region, multi in named
            if (reason := unknown_region(cloud, region, multi_regions=multi))]


def _availability_problems(spec: model.Spec, name: str, component: model.ComponentBase,
                           source: SourceMap) -> list[Problem]:
    offered = model.AVAILABILITY.get(component.type)
    if offered is None:
        return []
    missing = [cloud for cloud in spec.clouds_for(component) if cloud not in offered]
    if not missing:
        return []
    return [source.problem(("components", name, "type"),
                           f"{component.type} is available on {', '.join(offered)} only, not on "
                           f"{', '.join(missing)}; pin it with provider: {offered[0]}")]


# Inputs of modules/edge-site that Nexus sets itself for each location.
EDGE_SITE_FIXED = ("site_name", "update_strategy", "labels")


def _reference_problems(spec: model.Spec, name: str, component: model.ComponentBase,
                        source: SourceMap) -> list[Problem]:
    problems = []
    for field, accepted in model.REFERENCE_FIELDS.items():
        target_name = getattr(component, field, None)
        if target_name is None:
            continue
        path = ("components", name, field)
        target = spec.components.get(target_name)
        if target is None:
            candidates = [other for other, c in spec.components.items() if c.type in accepted]
            problems.append(source.problem(path, f"no component named '{target_name}'"
                                                 f"{_did_you_mean(target_name, candidates)}; expected a "
                                                 f"{' or '.join(accepted)} component"))
        elif target.type not in accepted:
            problems.append(source.problem(path, f"'{target_name}' is a {target.type}; expected a "
                                                 f"{' or '.join(accepted)} component"))
        elif not set(spec.clouds_for(component)) <= set(spec.clouds_for(target)):
            problems.append(source.problem(path, f"'{target_name}' is not built on every cloud '{name}' uses "
                                                 f"({', '.join(spec.clouds_for(component))}); pin both with "
                                                 "provider:"))
    return problems
