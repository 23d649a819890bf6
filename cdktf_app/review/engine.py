"""`review(summary, options)`: every chosen role on the same inputs, then the consensus.

With a model configured (OPENAI_API_KEY or a base URL) each role asks it once, in role order, through one
client (one deadline for the whole review); a role whose answer is refused falls back to its rule set, and a
server that cannot be reached, fails, refuses the key or runs out of time sends every role to the rules (a
review is advice: it must not stop the pass it comments on). Without one, the rule sets answer and the result
says so."""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..errors import UsageError
from ..nli.client import ModelClient, ModelError, ModelSettings
from ..nli.deadline import DeadlineExceeded
from .answers import RoleAnswer, answer_schema
from .consensus import Consensus, merge
from .inputs import ReviewInputs
from .model import model_answer
from .rules import RULE_SETS

ROLES = tuple(RULE_SETS)


@dataclass
class ReviewOptions:
    roles: tuple[str, ...] = ROLES
    model: ModelSettings | None = None      # None, or no key and no base URL: the rule sets
    offline: bool = False


@dataclass
class Review:
    source: str
    offline: bool
    change: dict
    roles: list[RoleAnswer] = field(default_factory=list)
    consensus: Consensus | None = None

    def as_dict(self) -> dict:
        return {"schema": "nexus.review/v1", "source": self.source, "offline": self.offline, "change": self.change,
                "roles": [answer.as_dict() for answer in self.roles], "consensus": self.consensus.as_dict()}


def chosen_roles(text: str | None) -> tuple[str, ...]:
    """`--roles security,cost`: known roles, in the order given; a usage error names the unknown ones."""
    if not text:
        return ROLES
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in RULE_SETS]
    if unknown or not names:
        raise UsageError(f"--roles {text}: unknown role(s) {', '.join(unknown) or '(none given)'}; "
                         f"expected some of {', '.join(ROLES)}")
    return names


def review(summary: dict, options: ReviewOptions | None = None) -> Review:
    """The review of the change a plan-and-check SUMMARY describes (summary.json's dict; not modified)."""
    options = options or ReviewOptions()
    roles = chosen_roles(",".join(options.roles))
    inputs = ReviewInputs(copy.deepcopy(summary))
    reason = _offline_reason(options)
    if reason is None:
        client = ModelClient(options.model, answer_schema=("nexus_review", answer_schema()))
        try:
            answers = [_model_or_rules(role, inputs, client) for role in roles]
        except (ModelError, DeadlineExceeded) as error:
            reason = f"fallback: {error}"
    if reason is not None:
        answers = [RULE_SETS[role](inputs) for role in roles]
    source = f"model {options.model.model}" if reason is None else f"rule sets (offline: {reason})"
    return Review(source=source, offline=reason is not None, change=inputs.counts(), roles=answers,
                  consensus=merge(answers))


def _model_or_rules(role: str, inputs: ReviewInputs, client: ModelClient) -> RoleAnswer:
    answer = model_answer(role, inputs, client)
    if isinstance(answer, RoleAnswer):
        return answer
    fallback = RULE_SETS[role](inputs)
    fallback.note = f"{answer}; the {role} rule set answered instead"
    return fallback


def _offline_reason(options: ReviewOptions) -> str | None:
    if options.offline:
        return "--offline"
    if options.model is None or (not options.model.api_key and not options.model.base_url):
        return "no OPENAI_API_KEY and no --base-url"
    return None
