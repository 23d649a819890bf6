"""Self-healing runs: terraform output -> failure class, and bounded retries of transient failures."""
from .classifier import Classification, Rule, classify, load_rules
from .retry import Attempt, RetryPolicy, run_healed

__all__ = ["Attempt", "Classification", "RetryPolicy", "Rule", "classify", "load_rules", "run_healed"]
