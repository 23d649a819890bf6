"""The Terraform resource inventory: the resources of an out dir, a plan, a state, Terraform JSON or `.tf` files,
with their attributes, instances and references. Visualize, cost, deploy and the compliance plan target read it;
which target a user pointed at is decided by cdktf_app.workspace."""
from .resources import Inventory, Resource

__all__ = ["Inventory", "Resource"]
