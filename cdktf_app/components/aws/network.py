"""network -> VPC with public and private subnets per zone, NAT, locked default SG and flow logs."""
from __future__ import annotations

import ipaddress

from cdktn import Fn
from cdktn_provider_aws.data_aws_availability_zones import DataAwsAvailabilityZones
from cdktn_provider_aws.default_security_group import DefaultSecurityGroup
from cdktn_provider_aws.eip import Eip
from cdktn_provider_aws.flow_log import FlowLog
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.internet_gateway import InternetGateway
from cdktn_provider_aws.nat_gateway import NatGateway
from cdktn_provider_aws.route import Route
from cdktn_provider_aws.route_table import RouteTable
from cdktn_provider_aws.route_table_association import RouteTableAssociation
from cdktn_provider_aws.subnet import Subnet
from cdktn_provider_aws.vpc import Vpc

from ...spec.model import Network
from ..base import ComponentConstruct
from .provider import assume_role_policy, log_group


def subnet_cidrs(cidr: str, count: int) -> list[str]:
    """Split the VPC range into 16 equal subnets (`/prefix+4`) and take the first `count`."""
    network = ipaddress.ip_network(cidr, strict=False)
    return [str(subnet) for subnet, _ in zip(network.subnets(prefixlen_diff=4), range(count))]


class AwsNetwork(ComponentConstruct[Network]):
    def build(self) -> None:
        spec = self.component
        vpc = self.add(Vpc, None, cidr_block=spec.cidr, enable_dns_hostnames=True, enable_dns_support=True,
                       tags={**self.tags, "Name": self.physical_name()})
        self.add(DefaultSecurityGroup, "default_sg", vpc_id=vpc.id,
                 tags={**self.tags, "Name": self.physical_name("default-deny")})
        zones = self.add(DataAwsAvailabilityZones, "zones", state="available")
        cidrs = subnet_cidrs(spec.cidr, 2 * spec.zones)
        public, private = [], []
        for index in range(spec.zones):
            zone = Fn.element(zones.names, index)
            public.append(self.add(Subnet, f"public_{index}", vpc_id=vpc.id, cidr_block=cidrs[index],
                                   availability_zone=zone, map_public_ip_on_launch=False,
                                   tags={**self.tags, "Name": self.physical_name(f"public-{index}"),
                                         "nexus:tier": "public"}))
            private.append(self.add(Subnet, f"private_{index}", vpc_id=vpc.id, cidr_block=cidrs[spec.zones + index],
                                    availability_zone=zone,
                                    tags={**self.tags, "Name": self.physical_name(f"private-{index}"),
                                          "nexus:tier": "private"}))
        gateway = self.add(InternetGateway, "igw", vpc_id=vpc.id, tags={**self.tags, "Name": self.physical_name()})
        public_routes = self.add(RouteTable, "public_rt", vpc_id=vpc.id,
                                 tags={**self.tags, "Name": self.physical_name("public")})
        self.add(Route, "public_default", route_table_id=public_routes.id, destination_cidr_block="0.0.0.0/0",
                 gateway_id=gateway.id)
        private_routes = self.add(RouteTable, "private_rt", vpc_id=vpc.id,
                                  tags={**self.tags, "Name": self.physical_name("private")})
        for index, subnet in enumerate(public):
            self.add(RouteTableAssociation, f"public_{index}_rt", subnet_id=subnet.id,
                     route_table_id=public_routes.id)
        for index, subnet in enumerate(private):
            self.add(RouteTableAssociation, f"private_{index}_rt", subnet_id=subnet.id,
                     route_table_id=private_routes.id)
        if spec.nat:
            address = self.add(Eip, "nat_ip", domain="vpc", tags={**self.tags, "Name": self.physical_name("nat")},
                               depends_on=[gateway])
            nat = self.add(NatGateway, "nat", allocation_id=address.id, subnet_id=public[0].id,
                           tags={**self.tags, "Name": self.physical_name()})
            self.add(Route, "private_default", route_table_id=private_routes.id,
                     destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat.id)
        if spec.flow_logs:
            self._flow_logs(vpc)
        self.export(vpc_id=lambda: vpc.id, cidr=spec.cidr,
                    public_subnet_ids=lambda: [subnet.id for subnet in public],
                    private_subnet_ids=lambda: [subnet.id for subnet in private])

    def _flow_logs(self, vpc: Vpc) -> None:
        logs = log_group(self, "flow_log_group", f"/nexus/{self.ctx.prefix}/{self.name}/flow-logs")
        role = self.add(IamRole, "flow_logs_role", name=self.physical_name("flow-logs", max_length=64),
                        assume_role_policy=assume_role_policy("vpc-flow-logs.amazonaws.com"), tags=self.tags)
        self.add(IamRolePolicy, "flow_logs_policy", role=role.id, name="write-flow-logs",
                 policy=Fn.jsonencode({"Version": "2012-10-17", "Statement": [{
                     "Effect": "Allow",
                     "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                     "Resource": [logs.arn, f"{logs.arn}:*"]}]}))
        self.add(FlowLog, "flow_logs", vpc_id=vpc.id, traffic_type="ALL", log_destination=logs.arn,
                 log_destination_type="cloud-watch-logs", iam_role_arn=role.arn, max_aggregation_interval=60,
                 tags=self.tags)
