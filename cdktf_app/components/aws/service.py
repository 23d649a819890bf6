"""service -> ECS Fargate service behind an Application Load Balancer (WAF and access logs when public),
scaled on CPU between min and max."""
from __future__ import annotations

import json

from cdktn_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktn_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktn_provider_aws.data_aws_secretsmanager_secret import DataAwsSecretsmanagerSecret
from cdktn_provider_aws.ecs_cluster import EcsCluster
from cdktn_provider_aws.ecs_service import EcsService
from cdktn_provider_aws.ecs_task_definition import EcsTaskDefinition
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktn_provider_aws.lb import Lb
from cdktn_provider_aws.lb_listener import LbListener
from cdktn_provider_aws.lb_target_group import LbTargetGroup
from cdktn_provider_aws.vpc_security_group_egress_rule import VpcSecurityGroupEgressRule
from cdktn_provider_aws.wafv2_web_acl_association import Wafv2WebAclAssociation

from ...errors import SpecError
from ...spec.model import Service
from ..base import ComponentConstruct
from .bucket import LOAD_BALANCER_PREFIX, access_log_bucket
from .firewall import managed_web_acl
from .network_access import network_of, security_group
from .provider import assume_role_policy, log_group, managed_policy, region, stack_key

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


class AwsService(ComponentConstruct[Service]):
    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        cluster = self.add(EcsCluster, "cluster", name=self.physical_name(max_length=255),
                           setting=[{"name": "containerInsights", "value": "enabled"}], tags=self.tags)
        task = self._task_definition()
        balancer_sg = security_group(self, "lb_sg", f"{self.name} load balancer",
                                     ingress_port=443 if spec.certificate else 80,
                                     from_cidr="0.0.0.0/0" if spec.public else network["cidr"])
        tasks_sg = security_group(self, "task_sg", f"{self.name} tasks", ingress_port=spec.port,
                                  from_group=balancer_sg, egress_anywhere=True)
        self.add(VpcSecurityGroupEgressRule, "lb_sg_to_tasks", security_group_id=balancer_sg.id, ip_protocol="tcp",
                 from_port=spec.port, to_port=spec.port, referenced_security_group_id=tasks_sg.id,
                 description="to the service's tasks", tags=self.tags)
        log_bucket, log_policy = access_log_bucket(self.ctx)
        balancer = self.add(Lb, "lb", name=self.physical_name("lb", max_length=32), internal=not spec.public,
                            load_balancer_type="application", security_groups=[balancer_sg.id],
                            subnets=network["public_subnet_ids" if spec.public else "private_subnet_ids"],
                            drop_invalid_header_fields=True,
                            access_logs={"bucket": log_bucket.id, "enabled": True,
                                         "prefix": f"{LOAD_BALANCER_PREFIX}/{self.name}"},
                            enable_deletion_protection=self.ctx.environment == "prod", depends_on=[log_policy],
                            tags=self.tags)
        if spec.public:
            firewall = managed_web_acl(self, "REGIONAL")
            self.add(Wafv2WebAclAssociation, "waf_association", resource_arn=balancer.arn, web_acl_arn=firewall.arn)
        targets = self.add(LbTargetGroup, "targets", name=self.physical_name("tg", max_length=32), port=spec.port,
                           protocol="HTTP", target_type="ip", vpc_id=network["vpc_id"],
                           health_check={"path": spec.health_check, "matcher": "200-399"}, tags=self.tags)
        listener = self._listener(balancer, targets)
        service = self.add(
            EcsService, None, name=self.physical_name(max_length=255), cluster=cluster.arn,
            task_definition=task.arn, desired_count=spec.min, launch_type="FARGATE", propagate_tags="SERVICE",
            enable_ecs_managed_tags=True,
            network_configuration={"subnets": network["private_subnet_ids"], "security_groups": [tasks_sg.id],
                                   "assign_public_ip": False},
            load_balancer=[{"target_group_arn": targets.arn, "container_name": self.name,
                            "container_port": spec.port}],
            deployment_circuit_breaker={"enable": True, "rollback": True},
            lifecycle={"ignore_changes": ["desired_count"]}, depends_on=[listener], tags=self.tags)
        self._autoscaling(cluster, service)
        scheme = "https" if spec.certificate else "http"
        self.export(url=lambda: f"{scheme}://{balancer.dns_name}", dns_name=lambda: balancer.dns_name,
                    lb_arn=lambda: balancer.arn, metric_dimensions=lambda: {"LoadBalancer": balancer.arn_suffix})

    def _task_definition(self) -> EcsTaskDefinition:
        spec = self.component
        logs = log_group(self, "logs", f"/nexus/{self.ctx.prefix}/{self.name}")
        execution = self.add(IamRole, "execution_role", name=self.physical_name("exec", max_length=64),
                             assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com"), tags=self.tags)
        self.add(IamRolePolicyAttachment, "execution_policy", role=execution.name,
                 policy_arn=managed_policy(self.ctx, "service-role/AmazonECSTaskExecutionRolePolicy"))
        secrets = self._secrets(execution)
        task_role = self.add(IamRole, "task_role", name=self.physical_name("task", max_length=64),
                             assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com"), tags=self.tags)
        container = {
            "name": self.name, "image": spec.image, "essential": True, "readonlyRootFilesystem": True,
            "portMappings": [{"containerPort": spec.port, "protocol": "tcp"}],
            "environment": [{"name": key, "value": value} for key, value in sorted(spec.environment.items())],
            "secrets": secrets,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": logs.name, "awslogs-region": region(self.ctx), "awslogs-stream-prefix": self.name}},
        }
        return self.add(EcsTaskDefinition, "task", family=self.physical_name(max_length=255),
                        requires_compatibilities=["FARGATE"], network_mode="awsvpc", cpu=str(spec.cpu),
                        memory=str(spec.memory), execution_role_arn=execution.arn, task_role_arn=task_role.arn,
                        container_definitions=json.dumps([container], sort_keys=True),
                        runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
                        tags=self.tags)

    def _secrets(self, execution: IamRole) -> list[dict]:
        """Secrets Manager references become container secrets; only the execution role may read them."""
        if not self.component.secrets:
            return []
        entries, arns = [], []
        for secret_name in self.component.secrets:
            secret = self.ctx.spec.secrets[secret_name]
            if secret.source != "aws-secrets-manager":
                raise SpecError([self.ctx.loaded.source.problem(
                    ("secrets", secret_name, "from"),
                    f"'{self.name}' runs on AWS and can only read secrets from aws-secrets-manager")])
            found = self.ctx.shared(f"aws.secret.{secret_name}", lambda name=secret_name, secret=secret: self.ctx.add(
                f"secrets.{name}", DataAwsSecretsmanagerSecret, f"secret_{name}", name=secret.name))
            arns.append(found.arn)
            entries.append({"name": secret_name.upper(), "valueFrom": found.arn})
        self.add(IamRolePolicy, "read_secrets", role=execution.id, name="read-secrets",
                 policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                     "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": arns}, {
                     "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [stack_key(self.ctx).arn]}]},
                     sort_keys=True))
        return entries

    def _listener(self, balancer: Lb, targets: LbTargetGroup) -> LbListener:
        certificate = self.component.certificate
        forward = [{"type": "forward", "target_group_arn": targets.arn}]
        if not certificate:
            return self.add(LbListener, "http", load_balancer_arn=balancer.arn, port=80, protocol="HTTP",
                            default_action=forward, tags=self.tags)
        return self.add(LbListener, "https", load_balancer_arn=balancer.arn, port=443, protocol="HTTPS",
                        ssl_policy=TLS_POLICY, certificate_arn=certificate, default_action=forward, tags=self.tags)

    def _autoscaling(self, cluster: EcsCluster, service: EcsService) -> None:
        spec = self.component
        target = self.add(AppautoscalingTarget, "scaling", min_capacity=spec.min, max_capacity=spec.max,
                          resource_id=f"service/{cluster.name}/{service.name}",
                          scalable_dimension="ecs:service:DesiredCount", service_namespace="ecs", tags=self.tags)
        self.add(AppautoscalingPolicy, "cpu_scaling", name=self.physical_name("cpu", max_length=255),
                 policy_type="TargetTrackingScaling", resource_id=target.resource_id,
                 scalable_dimension=target.scalable_dimension, service_namespace=target.service_namespace,
                 target_tracking_scaling_policy_configuration={
                     "target_value": spec.cpu_target, "scale_in_cooldown": 300, "scale_out_cooldown": 60,
                     "predefined_metric_specification": {
                         "predefined_metric_type": "ECSServiceAverageCPUUtilization"}})
