"""kubernetes -> EKS cluster (private endpoint, secrets encrypted, control-plane logs) and a managed node group."""
from __future__ import annotations

from cdktn_provider_aws.eks_cluster import EksCluster
from cdktn_provider_aws.eks_node_group import EksNodeGroup
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment

from ...spec.model import Kubernetes
from ..base import ComponentConstruct
from .network_access import network_of
from .provider import assume_role_policy, log_group, managed_policy, stack_key

NODE_TYPE = {"small": "t3.large", "medium": "m7i.large", "large": "m7i.xlarge", "xlarge": "m7i.2xlarge"}
CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
NODE_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryReadOnly")


class AwsKubernetes(ComponentConstruct[Kubernetes]):
    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        cluster_name = self.physical_name(max_length=100)
        logs = log_group(self, "logs", f"/aws/eks/{cluster_name}/cluster")
        role = self.add(IamRole, "cluster_role", name=self.physical_name("eks", max_length=64),
                        assume_role_policy=assume_role_policy("eks.amazonaws.com"), tags=self.tags)
        attachment = self.add(IamRolePolicyAttachment, "cluster_policy", role=role.name,
                              policy_arn=managed_policy(self.ctx, "AmazonEKSClusterPolicy"))
        cluster = self.add(
            EksCluster, None, name=cluster_name, role_arn=role.arn, version=spec.version,
            vpc_config={"subnet_ids": network["private_subnet_ids"], "endpoint_private_access": True,
                        "endpoint_public_access": spec.public_endpoint},
            encryption_config={"resources": ["secrets"], "provider": {"key_arn": stack_key(self.ctx).arn}},
            enabled_cluster_log_types=CONTROL_PLANE_LOGS, depends_on=[attachment, logs], tags=self.tags)
        node_role = self.add(IamRole, "node_role", name=self.physical_name("nodes", max_length=64),
                             assume_role_policy=assume_role_policy("ec2.amazonaws.com"), tags=self.tags)
        attachments = [self.add(IamRolePolicyAttachment, f"node_policy_{index}", role=node_role.name,
                                policy_arn=managed_policy(self.ctx, policy))
                       for index, policy in enumerate(NODE_POLICIES)]
        self.add(EksNodeGroup, "nodes", cluster_name=cluster.name, node_group_name=self.physical_name("nodes"),
                 node_role_arn=node_role.arn, subnet_ids=network["private_subnet_ids"],
                 instance_types=[NODE_TYPE[spec.node_size]],
                 scaling_config={"desired_size": spec.min, "min_size": spec.min, "max_size": spec.max},
                 update_config={"max_unavailable": 1}, depends_on=attachments, tags=self.tags)
        self.export(name=lambda: cluster.name, endpoint=lambda: cluster.endpoint, arn=lambda: cluster.arn)
