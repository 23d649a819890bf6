"""vm_group -> launch template + Auto Scaling group in private subnets; IMDSv2, encrypted disks, SSM access."""
from __future__ import annotations

from cdktn_provider_aws.autoscaling_group import AutoscalingGroup
from cdktn_provider_aws.data_aws_ssm_parameter import DataAwsSsmParameter
from cdktn_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktn_provider_aws.launch_template import LaunchTemplate

from ...spec.model import VmGroup
from ..base import ComponentConstruct
from .network_access import network_of, security_group
from .provider import assume_role_policy, managed_policy, stack_key

INSTANCE_TYPE = {"small": "t3.small", "medium": "m7i.large", "large": "m7i.xlarge", "xlarge": "m7i.2xlarge"}
LATEST_AMAZON_LINUX = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


class AwsVmGroup(ComponentConstruct[VmGroup]):
    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        role = self.add(IamRole, "role", name=self.physical_name("vm", max_length=64),
                        assume_role_policy=assume_role_policy("ec2.amazonaws.com"), tags=self.tags)
        self.add(IamRolePolicyAttachment, "ssm", role=role.name,
                 policy_arn=managed_policy(self.ctx, "AmazonSSMManagedInstanceCore"))
        profile = self.add(IamInstanceProfile, "profile", name=self.physical_name("vm", max_length=128),
                           role=role.name, tags=self.tags)
        access = security_group(self, "vm_sg", f"{self.name} instances", egress_anywhere=True)
        image = spec.image or self.ctx.shared("aws.ami", lambda: self.ctx.add(
            "providers.aws", DataAwsSsmParameter, "amazon_linux", name=LATEST_AMAZON_LINUX)).value
        template = self.add(
            LaunchTemplate, "template", name=self.physical_name(max_length=128), image_id=image,
            instance_type=INSTANCE_TYPE[spec.size], iam_instance_profile={"arn": profile.arn},
            vpc_security_group_ids=[access.id], ebs_optimized="true", monitoring={"enabled": True},
            metadata_options={"http_endpoint": "enabled", "http_tokens": "required",
                              "http_put_response_hop_limit": 1, "instance_metadata_tags": "enabled"},
            block_device_mappings=[{"device_name": "/dev/xvda", "ebs": {
                "volume_size": spec.disk_gb, "volume_type": "gp3", "encrypted": "true",
                "kms_key_id": stack_key(self.ctx).arn, "delete_on_termination": "true"}}],
            tag_specifications=[{"resource_type": kind, "tags": self.tags} for kind in ("instance", "volume")],
            tags=self.tags)
        group = self.add(
            AutoscalingGroup, None, name=self.physical_name(max_length=255), min_size=spec.min, max_size=spec.max,
            desired_capacity=spec.min, vpc_zone_identifier=network["private_subnet_ids"],
            launch_template={"id": template.id, "version": "$Latest"},
            health_check_type="EC2", health_check_grace_period=300,
            tag=[{"key": key, "value": value, "propagate_at_launch": True} for key, value in self.tags.items()])
        self.export(name=lambda: group.name, arn=lambda: group.arn)
