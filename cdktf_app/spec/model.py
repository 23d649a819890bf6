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

from .disaster_recovery import DisasterRecovery
from .release import Release

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
    number it is a floor (`backup_retention_days` of at least 7). Kept out of the JSON Schema.
    `prompt_may_choose`: the other value is what such a component is often for (a public web tier), so a fix
    may still put the secure value back (unsafe), but a prompt that asks for the other keeps it."""

    value: bool | int
    prompt_may_choose: bool = False

    def allows(self, given: Any) -> bool:
        if isinstance(self.value, bool):
            return given is self.value
        return isinstance(given, int) and not isinstance(given, bool) and given >= self.value


Encrypted = Annotated[bool, Secure(True)]
Private = Annotated[bool, Secure(False)]
Exposed = Annotated[bool, Secure(False, prompt_may_choose=True)]
Kept = Annotated[bool, Secure(True)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


# ---------------------------------------------------------------- providers
class AwsProvider(Strict):
    region: str = Field("us-east-1", pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
                        description="AWS region every AWS stack is built in (e.g. eu-west-1)")
    allowed_regions: list[str] | None = Field(None, description="data residency: regions this spec may use")


class GcpProvider(Strict):
    project: str = Field(pattern=r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$",
                         description="id of the Google Cloud project every GCP resource is created in")
    region: str = Field("us-central1", pattern=r"^[a-z]+-[a-z]+\d+$",
                        description="GCP region of the stacks' resources, and of the stack key (e.g. europe-west1)")
    allowed_regions: list[str] | None = Field(None, description="data residency: regions and multi-regions (EU, "
                                                                 "US) this spec may use")


class AzureProvider(Strict):
    location: str = Field("eastus", pattern=r"^[a-z0-9]+$",
                          description="Azure location of the resource group and its resources (e.g. westeurope)")
    allowed_regions: list[str] | None = Field(None, description="data residency: locations this spec may use")
    resource_group: str | None = Field(None, pattern=r"^[\w.()-]{1,90}$",
                                       description="defaults to <name>-<env>")


class EdgeProvider(Strict):
    locations: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]] = Field(
        min_length=1, description="edge sites, one stack each, set up by the modules/edge-site HCL module")
    update_strategy: Literal["air_gapped", "rolling", "manual"] = Field(
        "rolling", description="how workloads at a site receive updates: air_gapped (from a local registry mirror), "
                               "rolling or manual; recorded on the site for the bundle step")
    distribution: Literal["k3s"] = Field("k3s", description="Kubernetes distribution at the sites; only k3s")
    site_inputs: dict[str, Any] = Field(default_factory=dict,
                                        description="inputs for the modules/edge-site HCL module")


class Providers(Strict):
    aws: AwsProvider | None = Field(None, description="build on AWS; omit to leave AWS out")
    gcp: GcpProvider | None = Field(None, description="build on Google Cloud; omit to leave GCP out")
    azure: AzureProvider | None = Field(None, description="build on Azure; omit to leave Azure out")
    edge: EdgeProvider | None = Field(None, description="edge sites running k3s; omit for none")

    def enabled(self) -> list[str]:
        return [name for name in PROVIDERS if getattr(self, name) is not None]


# ---------------------------------------------------------------- components
class ComponentBase(Strict):
    # The clouds that offer this component type; None: every cloud in CLOUDS.
    clouds: ClassVar[tuple[str, ...] | None] = None
    provider: Literal["aws", "gcp", "azure"] | None = Field(
        None, description="pin the component to one cloud; default: every cloud in providers")
    tags: Tags = Field(default_factory=dict, description="tags on this component's resources (labels on GCP), "
                                                          "added to the spec's tags and Nexus's own")
    description: str | None = Field(None, max_length=256, description="a note for readers of the spec; not deployed "
                                                                       "(except as a BigQuery dataset's description)")


class Scaled(ComponentBase):
    """A component that scales between `min` and `max` (instances, tasks or nodes)."""

    @model_validator(mode="after")
    def _bounds(self):
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class Network(ComponentBase):
    type: Literal["network"] = Field(description="network: a VPC with public and private subnets per zone on AWS, "
                                                 "a VPC with a regional private subnet on GCP, a virtual network on "
                                                 "Azure")
    cidr: Cidr = "10.0.0.0/16"
    zones: int = Field(2, ge=1, le=6, description="availability zones to spread subnets over")
    nat: bool = Field(True, description="give private subnets outbound internet through NAT")
    flow_logs: Kept = Field(True, description="record the network's traffic flows (VPC flow logs on AWS and GCP, "
                                              "VNet flow logs on Azure); true is the secure value")


class Service(Scaled):
    """Containers behind a load balancer, scaled between min and max."""

    type: Literal["service"] = Field(description="service: ECS Fargate behind an Application Load Balancer on AWS, "
                                                 "Cloud Run on GCP, a Container App on Azure")
    image: str = Field(min_length=1, max_length=512, description="container image to run (registry/repository:tag "
                                                                 "or @sha256 digest)")
    port: int = Field(8080, ge=1, le=65535, description="port the container listens on; the load balancer or "
                                                        "ingress forwards to it")
    cpu: int = Field(512, description="CPU units (1024 = 1 vCPU)")
    memory: int = Field(1024, ge=128, le=122880, description="MiB")
    min: int = Field(1, ge=0, le=1000, description="fewest running copies (ECS tasks, Cloud Run instances, "
                                                   "Container App replicas)")
    max: int = Field(2, ge=1, le=1000, description="most running copies the autoscaler may start")
    cpu_target: int = Field(60, ge=10, le=95, description="target CPU % for auto-scaling")
    public: Exposed = Field(False, description="reachable from the internet: an internet-facing ALB with WAF on AWS, "
                                               "ingress from anywhere without sign-in on GCP, external ingress on "
                                               "Azure; false, the secure value, keeps it inside its network")
    certificate: str | None = Field(None, max_length=2048,
                                    description="TLS certificate for the load balancer (an ACM ARN on AWS); "
                                                "without one the listener serves plain HTTP")
    health_check: str = Field("/health", pattern=r"^/[^\s]*$",
                              description="HTTP path probed for health (the ALB target group on AWS, startup and "
                                          "liveness probes on GCP, liveness and readiness probes on Azure)")
    environment: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        default_factory=dict, description="plain environment variables; secret values go in `secrets`, never here")
    secrets: list[str] = Field(default_factory=list, description="names from the spec's secrets section")
    network: str | None = Field(None, description="network component to run in")
    release: Release | None = Field(None, description="how a new image reaches traffic: rolling, blue_green or "
                                                      "canary steps with rollback alarms (`nexus release`)")

    @field_validator("cpu")
    @classmethod
    def _fargate_cpu(cls, value: int) -> int:
        if value not in (256, 512, 1024, 2048, 4096, 8192, 16384):
            raise ValueError("cpu must be one of 256, 512, 1024, 2048, 4096, 8192, 16384")
        return value


class VmGroup(Scaled):
    type: Literal["vm_group"] = Field(description="vm_group: Linux VMs in private subnets, autoscaled: an Auto Scaling "
                                                  "group on AWS, a regional managed instance group on GCP, a scale set "
                                                  "on Azure")
    size: Size = Field("medium", description="VM size small/medium/large/xlarge: t3.small/m7i.large/m7i.xlarge/"
                                             "m7i.2xlarge on AWS, e2-standard-2/e2-standard-4/n2-standard-8/"
                                             "n2-standard-16 on GCP, Standard_D2s_v5/D4s_v5/D8s_v5/D16s_v5 on Azure")
    image: str | None = Field(None, description="machine image id; default: the cloud's current LTS Linux")
    min: int = Field(1, ge=0, le=1000, description="fewest VMs in the group")
    max: int = Field(2, ge=1, le=1000, description="most VMs the autoscaler may start")
    disk_gb: int = Field(30, ge=8, le=16384, description="boot disk size in GiB; encrypted on every cloud")
    network: str | None = Field(None, description="network component to run in; default: the only network on the "
                                                  "component's cloud")


class Kubernetes(Scaled):
    type: Literal["kubernetes"] = Field(description="kubernetes: a managed cluster with autoscaled nodes: EKS on "
                                                    "AWS, a private regional GKE cluster on GCP, AKS on Azure")
    version: str = Field("1.31", pattern=r"^1\.\d{2}$",
                         description="Kubernetes minor version (1.NN) of the control plane; GKE takes it as the "
                                     "minimum on its REGULAR release channel")
    node_size: Size = Field("medium", description="node size small/medium/large/xlarge: t3.large/m7i.large/"
                                                  "m7i.xlarge/m7i.2xlarge on AWS, e2-standard-2/e2-standard-4/"
                                                  "n2-standard-8/n2-standard-16 on GCP, Standard_D2ds_v5/D4ds_v5/"
                                                  "D8ds_v5/D16ds_v5 on Azure")
    min: int = Field(1, ge=1, le=1000, description="fewest nodes")
    max: int = Field(3, ge=1, le=1000, description="most nodes the autoscaler may add")
    public_endpoint: Private = Field(False, description="expose the cluster's API server on the internet; false, "
                                                        "the secure value, keeps it private to the network")
    network: str | None = Field(None, description="network component to run in; default: the only network on the "
                                                  "component's cloud")


DATABASE_VERSIONS = {"postgres": ("13", "14", "15", "16", "17"), "mysql": ("8.0", "8.4")}


class Database(ComponentBase):
    type: Literal["database"] = Field(description="database: managed PostgreSQL or MySQL: RDS on AWS, Cloud SQL on "
                                                  "GCP, a flexible server on Azure")
    engine: Literal["postgres", "mysql"] = Field("postgres", description="database engine: postgres or mysql")
    version: str | None = Field(None, description="major version; default: the newest supported")
    size: Size = Field("small", description="instance size small/medium/large/xlarge: db.t4g.medium/db.m7g.large/"
                                            "db.m7g.xlarge/db.m7g.2xlarge on AWS, 1/2/4/8 vCPU (db-custom) on GCP, "
                                            "2/4/8/16 vCore General Purpose on Azure (small without "
                                            "high_availability: Burstable B2s)")
    storage_gb: int = Field(20, ge=20, le=65536,
                            description="storage in GiB at creation; AWS and GCP grow it automatically up to four "
                                        "times this, Azure PostgreSQL rounds it up to the next size it offers")
    high_availability: bool = Field(False, description="a standby in another zone: Multi-AZ on AWS, regional "
                                                       "availability on GCP, a zone-redundant standby and "
                                                       "geo-redundant backups on Azure; the standby is billed too")
    backup_retention_days: Annotated[int, Secure(7)] = Field(7, ge=0, le=35,
                                                             description="days of automated backups; at least 7 "
                                                                         "is the secure value, 0 turns them off "
                                                                         "(Azure keeps 7 whatever the number)")
    deletion_protection: Kept = Field(True, description="refuse to delete the database (deletion protection on AWS "
                                                        "and GCP, a CanNotDelete lock on Azure); true is the secure "
                                                        "value, set false before a destroy")
    encrypted: Encrypted = Field(True, description="encrypt data and backups with the stack's customer-managed key "
                                                   "(KMS on AWS, Cloud KMS on GCP, Key Vault on Azure); true is the "
                                                   "secure value. false: unencrypted storage on AWS, the provider's "
                                                   "key on GCP and Azure")
    public: Private = Field(False, description="give the database a public endpoint (publicly accessible on AWS, a "
                                               "public IPv4 address on GCP, public network access instead of VNet "
                                               "integration on Azure); false is the secure value")
    network: str | None = Field(None, description="network component to run in; default: the only network on the "
                                                  "component's cloud")
    dr: DisasterRecovery | None = Field(None, description="a recovery region for this component's data "
                                                           "(replicas, backup copies); overrides the spec's dr")

    @model_validator(mode="after")
    def _version(self) -> Database:
        known = DATABASE_VERSIONS[self.engine]
        if self.version is None:
            object.__setattr__(self, "version", known[-1])
        elif str(self.version) not in known:
            raise ValueError(f"{self.engine} version must be one of {', '.join(known)}")
        return self


class Cache(ComponentBase):
    type: Literal["cache"] = Field(description="cache: in-memory Redis: ElastiCache on AWS, Memorystore for Redis on "
                                               "GCP, Azure Managed Redis")
    engine: Literal["redis", "valkey"] = Field("redis", description="redis or valkey: ElastiCache runs the engine "
                                                                    "named; Memorystore and Azure Managed Redis serve "
                                                                    "Redis either way")
    size: Size = Field("small", description="node size small/medium/large/xlarge: cache.t4g.small/cache.m7g.large/"
                                            "cache.m7g.xlarge/cache.r7g.2xlarge on AWS, 1/5/16/64 GB on GCP, "
                                            "Balanced_B1/B5/B10/B50 on Azure")
    replicas: int = Field(1, ge=0, le=5, description="replicas beside the primary; any turns on failover to another "
                                                     "zone. AWS adds a node per replica, GCP more than one also serve "
                                                     "reads, Azure keeps one whatever the number")
    encrypted: Encrypted = Field(True, description="encrypt at rest with the stack's customer-managed key (KMS on "
                                                   "AWS, Cloud KMS on GCP, Key Vault on Azure); true is the secure "
                                                   "value. false: no at-rest encryption on AWS, the provider's key "
                                                   "on GCP and Azure")
    network: str | None = Field(None, description="network component to run in; default: the only network on the "
                                                  "component's cloud")


class Bucket(ComponentBase):
    type: Literal["bucket"] = Field(description="bucket: object storage: an S3 bucket on AWS, a Cloud Storage "
                                                "bucket on GCP, a storage account with one blob container on Azure")
    versioned: Kept = Field(True, description="keep overwritten and deleted objects as old versions, removed after "
                                              "90 days; true is the secure value")
    public: Private = Field(False, description="let anyone on the internet read the objects; false, the secure "
                                               "value, blocks public access")
    encrypted: Encrypted = Field(True, description="encrypt with the stack's customer-managed key (KMS on AWS, Cloud "
                                                   "KMS on GCP, Key Vault on Azure); true is the secure value, false "
                                                   "uses the provider's key")
    expire_days: int | None = Field(None, ge=1, le=36500, description="delete objects after this many days")
    access_logs: Kept = Field(True, description="log requests to the bucket (S3 server access logs and GCS usage "
                                                "logs to the stack's log bucket, blob logs to the stack's workspace "
                                                "on Azure); true is the secure value")
    dr: DisasterRecovery | None = Field(None, description="a recovery region for this component's data "
                                                           "(replicas, backup copies); overrides the spec's dr")


class Queue(ComponentBase):
    type: Literal["queue"] = Field(description="queue: messaging: SQS or SNS on AWS, Pub/Sub on GCP, Service Bus on "
                                               "Azure")
    kind: Literal["queue", "topic"] = Field("queue", description="queue: one consumer reads each message (SQS, a "
                                                                 "Pub/Sub subscription, a Service Bus queue); topic: "
                                                                 "publish to many subscribers (SNS, Pub/Sub, Service "
                                                                 "Bus topic)")
    fifo: bool = Field(False, description="ordered, de-duplicated delivery: FIFO SQS/SNS on AWS, sessions and "
                                          "duplicate detection on Azure; not applied on GCP")
    retention_hours: int = Field(96, ge=1, le=336, description="hours an unconsumed message is kept (at most 14 "
                                                               "days)")
    dead_letter: bool = Field(True, description="move messages that keep failing (expired ones on Azure) to a "
                                                "dead-letter queue or topic instead of losing them")
    encrypted: Encrypted = Field(True, description="encrypt messages with the stack's customer-managed key (KMS on "
                                                   "AWS, Cloud KMS on GCP, Key Vault on Azure, which needs the Premium "
                                                   "tier); true is the secure value. false: SQS-managed keys for a "
                                                   "queue and no encryption for an SNS topic on AWS, the provider's "
                                                   "key on GCP and Azure")


class Function(ComponentBase):
    type: Literal["function"] = Field(description="function: Lambda on AWS, Cloud Functions (2nd gen) on GCP, a Linux "
                                                  "Function App on Azure")
    runtime: Literal["python3.12", "python3.11", "nodejs20", "nodejs22", "go1.x"] = Field(
        "python3.12", description="language runtime, mapped to each cloud's name (nodejs20 -> nodejs20.x on Lambda)")
    handler: str = Field("main.handler", pattern=r"^[\w./-]+$",
                         description="entry point as module.function; GCP calls the part after the last '.', "
                                     "Azure does not use it")
    source: str | None = Field(None, description="directory with the code, relative to the spec; "
                                                 "default: a stub that answers 501 until you deploy code")
    memory: int = Field(256, ge=128, le=10240, description="MiB per instance on AWS and GCP; Azure's plan sizes it")
    architecture: Literal["x86_64", "arm64"] = Field(
        "x86_64", description="processor on AWS Lambda: arm64 is Graviton, priced lower per GB-second (native "
                              "dependencies must be built for it); GCP and Azure choose it themselves")
    timeout: int = Field(30, ge=1, le=900, description="seconds one invocation may run; GCP caps queue-triggered "
                                                       "functions at 540, Azure's Consumption plan at 600")
    trigger: str | None = Field(None, description="queue component whose messages invoke the function")
    environment: dict[Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], str] = Field(
        default_factory=dict, description="plain environment variables (encrypted with the stack key on AWS); no "
                                          "secret values")
    secrets: list[str] = Field(default_factory=list, description="names from the spec's secrets section; each "
                                                                 "arrives as <NAME>_SECRET_ARN (the reference, not "
                                                                 "the value) on AWS")

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
    type: Literal["cdn"] = Field(description="cdn: CloudFront on AWS, an external Application Load Balancer with "
                                             "Cloud CDN on GCP, Azure Front Door")
    origin: str = Field(description="bucket or service component served through the CDN")
    waf: Kept = Field(True, description="a web application firewall with managed rules (AWS WAF on CloudFront, "
                                        "Cloud Armor for service origins on GCP, a Premium Front Door on Azure); "
                                        "true is the secure value")
    price_class: Literal["all", "regional"] = Field(
        "regional", description="CloudFront edge locations: regional (PriceClass_100, the cheapest) or all; AWS only")


class DocumentStore(ComponentBase):
    """A serverless document/key-value database (DynamoDB, Firestore)."""

    clouds = ("aws", "gcp")
    type: Literal["document_store"] = Field(description="document_store: an on-demand DynamoDB table on AWS, a "
                                                        "native-mode Firestore database on GCP")
    partition_key: str = Field("id", pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,254}$",
                               description="DynamoDB partition (hash) key, a string attribute; Firestore has no key "
                                           "schema")
    sort_key: str | None = Field(None, pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,254}$",
                                 description="DynamoDB sort (range) key, a string attribute; default: none")
    point_in_time_recovery: Kept = Field(True, description="continuous backups, restorable to any second of the "
                                                           "recovery window; true is the secure value")
    deletion_protection: Kept = Field(True, description="refuse to delete the table or database; true is the secure "
                                                        "value, set false before a destroy")
    encrypted: Encrypted = Field(True, description="encrypt with the stack's customer-managed key (KMS on AWS, Cloud "
                                                   "KMS on GCP); true is the secure value, false uses the provider's "
                                                   "key")
    dr: DisasterRecovery | None = Field(None, description="a recovery region for this component's data "
                                                           "(replicas, backup copies); overrides the spec's dr")


class Warehouse(ComponentBase):
    """An analytics dataset (BigQuery)."""

    clouds = ("gcp",)
    type: Literal["warehouse"] = Field(description="warehouse: a BigQuery dataset (GCP only)")
    default_table_expiration_days: int | None = Field(None, ge=1, le=36500,
                                                      description="delete new tables this many days after creation; "
                                                                  "default: tables are kept")
    encrypted: Encrypted = Field(True, description="encrypt the dataset with the stack's Cloud KMS key; true is the "
                                                   "secure value, false uses Google's key")


class Monitoring(ComponentBase):
    """Alerts on the components it watches, sent to an e-mail address."""

    clouds = ("aws", "gcp")
    type: Literal["monitoring"] = Field(description="monitoring: an encrypted SNS topic and CloudWatch alarms on AWS, "
                                                    "an e-mail channel and Cloud Monitoring alerts on GCP")
    notify: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="e-mail address for alerts")
    watch: list[str] = Field(default_factory=list, description="components to alert on; default: all")


class ModuleUse(ComponentBase):
    """An HCL module from modules/; its inputs are checked against the module's variables."""

    type: Literal["module"] = Field(description="module: an HCL module from modules/, called from each stack")
    source: str = Field(pattern=r"^[a-z][a-z0-9-]*$", description="a module directory name under modules/")
    inputs: dict[str, Any] = Field(default_factory=dict, description="values for the module's variables, by name")


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
SECRET_STORES = ("aws-secrets-manager", "gcp-secret-manager", "azure-key-vault", "vault")
SECRET_KINDS = ("managed", "generated", "external", "dynamic")
# The store a generated secret is kept in on each cloud.
CLOUD_STORE = {"aws": "aws-secrets-manager", "gcp": "gcp-secret-manager", "azure": "azure-key-vault"}
VAULT_ENGINES = ("database", "aws", "gcp", "azure")
Duration = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,5}[smhd]$",
                                description="a duration: a number and s, m, h or d (30m, 1h, 7d)")]
DURATION_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# The keys each kind takes besides `kind`, `description` (and `rotation`: managed, generated); others are refused.
SECRET_KIND_KEYS = {
    "external": ("source", "name", "rotation_days"),
    "generated": ("source", "length"),
    "managed": ("database",),
    "dynamic": ("source", "engine", "mount", "role", "ttl", "max_ttl", "database", "credential_type", "role_arns",
                "policy_arns"),
}
# Keys of a dynamic secret that only one Vault engine takes.
ENGINE_KEYS = {"database": "database", "credential_type": "aws", "role_arns": "aws", "policy_arns": "aws"}
SECRET_KIND_REQUIRES = {"external": ("source", "name"), "generated": ("source",), "managed": ("database",),
                        "dynamic": ("engine", "role")}


class Rotation(Strict):
    days: int = Field(ge=1, le=365, description="days between rotations: Secrets Manager rotation on AWS, the "
                                                "secret's rotation period on GCP, an expiry on Azure Key Vault")


class Secret(Strict):
    """A secret components read by reference, never by value. `kind` says who makes the value: the cloud
    (managed), Nexus through the provider (generated, never in the spec or the state), someone else (external)
    or Vault on demand (dynamic)."""

    kind: Literal[SECRET_KINDS] = Field(
        "external", description="managed: the cloud creates and rotates it (a database's master password); "
                                "generated: Nexus creates a random value in the store; external: it exists "
                                "already and is read by reference; dynamic: Vault issues short-lived credentials")
    source: Literal[SECRET_STORES] | None = Field(
        None, alias="from", description="the store holding the secret (external, generated; dynamic: vault); a "
                                        "component reads only its own cloud's store")
    name: str | None = Field(None, min_length=1, max_length=256,
                             description="external: the secret's name in its store; Nexus refers to it and never "
                                         "creates or reads its value")
    description: str | None = Field(None, max_length=256, description="a note for readers; the store's "
                                                                      "description of a generated secret")
    rotation: Rotation | None = Field(None, description="rotate the value every `days` (managed, generated)")
    rotation_days: int | None = Field(None, ge=1, le=365, description="external: intended days between "
                                                                      "rotations, a record for readers (the "
                                                                      "secret's owner rotates it)")
    length: int | None = Field(None, ge=16, le=4096, description="generated: characters of the random value "
                                                                 "(default 32)")
    database: ComponentName | None = Field(None, description="managed: the database component whose master "
                                                             "password the cloud manages; dynamic with engine "
                                                             "database: the database Vault issues users for")
    engine: Literal[VAULT_ENGINES] | None = Field(
        None, description="dynamic: the Vault secrets engine issuing the credentials")
    mount: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
                              description="dynamic: the engine's path in Vault (default: the engine's name)")
    role: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]{1,128}$",
                             description="dynamic: the Vault role the credentials are issued for")
    credential_type: Literal["iam_user", "assumed_role"] | None = Field(
        None, description="dynamic, engine aws: what Vault hands out (default assumed_role)")
    role_arns: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")]] | None = Field(
        None, description="dynamic, engine aws, assumed_role: the IAM roles Vault may assume")
    policy_arns: list[Annotated[str, Field(pattern=r"^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/.+$")]] | None = Field(
        None, description="dynamic, engine aws, iam_user: the IAM policies of the users Vault creates")
    ttl: Duration | None = Field(None, description="dynamic: lease of each credential (default 1h)")
    max_ttl: Duration | None = Field(None, description="dynamic: longest a lease may be renewed to (default 24h)")

    @field_validator("source", "name", "rotation", "rotation_days", "length", "database", "engine", "mount", "role",
                     "credential_type", "role_arns", "policy_arns", "ttl", "max_ttl")
    @classmethod
    def _fits_kind(cls, value: Any, info: ValidationInfo) -> Any:
        """A key another kind takes is refused where it stands (`length` on an external secret), not ignored."""
        kind = info.data.get("kind")
        if kind is None or value is None or info.field_name in _secret_fields(kind):
            return value
        key = cls.model_fields[info.field_name].alias or info.field_name
        raise ValueError(f"{key!r} does not apply to {_a(kind)} secret; {_a(kind)} secret takes "
                         f"{', '.join(_secret_keys(kind))}")

    @model_validator(mode="after")
    def _complete_for_kind(self) -> Secret:
        for field in SECRET_KIND_REQUIRES[self.kind]:
            if getattr(self, field) is None:
                key = type(self).model_fields[field].alias or field
                raise ValueError(f"{_a(self.kind)} secret needs {key!r}; it takes "
                                 f"{', '.join(_secret_keys(self.kind))}")
        if self.kind == "dynamic":
            if self.source not in (None, "vault"):
                raise ValueError(f"dynamic secrets come from vault, not {self.source}")
            for field, engine in ENGINE_KEYS.items():
                if getattr(self, field) is not None and self.engine != engine:
                    raise ValueError(f"{field!r} is for engine {engine}, not engine {self.engine}")
            if self.ttl and self.max_ttl and duration_seconds(self.ttl) > duration_seconds(self.max_ttl):
                raise ValueError(f"ttl ({self.ttl}) must not exceed max_ttl ({self.max_ttl})")
            defaults = {"source": "vault", "mount": self.engine, "ttl": "1h", "max_ttl": "24h",
                        **({"credential_type": "assumed_role"} if self.engine == "aws" else {})}
        else:
            defaults = {"length": 32} if self.kind == "generated" else {}
        for field, value in defaults.items():
            if getattr(self, field) is None:
                object.__setattr__(self, field, value)
        return self

    def store_on(self, cloud: str) -> str | None:
        """The store a component on `cloud` reads this secret from (None: the cloud signs in without one)."""
        if self.kind == "managed":
            return CLOUD_STORE[cloud] if cloud == "aws" else None
        return self.source


def _secret_fields(kind: str) -> tuple[str, ...]:
    rotated = ("rotation",) if kind in ("managed", "generated") else ()
    return ("kind", *SECRET_KIND_KEYS[kind], *rotated, "description")


def _secret_keys(kind: str) -> list[str]:
    return [Secret.model_fields[field].alias or field for field in _secret_fields(kind)]


def _a(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def duration_seconds(text: str) -> int:
    """`1h` -> 3600."""
    return int(text[:-1]) * DURATION_SECONDS[text[-1]]


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
    id: str = Field(description=f"the standard: {', '.join(STANDARDS)}")
    version: str = Field(description="its version, default the first listed: "
                                     + "; ".join(f"{key} {', '.join(versions)}" for key, versions in STANDARDS.items()))


GLOB_CHARACTERS = "*?["
# A wildcard pattern, when allowed, must name one family of checks (CKV_AWS_*, CKV2_GCP_*, NEXUS_AZURE_*).
CHECK_FAMILY = re.compile(r"(CKV2?|NEXUS)_[A-Z0-9]+_")


class Suppression(Strict):
    # Declared before `check`, whose validator reads it.
    allow_wildcard: bool = Field(False, description="let `check` be a glob over one family of checks "
                                 "(CKV_AWS_*); every check report names the suppression and what it silenced")
    check: str = Field(min_length=3, description="one check id (CKV_AWS_18, NEXUS_AWS_S3_CMK)")
    resource: str | None = Field(None, description="glob over the resource address, component or stack/address "
                                                   "it applies to; default: every resource")
    reason: str = Field(min_length=10, description="why this finding is accepted: required")
    expires: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$",
                                description="YYYY-MM-DD after which the suppression is an error until renewed or "
                                            "removed; default: never")

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
    standards: list[Standard] = Field(default_factory=list, description="compliance packs checked besides the "
                                                                        "baseline; pci-dss and hipaa also make "
                                                                        "components stricter")
    auto_remediate: bool = Field(False, description="apply the safe fixes of `nexus check --fix` to the spec file "
                                                    "before each synth; off so the spec changes only when asked")
    gate: Literal["low", "medium", "high", "critical"] = Field(
        "high", description="lowest severity that blocks: findings at or above it fail `nexus check` and stop a "
                            "deploy")
    suppressions: list[Suppression] = Field(default_factory=list, description="accepted findings, each with a "
                                                                              "reason; reports name what each "
                                                                              "silenced")

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
    storage_gb: float = Field(50, ge=0, le=1e9, description="GB stored per bucket, storage account, document "
                                                             "store and Aurora cluster")
    requests_per_month: float = Field(1_000_000, ge=0, le=1e15, description="requests per function, queue, topic, "
                                                                              "document store (reads and writes "
                                                                              "each), CDN, WAF and load balancer")
    function_duration_ms: float = Field(200, gt=0, le=900_000, description="average run time of one invocation")
    data_transfer_gb: float = Field(100, ge=0, le=1e9, description="GB out of each CDN and through each NAT gateway "
                                                                   "and load balancer")
    log_ingest_gb: float = Field(1, ge=0, le=1e9, description="GB of logs written to each log group or workspace")
    warehouse_scanned_tib: float = Field(1, ge=0, le=1e6, description="TiB scanned by queries per analytics "
                                                                       "dataset")
    database_io_per_month: float = Field(100_000_000, ge=0, le=1e15, description="storage I/O requests per Aurora "
                                                                                  "cluster (Aurora Standard bills "
                                                                                  "them)")
    release_hours_per_month: float = Field(8, ge=0, le=744, description="hours the new version of each canary or "
                                                                          "blue_green service runs beside the "
                                                                          "stable one (release steps and bakes)")
    load_balancer_lcu: float | None = Field(None, ge=0, le=1e6, description="capacity units (LCU, NLCU) each load "
                                                                            "balancer uses on average; default: "
                                                                            "worked out from requests_per_month and "
                                                                            "data_transfer_gb")


# ---------------------------------------------------------------- state
StateKeyPrefix = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*$",
                                      description="folder of the state objects; each stack adds <stack>.tfstate")]


class LocalState(Strict):
    """State files beside each stack's cdk.tf.json (terraform.<stack>.tfstate): for one person, trying."""

    backend: Literal["local"] = Field("local", description="local: state files on this machine")


class S3State(Strict):
    """State in an S3 bucket, locked with an S3 lock file (Terraform >= 1.10) and encrypted at rest."""

    backend: Literal["s3"] = Field(description="s3: state in an S3 bucket")
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$",
                        description="existing S3 bucket for the state; keep it versioned and private")
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

    backend: Literal["gcs"] = Field(description="gcs: state in a Cloud Storage bucket")
    bucket: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$",
                        description="existing Cloud Storage bucket for the state; keep it versioned and private")
    key_prefix: StateKeyPrefix = "nexus"
    kms_encryption_key: str | None = Field(
        None, pattern=r"^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$",
        description="Cloud KMS key (CMEK) the state objects are written with, projects/P/locations/L/keyRings/R/"
                    "cryptoKeys/K; default: the bucket's default key, else Google-managed")


class AzurermState(Strict):
    """State in an Azure Storage blob container (blob leases lock it)."""

    backend: Literal["azurerm"] = Field(description="azurerm: state in an Azure Storage blob container")
    resource_group_name: str = Field(pattern=r"^[\w.()-]{1,90}$",
                                     description="resource group of the existing storage account")
    storage_account_name: str = Field(pattern=r"^[a-z0-9]{3,24}$", description="existing storage account for the state")
    container_name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$",
                                description="existing blob container for the state")
    key_prefix: StateKeyPrefix = "nexus"


State = Annotated[Union[LocalState, S3State, GcsState, AzurermState], Field(discriminator="backend")]


class Encryption(Strict):
    """Nexus's own sensitive files encrypted at rest: state backups, saved plans and plan JSON, the run history's
    free-text columns; the same recipients seal OpenTofu's data keys (`nexus key-provider`)."""

    recipients: list[str] = Field(min_length=1, description="public keys to encrypt to, as printed by `nexus keys "
                                                            "show`; all hybrid (nexus1-hybrid-...) or all x25519")

    @field_validator("recipients")
    @classmethod
    def _known_recipients(cls, value: list[str]) -> list[str]:
        from ..crypto.envelope import recipients_kind
        from ..crypto.keys import parse_recipient
        from ..errors import EncryptionError

        try:
            recipients_kind([parse_recipient(text) for text in value])
        except EncryptionError as error:
            raise ValueError(str(error)) from None
        return value


REGULATED_STANDARDS = {"pci-dss", "hipaa"}


class Spec(Strict):
    api_version: Literal["nexus/v1"] = Field(alias="apiVersion", description="spec format version: nexus/v1")
    name: Name
    description: str | None = Field(None, max_length=1024, description="what the system is for; not deployed")
    providers: Providers = Field(description="the clouds (and edge sites) to build on; a component goes to every "
                                             "cloud listed unless pinned with `provider:`")
    environments: list[Name] = Field(default_factory=lambda: ["dev"], min_length=1,
                                     description="environments to build, one stack per environment and cloud")
    tags: Tags = Field(default_factory=dict, description="tags on every resource (labels on GCP), added to Nexus's "
                                                         "own nexus:spec, nexus:environment and managed-by")
    compliance: Compliance = Field(default_factory=Compliance,
                                   description="standards checked, the severity gate, auto-remediation, suppressions")
    components: dict[ComponentName, Component] = Field(
        default_factory=dict, description="the system's parts by name (a-z, 0-9, '_'), each with a `type`")
    secrets: dict[ComponentName, Secret] = Field(default_factory=dict, description="secrets components read by "
                                                                                   "reference, by the name their "
                                                                                   "`secrets` lists use")
    overrides: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*$")], dict[str, Any]] = Field(
        default_factory=dict, description="raw attributes on a synthesized resource address (type.name); audited")
    cost: CostAssumptions = Field(default_factory=CostAssumptions,
                                  description="usage assumed by `nexus cost` (defaults stated per field)")
    state: State = Field(default_factory=LocalState,
                         description="where Terraform keeps state: local (default), s3, gcs or azurerm")
    encryption: Encryption | None = Field(None, description="encrypt Nexus's own sensitive files (state backups, kept "
                                                            "plans, run history evidence) "
                                                            "to these recipients; unset: they stay plaintext, "
                                                            "owner-only")
    dr: DisasterRecovery | None = Field(None, description="disaster recovery of the data components: a recovery "
                                                       "region, RPO/RTO targets and a mode (per component `dr` "
                                                       "overrides it)")

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

