"""The offline intent parser: a prompt -> what it asks for (clouds, standards, components, scaling, engines...).

Deterministic and rule-based: every rule is a regular expression over the lower-cased prompt. Each word a rule
consumed counts as understood; the remaining words that are not filler are reported back, so the user sees what
was ignored instead of guessing.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..spec.model import STANDARDS


@dataclass
class Intent:
    """What a prompt asks for. Empty fields mean "not said": the blueprint's choice stands."""

    clouds: list[str] = field(default_factory=list)
    standards: list[tuple[str, str]] = field(default_factory=list)     # (id, version)
    components: list[str] = field(default_factory=list)                 # component types asked for
    without: list[str] = field(default_factory=list)                    # component types asked to leave out
    tiers: int | None = None
    scale_min: int | None = None
    scale_max: int | None = None
    scale_target: str | None = None                                     # "kubernetes" when nodes of a cluster
    db_engine: str | None = None
    db_version: str | None = None
    cache_engine: str | None = None
    runtime: str | None = None
    regions: dict[str, str] = field(default_factory=dict)               # cloud -> region
    environments: list[str] = field(default_factory=list)
    industry: str | None = None
    name: str | None = None
    edge_locations: list[str] = field(default_factory=list)
    air_gapped: bool = False                                            # edge sites updated without a network
    only_asked: bool = False                                            # "nothing else": no other components
    uncovered_domain: str | None = None                                 # a domain no blueprint covers ("IoT")
    asks_plaintext_secrets: bool = False
    asks_compliance_off: bool = False
    not_understood: list[str] = field(default_factory=list)


def _words(*alternatives: str) -> str:
    return r"\b(?:" + "|".join(alternatives) + r")\b"


CLOUD_WORDS = {
    "aws": _words("aws", "amazon(?: web services)?", "ec2", "eks", "ecs", "fargate", "lambdas?", "rds", "dynamo ?db",
                  "cloudfront", "sqs", "sns", "elasticache", "aurora"),
    "gcp": _words("gcp", "google(?: cloud)?(?: platform)?", "gke", "cloud run", "bigquery", "firestore",
                  "cloud functions?", "cloud sql", "memorystore"),
    "azure": _words("azure", "microsoft(?: cloud)?", "aks", "cosmos ?db"),
}
MULTI_CLOUD = _words("multi-?cloud", "multiple clouds", "two clouds", "both clouds", "cross-cloud")

# (standard id, pattern, version pattern -> version)
STANDARD_WORDS = {
    "pci-dss": (_words(r"pci(?:[- ]?dss)?", "payment card industry", "cardholder data"),
                {r"3\.2\.1": "3.2.1", r"4(?:\.0)?": "4.0"}),
    "hipaa": (_words("hipaa", "phi", "hitech"), {"2013": "2013"}),
    "soc2": (_words(r"soc ?-?2", "soc two"), {r"type ?(?:1|i)\b": "type1", r"type ?(?:2|ii)\b": "type2"}),
    "gdpr": (_words("gdpr", "general data protection regulation"), {}),
    "iso27001": (_words(r"iso(?:/iec)? ?-?27001", "27001"), {}),
    "cis": (_words("cis(?: benchmarks?| controls)?", "center for internet security"), {}),
}

# component type -> words that ask for it
COMPONENT_WORDS = {
    "cache": _words("cache", "caching", "cached", "redis", "valkey", "memcached?", "elasticache", "memorystore",
                    "session store"),
    "database": _words("databases?", "db", "dbs", "postgres(?:ql)?", "pg", "mysql", "mariadb", "rds", "aurora",
                       "sql", "cloud sql", "relational", "rdbms"),
    "queue": _words("(?:message |job |task )?queues?", "queueing", "queuing", "sqs", "sns", "pub ?/ ?sub", "pubsub", "topics?",
                    "message bus", "messaging", "kafka", "event bus", "events? stream", "background jobs?"),
    "bucket": _words("buckets?", "s3", "object storage", "blob storage", "file storage", "storage bucket",
                     "uploads", "file uploads", "static assets", "static files", "media storage", "backups?"),
    "cdn": _words("cdn", "cloudfront", "content delivery(?: network)?", "edge caching"),
    "function": _words("functions?", "lambdas?", "serverless", "cloud functions?", "background workers?", "cron jobs?"),
    "kubernetes": _words("kubernetes", "k8s", "eks", "gke", "aks", "clusters?"),
    "vm_group": _words("vms?", "virtual machines?", "ec2 instances?", "instance groups?", "scale sets?"),
    "document_store": _words("dynamo ?db", "firestore", "nosql", "document (?:store|database|db)",
                             "key-value store"),
    "warehouse": _words("data warehouse", "warehouse", "bigquery", "analytics dataset"),
    "monitoring": _words("monitoring", "monitored", "alerts?", "alerting", "alarms?", "observability"),
    "service": _words("web ?apps?", "websites?", "web services?", "web tier", "frontend", "front-end", "apis?", "rest api", "microservices?", "containers?", "containerized",
                      "services?", "storefront", "portal", "app servers?", "application servers?"),
}
NEGATION = r"\b(?:no|without|skip|skipping|excluding|exclude|minus|avoid|don'?t include|do not include|don'?t need(?: an?| any)?|do not need(?: an?| any)?|" \
           r"no need for(?: an?| any)?|not needed:?|leave out(?: the)?|drop(?: the)?)\s+"
NEGATION_SCOPE = r"((?:(?!\b(?:but|with|and|plus|also)\b)[^.;,:])*)"

DB_ENGINES = {"postgres": _words("postgres(?:ql)?", "pg", "aurora postgres"), "mysql": _words("mysql", "mariadb")}
CACHE_ENGINES = {"redis": _words("redis", "elasticache", "memorystore"), "valkey": _words("valkey")}
RUNTIMES = {
    "python3.11": r"\bpython ?3\.11\b", "python3.12": _words(r"python(?: ?3(?:\.12)?)?", "django", "flask",
                                                               "fastapi"),
    "nodejs20": r"\bnode(?:\.?js)? ?20\b", "nodejs22": _words(r"node(?:\.?js)?(?: ?22)?", "javascript",
                                                              "typescript", "express"),
    "go1.x": _words("go", "golang"),
}
TIER_WORDS = {2: _words("2-tier", "two-tier", "2 tier", "two tier"), 3: _words("3-tier", "three-tier", "3 tier",
                                                                                 "three tier", "n-tier")}

AWS_REGION = r"\b([a-z]{2}(?:-gov)?-(?:east|west|north|south|central|northeast|southeast|northwest|southwest)-\d)\b"
GCP_REGION = r"\b((?:us|europe|asia|australia|southamerica|northamerica|me|africa)-[a-z]+\d)\b"
AZURE_LOCATION = _words("eastus2?", "westus[23]?", "westeurope", "northeurope", "uksouth", "germanywestcentral",
                        "francecentral", "japaneast", "southeastasia", "australiaeast", "centralus")
# place name -> (aws region, gcp region, azure location)
PLACES = {
    _words("frankfurt", "germany"): ("eu-central-1", "europe-west3", "germanywestcentral"),
    _words("ireland", "dublin"): ("eu-west-1", "europe-west1", "northeurope"),
    _words("london", "uk", "united kingdom", "britain"): ("eu-west-2", "europe-west2", "uksouth"),
    _words("paris", "france"): ("eu-west-3", "europe-west9", "francecentral"),
    _words("europe", "eu", "european", "europe-based", "eu-based"): ("eu-west-1", "europe-west1", "westeurope"),
    _words("tokyo", "japan"): ("ap-northeast-1", "asia-northeast1", "japaneast"),
    _words("singapore", "southeast asia"): ("ap-southeast-1", "asia-southeast1", "southeastasia"),
    _words("sydney", "australia"): ("ap-southeast-2", "australia-southeast1", "australiaeast"),
    _words("oregon", "us west", "us-west", "west coast"): ("us-west-2", "us-west1", "westus2"),
    _words("virginia", "us east", "us-east", "east coast"): ("us-east-1", "us-east1", "eastus"),
    _words("ohio"): ("us-east-2", "us-east1", "eastus2"),
    _words("canada", "montreal"): ("ca-central-1", "northamerica-northeast1", "canadacentral"),
    _words("brazil", "sao paulo"): ("sa-east-1", "southamerica-east1", "brazilsouth"),
    _words("india", "mumbai"): ("ap-south-1", "asia-south1", "centralindia"),
}
ENVIRONMENTS = {"dev": _words("dev", "development"), "test": _words("test", "testing", "qa"),
                "staging": _words("staging", "stage", "preprod", "pre-prod"),
                "prod": _words("prod", "production")}
INDUSTRIES = {
    "fintech": _words("payments?", "fintech", "bank(?:ing)?", "financial", "finance", "trading", "wallet",
                      "lending", "insurance", "card"),
    "ecommerce": _words("shop", "shops", "store", "online store", "storefront", "e-?commerce", "retail",
                        "carts?", "shopping", "checkout", "catalogu?e", "marketplace", "orders?", "products?"),
    "healthcare": _words("health", "healthcare", "patients?", "clinic(?:al)?", "hospitals?", "medical", "ehr",
                         "emr", "telehealth", "telemedicine"),
    "gamedev": _words("games?", "gaming", "multiplayer", "players?", "matchmaking", "esports", "leaderboards?",
                      "game servers?"),
    "devops": _words("devops", "ci/?cd", "ci", "pipelines?", "builds?", "deployments?", "developer platform",
                     "build events"),
}
# Domains a prompt can name that no blueprint covers: recognised, so the answer can say so instead of guessing.
UNCOVERED_DOMAINS = {"IoT": _words("iot", "internet of things", "sensors?", "connected devices?")}
SCALE_CONTEXT = _words("scal(?:e|es|ing|ed)", "auto-?scal(?:e|es|ing|ed)", "nodes?", "instances?", "tasks?",
                       "replicas?", "containers?", "servers?", "pods?", "workers?", "vms?", "virtual machines?")
ONLY_ASKED = _words("nothing else", "nothing more", "no other components", "only these", "only those")
AIR_GAPPED = _words("air-?gapped", "air gapped", "offline sites?", "disconnected sites?")
PLAINTEXT_SECRETS = r"\b(?:plain ?text|plain-text|hard-?code[ds]?|inline|in the (?:spec|yaml|code|config))\b" \
                    r"[^.]*\b(?:passwords?|secrets?|keys?|credentials?|tokens?)\b|\b(?:passwords?|secrets?|" \
                    r"credentials?|tokens?|keys?)\b[^.]*\b(?:in plain ?text|plain-text|hard-?coded|unencrypted|" \
                    r"as (?:an )?env(?:ironment)? var(?:iable)?s?)\b|\bpassword\s*[=:]\s*\S+"
COMPLIANCE_OFF = r"\b(?:disabl\w*|turn(?:ed|ing)? off|skip\w*|without|no|remov\w*|ignor\w*|bypass\w*|" \
                 r"switch(?:ed)? off)\b[^.]{0,40}?\b(?:compliance|encryption|security checks?|checks|" \
                 r"logging|audit(?:ing)?|waf|firewall)\b|\b(?:unencrypted|publicly (?:readable|accessible)|" \
                 r"public (?:database|db|bucket))\b"
NAME = r"\b(?:called|named|name it|project name)\s+[\"']?([a-z][a-z0-9-]{0,29})\b"
EDGE = r"\bedge (?:sites?|locations?)\b[^.]*?(?:\bat\b|\bin\b|:)\s+([a-z][a-z0-9_]*(?:\s*(?:,|\band\b)\s*(?!(?:with|on|in|plus|and|using|a|an|the)\b|air[- ]?gapped)[a-z][a-z0-9_]*)*)"

STOPWORDS = set("""
a an the and or with for of to in on at by from into as is are be it its this that these those we i our my me
need needs want wants would like please create build make set up setup deploy deploying give get use using
run running runs host hosting provide plus also some any all each every per one two three four five six seven
eight nine ten between up down min max minimum maximum least most around about under over across behind
app application apps platform system stack infrastructure infra environment environments compliant compliance
based ready tier tiers layer layers web simple small large big new modern secure highly available scalable
high availability auto cloud clouds region regions should must can will have has support supports supporting
which where that then than so while via through out only just both either other others more less keep kept
layer backed serving serve served handle handles handling store stores storing data our your their lots
standard standards requirements required requires spec specification terraform iac code nodes node
instances instance tasks task replicas replica pods pod servers server scaling scale scales scaled
autoscaling auto-scaling autoscale range sized size capacity ha fault tolerant resilient region-based
customers users user traffic global globally deployment multi single separate dedicated managed
""".split())


NUMBER_WORDS = {word: str(value) for value, word in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())} | {"thirty": "30", "forty": "40", "fifty": "50",
                                                      "sixty": "60", "hundred": "100", "a hundred": "100"}
# "two-tier"/"three tier" are tier words, not counts.
NUMBER_WORD = r"\b(" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")\b(?![- ]tier)"


def parse_intent(prompt: str) -> Intent:
    text = " ".join(prompt.lower().replace("\u2192", " to ").replace("&", " and ").split())
    text = re.sub(NUMBER_WORD, lambda match: NUMBER_WORDS[match.group(1)], text)
    consumed: list[tuple[int, int]] = []
    intent = Intent()

    def find(pattern: str, fresh: bool = False) -> list[re.Match]:
        """Matches of `pattern`, marked as understood; `fresh`: only where no earlier rule matched."""
        matches = [match for match in re.finditer(pattern, text)
                   if not fresh or not any(start < match.end() and match.start() < end for start, end in consumed)]
        consumed.extend(match.span() for match in matches)
        return matches

    _parse_clouds(intent, text, find)
    _parse_standards(intent, text, find)
    _parse_components(intent, text, find)
    _parse_scaling(intent, text, find)
    _parse_engines(intent, find)
    _parse_places(intent, find)
    _parse_environments(intent, find)
    _parse_industry(intent, find)
    intent.uncovered_domain = next((domain for domain, pattern in UNCOVERED_DOMAINS.items() if find(pattern)), None)
    intent.only_asked = bool(find(ONLY_ASKED))
    for match in find(NAME):
        intent.name = match.group(1)
    intent.asks_plaintext_secrets = bool(find(PLAINTEXT_SECRETS))
    intent.asks_compliance_off = bool(find(COMPLIANCE_OFF))
    intent.not_understood = _leftover_words(text, consumed)
    return intent


def _parse_clouds(intent: Intent, text: str, find) -> None:
    for cloud, pattern in CLOUD_WORDS.items():
        if find(pattern):
            intent.clouds.append(cloud)
    if find(MULTI_CLOUD) and len(intent.clouds) < 2:
        intent.clouds = sorted({*intent.clouds, "aws", "gcp"}, key=("aws", "gcp", "azure").index)
    for match in find(EDGE):
        names = re.split(r"\s*(?:,|\band\b)\s*", match.group(1))
        intent.edge_locations = [name[:40] for name in names if name]
    intent.air_gapped = bool(find(AIR_GAPPED))


def _parse_standards(intent: Intent, text: str, find) -> None:
    for standard, (pattern, versions) in STANDARD_WORDS.items():
        matches = find(pattern)
        if not matches:
            continue
        tail = text[matches[0].end():matches[0].end() + 12]
        version = next((label for version_pattern, label in versions.items()
                        if re.match(r"\s*(?:v|version\s*)?" + version_pattern, tail)), None)
        if version:
            find(re.escape(tail.strip().split(" ")[0]))
        if standard == "cis":
            intent.standards += [(f"cis-{cloud}", STANDARDS[f"cis-{cloud}"][0]) for cloud in intent.clouds or ["aws"]]
        else:
            intent.standards.append((standard, version or STANDARDS[standard][0]))


def _parse_components(intent: Intent, text: str, find) -> None:
    for tiers, pattern in TIER_WORDS.items():
        if find(pattern):
            intent.tiers = tiers
    # "without redis or a cdn": a negation reaches to the end of its clause.
    scopes = [match.span(1) for match in find(NEGATION + NEGATION_SCOPE)]
    for component, pattern in COMPONENT_WORDS.items():
        matches = find(pattern)
        negated = [match for match in matches if any(start <= match.start() < end for start, end in scopes)]
        if negated and len(negated) == len(matches):
            intent.without.append(component)
        elif matches:
            intent.components.append(component)
    if intent.tiers:
        for component in ("service", "database"):
            if component not in intent.components and component not in intent.without:
                intent.components.append(component)


def _parse_scaling(intent: Intent, text: str, find) -> None:
    number = r"(\d{1,4})"
    span = rf"(?:from |between )?{number}\s*(?:-|–|to|and|\.\.)\s*{number}"
    for match in find(span):
        around = text[max(0, match.start() - 60):match.end() + 40]
        low, high = int(match.group(1)), int(match.group(2))
        part_of_version = re.search(r"[\d.]$", text[:match.start()]) or re.match(r"\.\d", text[match.end():])
        if re.search(SCALE_CONTEXT, around) and low <= high <= 1000 and not part_of_version:
            intent.scale_min, intent.scale_max = low, high
            intent.scale_target = _scale_target(intent, around)
            break
    if intent.scale_max is None:
        for match in find(rf"\b(?:up to|max(?:imum)?(?: of)?|at most|no more than|scal\w* (?:out |up )?to)\s+{number}\b"):
            intent.scale_max = int(match.group(1))
    if intent.scale_min is None:
        for match in find(rf"\b(?:at least|min(?:imum)?(?: of)?|no (?:fewer|less) than|never (?:fewer|less) than)\s+{number}\b"):
            intent.scale_min = int(match.group(1))


def _scale_target(intent: Intent, around: str) -> str | None:
    """The component type a range is about when its words say so ("3 to 30 nodes", "2 to 4 VMs")."""
    if re.search(_words("nodes?", "pods?"), around) and "kubernetes" in intent.components:
        return "kubernetes"
    if re.search(_words("vms?", "virtual machines?"), around) and "vm_group" in intent.components:
        return "vm_group"
    return None


def _parse_engines(intent: Intent, find) -> None:
    for engine, pattern in DB_ENGINES.items():
        matches = find(pattern)
        if matches:
            intent.db_engine = engine
            version = find(pattern + r"\s*(?:v|version\s*)?(\d+(?:\.\d)?)\b")
            if version:
                intent.db_version = version[0].group(1)
    for engine, pattern in CACHE_ENGINES.items():
        if find(pattern):
            intent.cache_engine = engine
    for runtime, pattern in RUNTIMES.items():
        if find(pattern) and intent.runtime is None:
            intent.runtime = runtime


def _parse_places(intent: Intent, find) -> None:
    for match in find(AWS_REGION):
        intent.regions.setdefault("aws", match.group(1))
    for match in find(GCP_REGION):
        intent.regions.setdefault("gcp", match.group(1))
    for match in find(AZURE_LOCATION):
        intent.regions.setdefault("azure", match.group(0))
    for pattern, (aws, gcp, azure) in PLACES.items():
        if find(pattern, fresh=True):
            for cloud, region in (("aws", aws), ("gcp", gcp), ("azure", azure)):
                intent.regions.setdefault(cloud, region)


def _parse_environments(intent: Intent, find) -> None:
    named = [environment for environment, pattern in ENVIRONMENTS.items() if find(pattern)]
    if len(named) >= 2:
        intent.environments = named


def _parse_industry(intent: Intent, find) -> None:
    scores = {industry: len(find(pattern)) for industry, pattern in INDUSTRIES.items()}
    best = max(scores, key=lambda industry: scores[industry])
    if scores[best]:
        intent.industry = best


def _leftover_words(text: str, consumed: list[tuple[int, int]]) -> list[str]:
    covered = bytearray(len(text))
    for start, end in consumed:
        covered[start:end] = b"\x01" * (end - start)
    leftovers = []
    for match in re.finditer(r"[a-z][a-z'-]*[a-z]|[a-z]", text):
        word = match.group(0)
        if any(covered[match.start():match.end()]) or word in STOPWORDS or len(word) < 3:
            continue
        if word not in leftovers:
            leftovers.append(word)
    return leftovers
