"""Industry blueprints: parameterised templates that render to a validated Nexus spec."""
from .catalog import (Blueprint, Parameter, blueprints_dir, get_blueprint, list_blueprints, render_blueprint,
                      resolve_values)

__all__ = ["Blueprint", "Parameter", "blueprints_dir", "get_blueprint", "list_blueprints", "render_blueprint",
           "resolve_values"]
