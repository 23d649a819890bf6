"""The Nexus spec v1 as a typed model.

Defaults are the secure choice: encrypted, private, logged, backed up, tagged. A component is provider-agnostic;
each cloud maps it to its own services (see `cdktf_app.components`). Pin one with `provider:`.
"""
from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

API_VERSION = "nexus/v1"
CLOUDS = ("aws", "gcp", "azure")
PROVIDERS = (*CLOUDS, "edge")

Name = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,29}$",
                            description="lower-case letters, digits and '-', starting with a letter, ≤30 chars")]
ComponentName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
TagKey = Annotated[str, Field(pattern=r"^[\w.:/=+@ -]{1,127}$")]
TagValue = Annotated[str, Field(max_length=255)]
Tags = dict[TagKey, TagValue]
Size = Literal["small", "medium", "large", "xlarge"]
Cidr = Annotated[str, Field(pattern=r"^(\d{1,3}\.){3}\d{1,3}/(1[6-9]|2[0-8])$",
                            description="an IPv4 CIDR between /16 and /28")]


@dataclass(frozen=True)
class Secure:
    """Field marker: the value of a security setting a fix may put back and a prompt may not weaken. For a
    number it is a floor (`backup_retention_days` of at least 7). Kept out of the JSON Schema."""

    value: bool | int

    def allows(self, given: Any) -> bool:
        if isinstance(self.value, bool):
            return given is self.value
        return isinstance(given, int) and not isinstance(given, bool) and given >= self.value


Encrypted = Annotated[bool, Secure(True)]
Private = Annotated[bool, Secure(False)]
Kept = Annotated[bool, Secure(True)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---------------------------------------------------------------- providers
class AwsProvider(Strict):
    region: str = Field("us-east-1", pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
    allowed_regions: list[str] | None = Field(None, description="data residency: regions this spec may use")


class GcpProvider(Strict):
    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
    region: str = Field("us-central1", pattern=r"^[a-z]+-[a-z]+\d+$")
    allowed_regions: list[str] | None = Field(None, description="data residency: regions and multi-regions (EU, "
                                                                 "US) this spec may use")


class AzureProvider(Strict):
    location: str = Field("eastus", pattern=r"^[a-z0-9]+$")
    allowed_regions: list[str] | None = Field(None, description="data residency: locations this spec may use")
    resource_group: str | None = Field(None, pattern=r"^[\w.()-]{1,90}$",
                                       description="defaults to <name>-<env>")


class EdgeProvider(Strict):
    locations: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]] = Field(min_length=1)
    update_strategy: Literal["air_gapped", "rolling", "manual"] = "rolling"
    distribution: Literal["k3s"] = "k3s"
    site_inputs: dict[str, Any] = Field(default_factory=dict,
                                        description="inputs for the modules/edge-site HCL module")


class Providers(Strict):
    aws: AwsProvider | None = None
    gcp: GcpProvider | None = None
    azure: AzureProvider | None = None
    edge: EdgeProvider | None = None

    def enabled(self) -> list[str]:
        return [name for name in PROVIDERS if getattr(self, name) is not None]


# ---------------------------------------------------------------- components
class ComponentBase(Strict):
    # The clouds that offer this component type; None: every cloud in CLOUDS.
    clouds: ClassVar[tuple[str, ...] | None] = None
    provider: Literal["aws", "gcp", "azure"] | None = Field(
        None, description="pin the component to one cloud; default: every cloud in providers")
    tags: Tags = Field(default_factory=dict)
    description: str | None = Field(None, max_length=256)


class Scaled(ComponentBase):
    """A component that scales between `min` and `max` (instances, tasks or nodes)."""

    @model_validator(mode="after")
    def _bounds(self):
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Network(ComponentBase):
    type: Literal["network"]
    cidr: Cidr = "10.0.0.0/16"
    zones: int = Field(2, ge=1, le=6, description="availability zones to spread subnets over")
    nat: bool = Field(True, description="give private subnets outbound internet through NAT")
    flow_logs: Kept = True


class Service(Scaled):
    """Containers behind a load balancer, scaled between min and max."""

    type: Literal["service"]
    image: str = Field(min_length=1, max_length=512)
    port: int = Field(8080, ge=1, le=65535)
    cpu: int = Field(512, description="CPU units (1024 = 1 vCPU)")
    memory: int = Field(1024, ge=128, le=122880, description="MiB")
    min: int = Field(1, ge=0, le=1000)
    max: int = Field(2, ge=1, le=1000)
    cpu_target: int = Field(60, ge=10, le=95, description="target CPU % for auto-scaling")
    public: bool = False
    certificate: str | None = Field(None, max_length=2048,
                                    description="TLS certificate for the load balancer (an ACM ARN on AWS); "
                                                "without one the listener serves plain HTTP")
    health_check: str = Field("/health", pattern=r"^/[^\s]*$")
    environment: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(default_factory=dict)
    secrets: list[str] = Field(default_factory=list, description="names from the spec's secrets section")
    network: str | None = Field(None, description="network component to run in")

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        if value not in (256, 512, 1024, 2048, 4096, 8192, 16384):
            raise ValueError("cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384")
        return value


class VmGroup(Scaled):
    type: Literal["vm_group"]
    size: Size = "medium"
    image: str | None = Field(None, description="machine image id; default: the cloud's current LTS Linux")
    min: int = Field(1, ge=0, le=1000)
    max: int = Field(2, ge=1, le=1000)
    disk_gb: int = Field(30, ge=8, le=16384)
    network: str | None = None


class Kubernetes(Scaled):
    type: Literal["kubernetes"]
    version: str = Field("1.31", pattern=r"^1\.\d{2}$")
    node_size: Size = "medium"
    min: int = Field(1, ge=1, le=1000)
    max: int = Field(3, ge=1, le=1000)
    public_endpoint: Private = False
    network: str | None = None


DATABASE_VERSIONS = {"postgres": ("13", "14", "15", "16", "17"), "mysql": ("8.0", "8.4")}


class Database(ComponentBase):
    type: Literal["database"]
    engine: Literal["postgres", "mysql"] = "postgres"
    version: str | None = Field(None, description="major version; default: the newest supported")
    size: Size = "small"
    storage_gb: int = Field(20, ge=20, le=65536)
    high_availability: bool = False
    backup_retention_days: Annotated[int, Secure(7)] = Field(7, ge=0, le=35,
                                                             description="days of automated backups; 0 turns "
                                                                         "them off")
    deletion_protection: Kept = True
    encrypted: Encrypted = True
    public: Private = False
    network: str | None = None

    @model_validator(mode="after")
    def _version(self) -> Database:
        known = DATABASE_VERSIONS[self.engine]
        if self.version is None:
            object.__setattr__(self, "version", known[-1])
        elif str(self.version) not in known:
            raise ValueError(f"{self.engine} version must be one of {', '.join(known)}")
        return self


class Cache(ComponentBase):
    type: Literal["cache"]
    engine: Literal["redis", "valkey"] = "redis"
    size: Size = "small"
    replicas: int = Field(1, ge=0, le=5)
    encrypted: Encrypted = True
    network: str | None = None


class Bucket(ComponentBase):
    type: Literal["bucket"]
    versioned: Kept = True
    public: Private = False
    encrypted: Encrypted = True
    expire_days: int | None = Field(None, ge=1, le=36500, description="delete objects after this many days")
    access_logs: Kept = True


class Queue(ComponentBase):
    type: Literal["queue"]
    kind: Literal["queue", "topic"] = "queue"
    fifo: bool = False
    retention_hours: int = Field(96, ge=1, le=336)
    dead_letter: bool = True
    encrypted: Encrypted = True


class Function(ComponentBase):
    type: Literal["function"]
    runtime: Literal["python3.12", "python3.11", "nodejs20", "nodejs22", "go1.x"] = "python3.12"
    handler: str = Field("main.handler", pattern=r"^[\w./-]+$")
    source: str | None = Field(None, description="directory with the code, relative to the spec; "
                                                 "default: a stub that answers 501 until you deploy code")
    memory: int = Field(256, ge=128, le=10240)
    timeout: int = Field(30, ge=1, le=900)
    trigger: str | None = Field(None, description="queue component whose messages invoke the function")
    environment: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(default_factory=dict)

    @field_validator("source")
    @classmethod
    def _source_inside_project(cls, value: str | None) -> str | None:
        """Syntax only; kit/assets.py resolves symlinks and refuses secret files when it reads the folder."""
        if value is None:
            return None
        parts = value.replace("\\", "/").split("/")
        if value.startswith(("/", "~")) or ".." in parts:
            raise ValueError(f"source '{value}' leaves the project: give a folder relative to the spec, "
                             "without '/', '~' or '..' (function code lives beside the spec)")
        if any(part.startswith(".") and part != "." for part in parts):
            raise ValueError(f"source '{value}' is a dot-folder: those hold credentials and tool settings and are "
                             "never packaged; move the code to a plain folder")
        return value


class Cdn(ComponentBase):
    type: Literal["cdn"]
    origin: str = Field(description="bucket or service component served through the CDN")
    waf: Kept = True
    price_class: Literal["all", "regional"] = "regional"


class DocumentStore(ComponentBase):
    """A serverless document/key-value database (DynamoDB, Firestore)."""

    clouds = ("aws", "gcp")
    type: Literal["document_store"]
    partition_key: str = Field("id", pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,254}$")
    sort_key: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,254}$")
    point_in_time_recovery: Kept = True
    deletion_protection: Kept = True
    encrypted: Encrypted = True


class Warehouse(ComponentBase):
    """An analytics dataset (BigQuery)."""

    clouds = ("gcp",)
    type: Literal["warehouse"]
    default_table_expiration_days: int | None = Field(None, ge=1, le=36500)
    encrypted: Encrypted = True


class Monitoring(ComponentBase):
    """Alerts on the components it watches, sent to an e-mail address."""

    clouds = ("aws", "gcp")
    type: Literal["monitoring"]
    notify: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="e-mail address for alerts")
    watch: list[str] = Field(default_factory=list, description="components to alert on; default: all")


class ModuleUse(ComponentBase):
    """An HCL module from modules/; its inputs are checked against the module's variables."""

    type: Literal["module"]
    source: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="a module directory name under modules/")
    inputs: dict[str, Any] = Field(default_factory=dict)


Component = Annotated[
    Union[Network, Service, VmGroup, Kubernetes, Database, Cache, Bucket, Queue, Function, Cdn, DocumentStore,
          Warehouse, Monitoring, ModuleUse],
    Field(discriminator="type"),
]


# The one catalogue of component types: everything below is derived from the union above.
COMPONENT_MODELS: dict[str, type[ComponentBase]] = {
    cls.model_fields["type"].annotation.__args__[0]: cls for cls in Component.__origin__.__args__}  # type: ignore
COMPONENT_TYPES = tuple(COMPONENT_MODELS)
# Component types that not every cloud offers; the rest exist on aws, gcp and azure.
AVAILABILITY = {name: cls.clouds for name, cls in COMPONENT_MODELS.items() if cls.clouds is not None}


def component_class(type_name: Any) -> type[ComponentBase] | None:
    """The model class of a component type (`database` -> Database), or None."""
    return COMPONENT_MODELS.get(type_name) if isinstance(type_name, str) else None


def secure_settings(component_type: str) -> dict[str, Secure]:
    """The security settings a component type declares (`Secure` on the field), by field name."""
    return {name: marker for name, info in COMPONENT_MODELS[component_type].model_fields.items()
            for marker in info.metadata if isinstance(marker, Secure)}
# Components that may name another component, and which types they accept.
REFERENCE_FIELDS = {"network": ("network",), "origin": ("bucket", "service"), "trigger": ("queue",)}


# ---------------------------------------------------------------- the rest
class Secret(Strict):
    source: Literal["aws-secrets-manager", "gcp-secret-manager", "azure-key-vault", "vault"] = Field(alias="from")
    name: str = Field(min_length=1, max_length=256)
    rotation_days: int | None = Field(None, ge=1, le=365)


STANDARDS = {
    "pci-dss": ("4.0", "3.2.1"),
    "hipaa": ("v3.2", "2013"),
    "soc2": ("type2", "type1"),
    "cis-aws": ("5.0", "3.0"),
    "cis-gcp": ("3.0", "2.0"),
    "cis-azure": ("3.0", "2.1"),
    "gdpr": ("2016/679",),
    "iso27001": ("2022",),
}


class Standard(Strict):
    id: str
    version: str


GLOB_CHARACTERS = "*?["
# A wildcard pattern, when allowed, must name one family of checks (CKV_AWS_*, CKV2_GCP_*, NEXUS_AZURE_*).
CHECK_FAMILY = re.compile(r"(CKV2?|NEXUS)_[A-Z0-9]+_")


class Suppression(Strict):
    # Declared before `check`, whose validator reads it.
    allow_wildcard: bool = Field(False, description="let `check` be a glob over one family of checks "
                                 "(CKV_AWS_*); every check report names the suppression and what it silenced")
    check: str = Field(min_length=3, description="one check id (CKV_AWS_18, NEXUS_AWS_S3_CMK)")
    resource: str | None = None
    reason: str = Field(min_length=10, description="why this finding is accepted: required")
    expires: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$")

    @field_validator("check")
    @classmethod
    def _one_check_unless_allowed(cls, value: str, info: ValidationInfo) -> str:
        """A glob silences every check it matches, including checks later checkov releases add: one id, or an
        explicit allow_wildcard and a pattern that stays inside one family."""
        if not any(character in value for character in GLOB_CHARACTERS):
            return value
        if not info.data.get("allow_wildcard"):
            raise ValueError(f"expected one check id (e.g. CKV_AWS_18), got the pattern {value!r}, which silences "
                             "every check it matches; set allow_wildcard: true on this suppression to allow a "
                             "pattern over one family of checks (CKV_AWS_*)")
        if not CHECK_FAMILY.match(value):
            raise ValueError(f"{value!r} is not confined to one family of checks: with allow_wildcard the pattern "
                             "must start with a family such as CKV_AWS_, CKV2_GCP_ or NEXUS_AZURE_ (to not gate "
                             "at all, use --fail-on never)")
        return value

    @field_validator("expires", mode="before")
    @classmethod
    def _a_real_day(cls, value: Any) -> Any:
        """Unquoted, `2027-06-30` is a YAML date; quoted or not it must be a day that exists (not 2027-02-30)."""
        if isinstance(value, datetime.date):
            return value.isoformat()
        if isinstance(value, str):
            try:
                datetime.datetime.strptime(value, "%Y-%m-%d")
            except ValueError:
                raise ValueError(f"expected a date YYYY-MM-DD that exists, got {value!r}") from None
        return value


class Compliance(Strict):
    standards: list[Standard] = Field(default_factory=list)
    auto_remediate: bool = False
    gate: Literal["low", "medium", "high", "critical"] = "high"
    suppressions: list[Suppression] = Field(default_factory=list)

    @field_validator("standards", mode="before")
    @classmethod
    def _seed_form(cls, value: Any) -> Any:
        """Accept `- pci-dss: "4.0"`, `- hipaa` and `{id: hipaa, version: v3.2}` alike."""
        if not isinstance(value, list):
            return value
        normalized = []
        for item in value:
            if isinstance(item, str):
                normalized.append(_standard(item, None))
            elif isinstance(item, dict) and len(item) == 1 and "id" not in item:
                (key, version), = item.items()
                normalized.append(_standard(str(key), version))
            else:
                normalized.append(item)
        return normalized


def _standard(key: str, version: Any) -> dict:
    key = key.lower()
    if key not in STANDARDS:
        raise ValueError(f"unknown standard '{key}'; known: {', '.join(STANDARDS)}")
    known = STANDARDS[key]
    version = known[0] if version is None else str(version)
    if version not in known:
        raise ValueError(f"{key} version must be one of {', '.join(known)}, got '{version}'")
    return {"id": key, "version": version}


class CostAssumptions(Strict):
    """Usage that `nexus cost` cannot read from the resources; each figure is per resource and per month.
    Finite and bounded (an exabyte, a quadrillion requests): an estimate is never Infinity or NaN."""

    model_config = ConfigDict(allow_inf_nan=False)

    hours_per_month: float = Field(730, gt=0, le=744, description="hours each always-on resource runs")
    storage_gb: float = Field(50, ge=0, le=1e9, description="GB stored per bucket, storage account and document "
                                                             "store")
    requests_per_month: float = Field(1_000_000, ge=0, le=1e15, description="requests per function, queue, topic, "
                                                                              "document store (reads and writes "
                                                                              "each), CDN and WAF")
    function_duration_ms: float = Field(200, gt=0, le=900_000, description="average run time of one invocation")
    data_transfer_gb: float = Field(100, ge=0, le=1e9, description="GB out of each CDN and through each NAT gateway")
    log_ingest_gb: float = Field(1, ge=0, le=1e9, description="GB of logs written to each log group or workspace")
    warehouse_scanned_tib: float = Field(1, ge=0, le=1e6, description="TiB scanned by queries per analytics "
                                                                       "dataset")


# ---------------------------------------------------------------- state
StateKeyPrefix = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
                                      description="folder of the state objects; each stack adds <stack>.tfstate")]


class LocalState(Strict):
    """State files beside each stack's cdk.tf.json (terraform.<stack>.tfstate): for one person, trying."""

    backend: Literal["local"] = "local"


class S3State(Strict):
    """State in an S3 bucket, locked with an S3 lock file (Terraform >= 1.10) and encrypted at rest."""

    backend: Literal["s3"]
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
    key_prefix: StateKeyPrefix = "nexus"
    region: str | None = Field(None, pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
                               description="default: providers.aws.region, else us-east-1")
    use_lockfile: bool = Field(True, description="S3-native locking; set false only with dynamodb_table")
    dynamodb_table: str | None = Field(None, description="legacy DynamoDB lock table")
    kms_key_id: str | None = Field(None, description="KMS key for the state objects; default: S3-managed")

    @model_validator(mode="after")
    def _locked(self):
        if not self.use_lockfile and not self.dynamodb_table:
            raise ValueError("state must be locked: keep use_lockfile: true or name a dynamodb_table")
        return self


class GcsState(Strict):
    """State in a Cloud Storage bucket (GCS locks natively)."""

    backend: Literal["gcs"]
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$")
    key_prefix: StateKeyPrefix = "nexus"


class AzurermState(Strict):
    """State in an Azure Storage blob container (blob leases lock it)."""

    backend: Literal["azurerm"]
    resource_group_name: str = Field(pattern=r"^[\w.()-]{1,90}$")
    storage_account_name: str = Field(pattern=r"^[a-z0-9]{3,24}$")
    container_name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
    key_prefix: StateKeyPrefix = "nexus"


State = Annotated[Union[LocalState, S3State, GcsState, AzurermState], Field(discriminator="backend")]

REGULATED_STANDARDS = {"pci-dss", "hipaa"}


class Spec(Strict):
    api_version: Literal["nexus/v1"] = Field(alias="apiVersion")
    name: Name
    description: str | None = Field(None, max_length=1024)
    providers: Providers
    environments: list[Name] = Field(default_factory=lambda: ["dev"], min_length=1)
    tags: Tags = Field(default_factory=dict)
    compliance: Compliance = Field(default_factory=Compliance)
    components: dict[ComponentName, Component] = Field(default_factory=dict)
    secrets: dict[ComponentName, Secret] = Field(default_factory=dict)
    overrides: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*$")], dict[str, Any]] = Field(
        default_factory=dict, description="raw attributes on a synthesized resource address (type.name); audited")
    cost: CostAssumptions = Field(default_factory=CostAssumptions,
                                  description="usage assumed by `nexus cost` (defaults stated per field)")
    state: State = Field(default_factory=LocalState,
                         description="where Terraform keeps state: local (default), s3, gcs or azurerm")

    @field_validator("environments")
    @classmethod
    def _unique_environments(cls, value: list[str]) -> list[str]:
        duplicates = sorted({env for env in value if value.count(env) > 1})
        if duplicates:
            raise ValueError(f"environment listed twice: {', '.join(duplicates)}")
        return value

    def clouds_for(self, component: ComponentBase) -> list[str]:
        """The clouds a component is built on: its pin, or every configured cloud."""
        if component.provider:
            return [component.provider]
        return [cloud for cloud in CLOUDS if getattr(self.providers, cloud) is not None]

    def is_regulated(self) -> bool:
        """Whether the spec declares a standard for regulated data (PCI-DSS, HIPAA): components build stricter
        (a stack key on their storage) and the checks know it."""
        return bool(REGULATED_STANDARDS & {standard.id for standard in self.compliance.standards})

