"""`nexus drift` on the sandbox: one deploy for the module, then changes made outside Terraform with boto3."""
from __future__ import annotations

import pytest

from tests.helpers import sandbox_aws

pytestmark = pytest.mark.terraform


def test_group_rules_read_back_with_their_description_and_an_own_account_group(sandbox):
    """moto left out a group-sourced rule's description and named the group as another account's
    (`123456789012/sg-...`): right after a deploy every such rule looked drifted."""
    ec2 = sandbox_aws("ec2", sandbox.url)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    source, target = (ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
                      for name in ("gap-source", "gap-target"))
    made = ec2.authorize_security_group_ingress(GroupId=target, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080,
        "UserIdGroupPairs": [{"GroupId": source, "Description": "from the balancer"}]}])
    rule_id = made["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    rule = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule_id])["SecurityGroupRules"][0]
    assert rule["Description"] == "from the balancer"
    assert rule["ReferencedGroupInfo"]["GroupId"] == source and "UserId" not in rule["ReferencedGroupInfo"]
