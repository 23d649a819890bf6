"""service -> ECS Fargate service behind an Application Load Balancer (WAF and access logs when public),
scaled on CPU between min and max."""
from __future__ import annotations

import json
from dataclasses import dataclass

import cdktn
from cdktn_provider_aws.appautoscaling_policy import AppautoscalingPolicy
from cdktn_provider_aws.appautoscaling_target import AppautoscalingTarget
from cdktn_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
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
from ..release import ReleaseVariables
from .bucket import LOAD_BALANCER_PREFIX, access_log_bucket
from .firewall import managed_web_acl
from .network_access import network_of, security_group
from .provider import assume_role_policy, log_group, managed_policy, region, stack_key
from .secrets import secret_arns

TLS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"


@dataclass(frozen=True)
class _TaskRoles:
    execution: IamRole
    task_role: IamRole
    logs: object
    secrets: list[dict]


class AwsService(ComponentConstruct[Service]):
    def build(self) -> None:
        spec = self.component
        network = network_of(self)
        cluster = self.add(EcsCluster, "cluster", name=self.physical_name(max_length=255),
                           setting=[{"name": "containerInsights", "value": "enabled"}], tags=self.tags)
        release = spec.release if spec.release and spec.release.shifts_traffic else None
        variables = ReleaseVariables.of(self.name)
        if release:
            variables.declare(self.ctx.stack, self.name, spec.image)
        shared = self._task_roles()
        task = self._task_definition("task", variables.reference(variables.stable_image) if release else spec.image,
                                     shared)
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
        targets = self._target_group("targets", "tg")
        next_targets = self._target_group("targets_next", "next") if release else None
        listener = self._listener(balancer, targets, next_targets, variables)
        networking = {"subnets": network["private_subnet_ids"], "security_groups": [tasks_sg.id],
                      "assign_public_ip": False}
        watched = next_targets or targets
        alarms = self._rollback_alarms(balancer, watched) if spec.release and spec.release.rollback_on else []
        service = self.add(
            EcsService, None, name=self.physical_name(max_length=255), cluster=cluster.arn,
            task_definition=task.arn, desired_count=spec.min, launch_type="FARGATE", propagate_tags="SERVICE",
            enable_ecs_managed_tags=True, network_configuration=networking,
            load_balancer=[{"target_group_arn": targets.arn, "container_name": self.name,
                            "container_port": spec.port}],
            deployment_circuit_breaker={"enable": True, "rollback": True},
            **({"alarms": {"alarm_names": [alarm.alarm_name for alarm in alarms], "enable": True, "rollback": True}}
               if alarms and not release else {}),
            lifecycle={"ignore_changes": ["desired_count"]}, depends_on=[listener], tags=self.tags)
        if release:
            next_task = self._task_definition("task_next", variables.reference(variables.next_image), shared)
            # The released version runs (at the service's floor, one copy at least) only while it has traffic.
            copies = max(spec.min, 1)
            self.add(EcsService, "next", name=self.physical_name("next", max_length=255), cluster=cluster.arn,
                     task_definition=next_task.arn, launch_type="FARGATE", propagate_tags="SERVICE",
                     desired_count=cdktn.Token.as_number(f"${{var.{variables.next_weight} > 0 ? {copies} : 0}}"),
                     enable_ecs_managed_tags=True, network_configuration=networking,
                     load_balancer=[{"target_group_arn": next_targets.arn, "container_name": self.name,
                                     "container_port": spec.port}],
                     deployment_circuit_breaker={"enable": True, "rollback": True}, depends_on=[listener],
                     tags=self.tags)
        self._autoscaling(cluster, service)
        scheme = "https" if spec.certificate else "http"
        self.export(url=lambda: f"{scheme}://{balancer.dns_name}", dns_name=lambda: balancer.dns_name,
                    lb_arn=lambda: balancer.arn, metric_dimensions=lambda: {"LoadBalancer": balancer.arn_suffix})

    def _task_roles(self) -> _TaskRoles:
        """What every task definition of the service shares: its log group, roles and container secrets."""
        logs = log_group(self, "logs", f"/nexus/{self.ctx.prefix}/{self.name}")
        execution = self.add(IamRole, "execution_role", name=self.physical_name("exec", max_length=64),
                             assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com"), tags=self.tags)
        self.add(IamRolePolicyAttachment, "execution_policy", role=execution.name,
                 policy_arn=managed_policy(self.ctx, "service-role/AmazonECSTaskExecutionRolePolicy"))
        secrets = self._secrets(execution)
        task_role = self.add(IamRole, "task_role", name=self.physical_name("task", max_length=64),
                             assume_role_policy=assume_role_policy("ecs-tasks.amazonaws.com"), tags=self.tags)
        return _TaskRoles(execution, task_role, logs, secrets)

    def _task_definition(self, role: str, image: str, shared: _TaskRoles) -> EcsTaskDefinition:
        spec = self.component
        execution, task_role, logs, secrets = shared.execution, shared.task_role, shared.logs, shared.secrets
        container = {
            "name": self.name, "image": image, "essential": True, "readonlyRootFilesystem": True,
            "portMappings": [{"containerPort": spec.port, "protocol": "tcp"}],
            "environment": [{"name": key, "value": value} for key, value in sorted(spec.environment.items())],
            "secrets": secrets,
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": logs.name, "awslogs-region": region(self.ctx), "awslogs-stream-prefix": self.name}},
        }
        family = self.physical_name(max_length=255) if role == "task" else self.physical_name("next", max_length=255)
        return self.add(EcsTaskDefinition, role, family=family,
                        requires_compatibilities=["FARGATE"], network_mode="awsvpc", cpu=str(spec.cpu),
                        memory=str(spec.memory), execution_role_arn=execution.arn, task_role_arn=task_role.arn,
                        container_definitions=json.dumps([container], sort_keys=True),
                        runtime_platform={"operating_system_family": "LINUX", "cpu_architecture": "X86_64"},
                        tags=self.tags)

    def _secrets(self, execution: IamRole) -> list[dict]:
        """Secrets Manager references become container secrets (ECS puts the value in the container at start,
        the task definition holds only the ARN); only the execution role may read them."""
        names = self.component.secrets
        if not names:
            return []
        taken = sorted({name.upper() for name in names} & set(self.component.environment))
        if taken:
            raise SpecError([self.ctx.loaded.source.problem(
                ("components", self.name, "environment", taken[0]),
                f"{taken[0]} is where secret '{taken[0].lower()}' arrives; rename the variable")])
        arns = secret_arns(self.ctx, self.name, names)
        self.add(IamRolePolicy, "read_secrets", role=execution.id, name="read-secrets",
                 policy=json.dumps({"Version": "2012-10-17", "Statement": [{
                     "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": arns}, {
                     "Effect": "Allow", "Action": ["kms:Decrypt"], "Resource": [stack_key(self.ctx).arn]}]},
                     sort_keys=True))
        return [{"name": name.upper(), "valueFrom": arn} for name, arn in zip(names, arns)]

    def _target_group(self, role: str, suffix: str) -> LbTargetGroup:
        spec = self.component
        return self.add(LbTargetGroup, role, name=self.physical_name(suffix, max_length=32), port=spec.port,
                        protocol="HTTP", target_type="ip", vpc_id=network_of(self)["vpc_id"],
                        health_check={"path": spec.health_check, "matcher": "200-399"}, tags=self.tags)

    def _listener(self, balancer: Lb, targets: LbTargetGroup, next_targets: LbTargetGroup | None,
                  variables: ReleaseVariables) -> LbListener:
        certificate = self.component.certificate
        if next_targets is None:
            forward = [{"type": "forward", "target_group_arn": targets.arn}]
        else:  # the weights come from Terraform variables: nexus release moves them without a spec edit
            forward = [{"type": "forward", "forward": {"target_group": [
                {"arn": targets.arn, "weight": cdktn.Token.as_number(variables.stable_weight_expression)},
                {"arn": next_targets.arn,
                 "weight": cdktn.Token.as_number(variables.reference(variables.next_weight))}]}}]
        if not certificate:
            return self.add(LbListener, "http", load_balancer_arn=balancer.arn, port=80, protocol="HTTP",
                            default_action=forward, tags=self.tags)
        return self.add(LbListener, "https", load_balancer_arn=balancer.arn, port=443, protocol="HTTPS",
                        ssl_policy=TLS_POLICY, certificate_arn=certificate, default_action=forward, tags=self.tags)

    def _rollback_alarms(self, balancer: Lb, watched: LbTargetGroup) -> list[CloudwatchMetricAlarm]:
        """rollback_on as CloudWatch alarms on the target group of the version being released (the service's
        own with a rolling release, where ECS rolls the deployment back on them)."""
        limits = self.component.release.rollback_on
        dimensions = {"LoadBalancer": balancer.arn_suffix, "TargetGroup": watched.arn_suffix}
        common = {"evaluation_periods": 1, "comparison_operator": "GreaterThanThreshold",
                  "treat_missing_data": "notBreaching", "tags": self.tags}
        alarms = []
        if limits.error_rate is not None:
            def metric(name: str) -> dict:
                return {"metric": {"namespace": "AWS/ApplicationELB", "metric_name": name, "period": 60,
                                   "stat": "Sum", "dimensions": dimensions}}
            alarms.append(self.add(
                CloudwatchMetricAlarm, "rollback_error_rate", alarm_name=self.physical_name("error-rate",
                                                                                           max_length=255),
                alarm_description=f"{self.name}: more than {limits.error_rate:g}% of requests to the released "
                                  "version fail (nexus release rolls back)", threshold=limits.error_rate,
                metric_query=[{"id": "errors", **metric("HTTPCode_Target_5XX_Count")},
                              {"id": "requests", **metric("RequestCount")},
                              {"id": "rate", "expression": "100 * errors / requests", "label": "5xx per cent",
                               "return_data": True}], **common))
        if limits.p99_latency is not None:
            alarms.append(self.add(
                CloudwatchMetricAlarm, "rollback_p99_latency", alarm_name=self.physical_name("p99-latency",
                                                                                            max_length=255),
                alarm_description=f"{self.name}: p99 response time of the released version above "
                                  f"{limits.p99_latency:g} ms (nexus release rolls back)",
                namespace="AWS/ApplicationELB", metric_name="TargetResponseTime", extended_statistic="p99",
                period=60, dimensions=dimensions, threshold=limits.p99_latency / 1000, **common))
        return alarms

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
