"""What the Nexus checks share: the scan context, reading checkov's list-wrapped values, IAM policy parsing.

checkov imports every file of this folder as a top-level module named after the file, so check files carry a
`nexus_` prefix and this one a private name; it defines helpers and base classes, never a check instance.

The scan context is the JSON file that NEXUS_CHECK_CONTEXT names:
    {"required_tags": {"team": "payments"}, "allowed_regions": {"aws": ["eu-west-1"]},
     "regulated": true, "standards": ["pci-dss"]}
It is read when a check runs (a long-lived scan worker changes the variable between scans), cached by path and
modification time.
"""
from __future__ import annotations

import json
import logging
import os
import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

_context_cache: dict[tuple[str, int], dict] = {}
_reported: set[str] = set()


def scan_context() -> dict | None:
    """The context of the current scan, or None when NEXUS_CHECK_CONTEXT is not set or cannot be read.

    checkov swallows exceptions raised by a check (and skips the resource's remaining checks), so a broken
    context file is logged at CRITICAL level, which still shows under LOG_LEVEL=CRITICAL, and treated as absent."""
    path = os.environ.get("NEXUS_CHECK_CONTEXT")
    if not path:
        return None
    try:
        key = (path, os.stat(path).st_mtime_ns)
        if key not in _context_cache:
            with open(path, encoding="utf-8") as handle:
                data = json.load(handle)
            if not isinstance(data, dict):
                raise ValueError("expected a JSON object")
            _context_cache.clear()
            _context_cache[key] = data
        return _context_cache[key]
    except (OSError, ValueError) as error:
        if path not in _reported:
            _reported.add(path)
            logging.getLogger("nexus.checks").critical(
                "NEXUS_CHECK_CONTEXT=%s: cannot read the check context (%s); spec-dependent checks are skipped",
                path, error)
        return None


def regulated_scope() -> bool:
    """Customer-managed keys are demanded for regulated data; without a context every store is treated so."""
    context = scan_context()
    return True if context is None else bool(context.get("regulated"))


# ---------------------------------------------------------------- reading checkov's conf
def plain(value: Any) -> Any:
    """checkov wraps attribute values in lists and adds __startline__/__endline__ keys; undo both."""
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def attribute(conf: dict, *path: str) -> Any:
    """`attribute(conf, "settings", "ip_configuration", "ssl_mode")`, None where any step is missing."""
    value: Any = conf
    for key in path:
        value = plain(value)
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return plain(value)


def is_reference(value: Any) -> bool:
    """A Terraform expression (`${...}`) rather than a literal; `$${` is an escaped literal `${`."""
    return isinstance(value, str) and "${" in value.replace("$${", "")


def unescape(text: str) -> str:
    """Terraform JSON escapes literal `${` and `%{` as `$${` and `%%{`; compare with what the spec said."""
    return text.replace("$${", "${").replace("%%{", "%{")


def is_set(value: Any) -> bool:
    return value not in (None, "", [], {}, False)


def gcp_label(text: str, key: bool = False) -> str:
    """How Nexus turns a tag into a GCP label (cdktf_app/stacks/context.py `_label`), to compare like with like."""
    value = re.sub(r"[^a-z0-9_-]+", "_", text.lower())[:63]
    if key and not value[:1].isalpha():
        value = f"k{value}"[:63]
    return value


# ---------------------------------------------------------------- shared check shapes
class ContextCheck(BaseResourceCheck):
    """A resource check that needs the scan context: without one it reports nothing (UNKNOWN is not recorded)."""

    def __init__(self, name: str, id: str, supported_resources: tuple[str, ...],
                 categories: tuple = (CheckCategories.GENERAL_SECURITY,)) -> None:
        super().__init__(name=name, id=id, categories=categories, supported_resources=supported_resources)

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        context = scan_context()
        if context is None:
            return CheckResult.UNKNOWN
        return self.scan_with_context(conf, context)

    def scan_with_context(self, conf: dict[str, list[Any]], context: dict) -> CheckResult:
        raise NotImplementedError


class RequiredTagsCheck(ContextCheck):
    """Every taggable resource carries each of the spec's tags with the spec's value."""

    tags_attribute = "tags"

    def __init__(self, name: str, id: str, supported_resources: tuple[str, ...]) -> None:
        super().__init__(name=name, id=id, supported_resources=supported_resources,
                         categories=(CheckCategories.CONVENTION,))

    def tags_of(self, conf: dict) -> dict:
        tags = attribute(conf, self.tags_attribute)
        return tags if isinstance(tags, dict) else {}

    def expected(self, required: dict) -> dict[str, str]:
        return {str(key): str(value) for key, value in required.items()}

    def scan_with_context(self, conf: dict, context: dict) -> CheckResult:
        required = self.expected(context.get("required_tags") or {})
        if not required:
            return CheckResult.UNKNOWN
        tags = self.tags_of(conf)
        if is_reference(tags):
            return CheckResult.UNKNOWN
        actual = {str(key): unescape(str(value)) for key, value in tags.items()}
        missing = [key for key, value in required.items() if actual.get(key) != value]
        return CheckResult.FAILED if missing else CheckResult.PASSED


class ResidencyCheck(ContextCheck):
    """A resource's literal location is one of the spec's allowed regions for its cloud."""

    cloud = ""
    location_attributes = ("location", "region")

    def __init__(self, name: str, id: str, supported_resources: tuple[str, ...]) -> None:
        super().__init__(name=name, id=id, supported_resources=supported_resources)

    def scan_with_context(self, conf: dict, context: dict) -> CheckResult:
        allowed = (context.get("allowed_regions") or {}).get(self.cloud)
        if not allowed:
            return CheckResult.UNKNOWN
        locations = [attribute(conf, name) for name in self.location_attributes]
        literal = [_normal(str(value)) for value in locations if isinstance(value, str) and not is_reference(value)]
        if not literal:
            return CheckResult.UNKNOWN
        allowed_set = {_normal(region) for region in allowed}
        return CheckResult.PASSED if all(location in allowed_set for location in literal) else CheckResult.FAILED


class CustomerKeyCheck(BaseResourceCheck):
    """Regulated data at rest is encrypted with a key the customer manages (KMS CMK / Cloud KMS / Key Vault).

    `rules` maps a resource type to a function of its conf that says whether a customer key is configured.
    When the context says the data is not regulated the check reports nothing; without a context it applies."""

    rules: dict = {}

    def __init__(self, name: str, id: str) -> None:
        super().__init__(name=name, id=id, categories=(CheckCategories.ENCRYPTION,),
                         supported_resources=tuple(self.rules))

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        if not regulated_scope():
            return CheckResult.UNKNOWN
        has_key = type(self).rules[self.entity_type]
        return CheckResult.PASSED if has_key(conf) else CheckResult.FAILED


AWS_MANAGED_ALIAS = re.compile(r"(^|:)alias/aws/")


def aws_customer_key(value: Any) -> bool:
    """A KMS key id/ARN/alias that is not an AWS-managed `alias/aws/...` key."""
    return is_set(value) and isinstance(value, str) and not AWS_MANAGED_ALIAS.search(value)


# ---------------------------------------------------------------- IAM policies (terraform_json)
IAM_POLICY_RESOURCES = ("aws_iam_policy", "aws_iam_role_policy", "aws_iam_user_policy", "aws_iam_group_policy")
_JSONENCODE = re.compile(r"^\$\{jsonencode\((?P<body>.*)\)\}$", re.DOTALL)


def policy_document(value: Any) -> dict | None:
    """An IAM policy as a dict, from a dict, a JSON string or a `${jsonencode({...})}` HCL expression.

    Nexus constructs emit both string forms; checkov's own IAM checks read neither for terraform_json."""
    value = plain(value)
    if isinstance(value, dict):
        return value
    if not isinstance(value, str):
        return None
    match = _JSONENCODE.match(value.strip())
    if match:
        return _hcl_object(match.group("body"))
    try:
        document = json.loads(value)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _hcl_object(body: str) -> dict | None:
    import hcl2  # checkov's bc-python-hcl2: parses the HCL object syntax of jsonencode's argument

    try:
        parsed = hcl2.loads(f"document = {body}\n")
    except Exception:  # noqa: BLE001 - any parser failure means "cannot tell", not a crash of the scan
        return None
    document = plain(parsed.get("document"))
    return document if isinstance(document, dict) else None


class IamPolicyCheck(BaseResourceCheck):
    """Runs one cloudsplaining analysis (the engine of checkov's HCL-only IAM checks) on an inline policy."""

    def __init__(self, name: str, id: str) -> None:
        super().__init__(name=name, id=id, categories=(CheckCategories.IAM,),
                         supported_resources=IAM_POLICY_RESOURCES)

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> CheckResult:
        if "policy" not in conf:
            return CheckResult.UNKNOWN
        document = policy_document(conf["policy"])
        if document is None:
            return CheckResult.UNKNOWN
        return CheckResult.FAILED if self.violations_in(document) else CheckResult.PASSED

    def violations_in(self, document: dict) -> list:
        from cloudsplaining.scan.policy_document import PolicyDocument

        return self.violations(PolicyDocument(document))

    def violations(self, policy: Any) -> list:
        """The offending actions that one cloudsplaining analysis finds in the PolicyDocument."""
        raise NotImplementedError


def statements(document: dict) -> list[dict]:
    found = document.get("Statement", [])
    return [item for item in (found if isinstance(found, list) else [found]) if isinstance(item, dict)]


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else [value]


def _normal(location: str) -> str:
    """`West Europe`, `westeurope` and `WESTEUROPE` name one place."""
    return location.replace(" ", "").lower()


# ---------------------------------------------------------------- plaintext secrets in environments
CREDENTIAL_VALUE = re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b|-----BEGIN [A-Z ]*PRIVATE KEY-----")
# Values that name where a secret is kept: a Key Vault reference, a Secrets Manager ARN (a function on AWS gets
# <NAME>_SECRET_ARN; in a plan the ARN is known, no longer a ${...} reference).
SECRET_REFERENCE = ("@Microsoft.KeyVault(", "arn:aws:secretsmanager:", "arn:aws-cn:secretsmanager:",
                    "arn:aws-us-gov:secretsmanager:")
# Azure's identity-based connections name the kind of credential, not a secret: `<connection>__credential`.
IDENTITY_SELECTOR = ("__credential", "managedidentity")

# resource type -> how to list its (name, value) pairs
SECRET_ENVIRONMENTS = {
    "aws_lambda_function": lambda conf: _mapping(attribute(conf, "environment", "variables")),
    "aws_ecs_task_definition": lambda conf: _container_definitions(attribute(conf, "container_definitions")),
    "google_cloudfunctions2_function": lambda conf: _mapping(
        attribute(conf, "service_config", "environment_variables")),
    "google_cloud_run_v2_service": lambda conf: _pairs(attribute(conf, "template", "containers"), "env"),
    "azurerm_linux_function_app": lambda conf: _mapping(attribute(conf, "app_settings")),
    "azurerm_windows_function_app": lambda conf: _mapping(attribute(conf, "app_settings")),
    "azurerm_linux_web_app": lambda conf: _mapping(attribute(conf, "app_settings")),
    "azurerm_container_app": lambda conf: _pairs(attribute(conf, "template", "container"), "env"),
}


def _mapping(value) -> list[tuple[str, object]]:
    return [(str(name), item) for name, item in value.items()] if isinstance(value, dict) else []


def _pairs(containers, key: str) -> list[tuple[str, object]]:
    """`[{env: [{name, value}, ...]}, ...]` (Cloud Run, Container Apps, ECS container definitions); checkov's
    reading unwraps one-item lists, so one container or one entry may come as the item itself."""
    pairs = []
    for container in containers if isinstance(containers, list) else [containers]:
        entries = plain(container.get(key)) if isinstance(container, dict) else None
        for entry in entries if isinstance(entries, list) else [entries]:
            if isinstance(entry, dict):
                pairs.append((str(entry.get("name")), entry.get("value")))
    return pairs


def _container_definitions(value) -> list[tuple[str, object]]:
    if isinstance(value, str) and not is_reference(value):
        try:
            value = json.loads(value)
        except ValueError:
            return []
    return _pairs(value, "environment")


def looks_secret(name: str, value: object, secret_name: re.Pattern | None) -> bool:
    if not isinstance(value, str) or not value.strip() or is_reference(value) or value.startswith(SECRET_REFERENCE):
        return False
    if name.endswith(IDENTITY_SELECTOR[0]) and value == IDENTITY_SELECTOR[1]:
        return False
    return bool(CREDENTIAL_VALUE.search(value) or (secret_name and secret_name.search(name)))


class PlaintextSecretEnvCheck(BaseResourceCheck):
    """NEXUS_<CLOUD>_PLAINTEXT_SECRET_ENV, one per cloud; see nexus_aws_plaintext_secret_env.py."""

    def __init__(self, check_id: str, resource_types: tuple[str, ...]) -> None:
        super().__init__(name="No plaintext secret in a function's or container's environment variables",
                         id=check_id, categories=(CheckCategories.SECRETS,), supported_resources=resource_types)

    def scan_resource_conf(self, conf) -> CheckResult:
        pattern = os.environ.get("NEXUS_SECRET_NAME")
        secret_name = re.compile(pattern) if pattern else None
        pairs = SECRET_ENVIRONMENTS[self.entity_type](conf)
        return CheckResult.FAILED if any(looks_secret(name, value, secret_name) for name, value in pairs) \
            else CheckResult.PASSED
