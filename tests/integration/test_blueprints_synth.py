"""Every blueprint, rendered with defaults and with other values, synthesizes; AWS stacks pass terraform validate."""
from __future__ import annotations

import pytest

from cdktf_app.blueprints.catalog import list_blueprints, render_blueprint
from cdktf_app.tools.terraform import validate_stack
from tests.conftest import synthesized
from tests.helpers import declared_addresses, load_stack, referenced_addresses

BLUEPRINTS = [blueprint.name for blueprint in list_blueprints()]
OTHER_VALUES = {
    "fintech": {"region": "eu-west-1", "web_min": "5", "web_max": "20", "environments": "staging"},
    "healthcare": {"region": "eu-central-1", "environments": "prod"},
    "ecommerce": {"region": "ap-southeast-2", "environments": "dev"},
    "gamedev": {"aws_region": "us-west-2", "gcp_region": "asia-northeast1", "environments": "prod",
                "edge_locations": "arena_tokyo"},
    "devops-platform": {"region": "us-central1", "environments": "dev"},
}


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_blueprint_synthesizes_with_resolvable_references(blueprint_outputs, name):
    result = blueprint_outputs[name]
    assert result.stacks
    for stack_info in result.stacks:
        stack = load_stack(result.stack_json(stack_info.name))
        assert stack.get("resource") or stack.get("module"), stack_info.name
        missing = referenced_addresses(stack) - declared_addresses(stack)
        assert not missing, f"{stack_info.name}: dangling references {sorted(missing)}"


@pytest.mark.terraform
@pytest.mark.parametrize("name", BLUEPRINTS)
def test_blueprint_aws_stacks_pass_terraform_validate(blueprint_outputs, name, terraform_cli_config):
    aws_stacks = [stack for stack in blueprint_outputs[name].stacks if stack.provider == "aws"]
    for stack in aws_stacks:
        outcome = validate_stack(blueprint_outputs[name].stack_dir(stack.name), terraform_cli_config)
        assert outcome.ok, f"{stack.name}:\n{outcome.output}"


@pytest.mark.parametrize("name", BLUEPRINTS)
def test_blueprint_with_other_values_synthesizes(tmp_path_factory, name):
    values = OTHER_VALUES[name]
    result = synthesized(tmp_path_factory, name, values)
    environments = {stack.environment for stack in result.stacks}
    assert environments == {values["environments"]}
    for stack_info in result.stacks:
        stack = load_stack(result.stack_json(stack_info.name))
        assert referenced_addresses(stack) <= declared_addresses(stack)
        if stack_info.provider == "aws":
            region = values.get("region") or values.get("aws_region")
            assert stack["provider"]["aws"][0]["region"] == region
