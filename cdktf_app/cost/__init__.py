"""`nexus cost`: monthly estimates from a dated price catalogue shipped as data; unpriced resources are listed,
never counted as $0. Library first: `estimate(target)`, `compare(a, b)`."""
from __future__ import annotations

from .catalogue import Catalogue, Price, load_catalogue
from .compare import CostDelta, LineDelta, compare
from .estimate import Estimate, Line, UnpricedLine, estimate

__all__ = ["Catalogue", "CostDelta", "Estimate", "Line", "LineDelta", "Price", "UnpricedLine", "compare",
           "estimate", "load_catalogue"]
