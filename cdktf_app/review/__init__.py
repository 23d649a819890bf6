"""`nexus review`: a multi-role review of a change, from what `nexus ci plan-and-check` computed (the plan
summary, the findings, the cost delta and the spec diff: its summary.json).

Each role (security, cost, reliability, release, operations) answers in one JSON schema (answer.schema.json):
a verdict, concerns anchored on a resource or a spec line of the inputs, a confidence. With a model (openai SDK,
through nli.client) every answer is untrusted text: validated against the schema, its concerns kept only when
their anchors exist in the inputs, its text shown but never obeyed; without one, the same roles run as
deterministic rule sets (rules.py, explanations in roles.yaml). consensus.py merges the roles by a stated rule.
A review only comments: it never changes the plan, the gate or what is applied. `review(summary, options)` is
the library entry point."""
from .consensus import Consensus, merge
from .engine import ROLES, Review, ReviewOptions, review

__all__ = ["Consensus", "ROLES", "Review", "ReviewOptions", "merge", "review"]
