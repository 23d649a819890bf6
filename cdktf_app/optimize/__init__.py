"""`nexus optimize`: savings as spec edits. Rules as data (`rules/*.yaml`) over the spec and the price catalogue;
each recommendation is an edit of the spec (comments kept), priced by `cost.compare` and re-checked at the
compliance gate. `optimize(spec, environment)` is the library entry point."""
from .engine import Optimization, Recommendation, Skipped, optimize
from .rules import Rule, load_rules

__all__ = ["Optimization", "Recommendation", "Rule", "Skipped", "load_rules", "optimize"]
