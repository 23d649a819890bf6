"""Security groups and where a component's network lives: shared by every AWS construct that runs in a VPC."""
from __future__ import annotations

from cdktn_provider_aws.security_group import SecurityGroup
from cdktn_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktn_provider_aws.vpc_security_group_ingress_rule import VpcSecurityGroupIngressRule

from ..base import ComponentConstruct


def network_of(construct: ComponentConstruct) -> dict:
    """The exports of the network this component runs in (built before it)."""
    return construct.ctx.imported(construct.ctx.network_for(construct.component))


def security_group(construct: ComponentConstruct, role: str, description: str, *, ingress_port: int | None = None,
                   from_cidr: str | None = None, from_group: SecurityGroup | None = None,
                   egress_anywhere: bool = False) -> SecurityGroup:
    """A security group that admits one port from one source and, if asked, lets traffic out over HTTPS."""
    network = network_of(construct)
    group = construct.add(SecurityGroup, role, name=construct.physical_name(role.replace("_", "-"), max_length=255),
                          description=description, vpc_id=network["vpc_id"], tags=construct.tags)
    if ingress_port is not None:
        source = {"referenced_security_group_id": from_group.id} if from_group else {"cidr_ipv4": from_cidr}
        construct.add(VpcSecurityGroupIngressRule, f"{role}_in", security_group_id=group.id, ip_protocol="tcp",
                      from_port=ingress_port, to_port=ingress_port, description=f"{description}: port {ingress_port}",
                      tags=construct.tags, **source)
    if egress_anywhere:
        construct.add(VpcSecurityGroupEgressRule, f"{role}_out", security_group_id=group.id, ip_protocol="tcp",
                      from_port=443, to_port=443, cidr_ipv4="0.0.0.0/0",
                      description="HTTPS out (image pulls, AWS APIs)", tags=construct.tags)
    return group
