"""function -> Lambda with its own role, X-Ray tracing, encrypted env and logs; optionally fed by a queue."""
from __future__ import annotations

from cdktn import Fn
from cdktn_provider_aws.iam_role import IamRole
from cdktn_provider_aws.iam_role_policy import IamRolePolicy
from cdktn_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktn_provider_aws.lambda_event_source_mapping import LambdaEventSourceMapping
from cdktn_provider_aws.lambda_function import LambdaFunction
from cdktn_provider_aws.lambda_permission import LambdaPermission
from cdktn_provider_aws.sns_topic_subscription import SnsTopicSubscription

from ...errors import SpecError
from ...spec.model import Function
from ...kit.assets import function_archive, sha256_base64
from ..base import ComponentConstruct
from .provider import assume_role_policy, log_group, managed_policy, stack_key
from .secrets import secret_arns

RUNTIME = {"python3.12": "python3.12", "python3.11": "python3.11", "nodejs20": "nodejs20.x",
           "nodejs22": "nodejs22.x", "go1.x": "provided.al2023"}


class AwsFunction(ComponentConstruct[Function]):
    def build(self) -> None:
        spec = self.component
        function_name = self.physical_name(max_length=64)
        logs = log_group(self, "logs", f"/aws/lambda/{function_name}")
        role = self.add(IamRole, "role", name=self.physical_name("fn", max_length=64),
                        assume_role_policy=assume_role_policy("lambda.amazonaws.com"), tags=self.tags)
        self.add(IamRolePolicyAttachment, "basic_execution", role=role.name,
                 policy_arn=managed_policy(self.ctx, "service-role/AWSLambdaBasicExecutionRole"))
        self.add(IamRolePolicyAttachment, "tracing", role=role.name,
                 policy_arn=managed_policy(self.ctx, "AWSXRayDaemonWriteAccess"))
        where = self.ctx.loaded.source.problem(("components", self.name, "source"), "")
        archive = function_archive(self.ctx.loaded.base_dir, spec.source, spec.runtime, where)
        code = self.ctx.add_asset(f"assets/{self.name}.zip", archive)
        key = stack_key(self.ctx).arn
        variables = {**spec.environment, **self._secret_references(role, key)}
        function = self.add(
            LambdaFunction, None, function_name=function_name, role=role.arn, runtime=RUNTIME[spec.runtime],
            handler=spec.handler, filename=code, source_code_hash=sha256_base64(archive),
            memory_size=spec.memory, timeout=spec.timeout, tracing_config={"mode": "Active"},
            architectures=["arm64"] if spec.architecture == "arm64" else None,
            # The key encrypts environment variables; set without any, the provider reports drift forever.
            kms_key_arn=key if variables else None,
            environment={"variables": variables} if variables else None,
            depends_on=[logs], tags=self.tags)
        if spec.trigger:
            self._subscribe(function, role, self.ctx.imported(spec.trigger), key)
        self.export(arn=lambda: function.arn, name=lambda: function.function_name,
                    metric_dimensions=lambda: {"FunctionName": function.function_name})

    def _secret_references(self, role: IamRole, key: str) -> dict:
        """Each secret arrives as `<NAME>_SECRET_ARN`, the ARN the code fetches the value by (never the value);
        the function's role may read those secrets and nothing else."""
        names = self.component.secrets
        if not names:
            return {}
        variables = {f"{name.upper()}_SECRET_ARN": name for name in names}
        taken = sorted(set(variables) & set(self.component.environment))
        if taken:
            raise SpecError([self.ctx.loaded.source.problem(
                ("components", self.name, "environment", taken[0]),
                f"{taken[0]} is where secret '{variables[taken[0]]}' arrives (its ARN); rename the variable")])
        arns = secret_arns(self.ctx, self.name, names)
        self.add(IamRolePolicy, "read_secrets", role=role.id, name="read-secrets",
                 policy=Fn.jsonencode({"Version": "2012-10-17", "Statement": [
                     {"Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": arns},
                     {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}]}))
        return dict(zip(variables, arns))

    def _subscribe(self, function: LambdaFunction, role: IamRole, source: dict, key: str) -> None:
        if source["kind"] == "queue":
            self.add(IamRolePolicy, "consume", role=role.id, name="consume-queue",
                     policy=Fn.jsonencode({"Version": "2012-10-17", "Statement": [
                         {"Effect": "Allow", "Resource": source["arn"], "Action": [
                             "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]},
                         {"Effect": "Allow", "Action": "kms:Decrypt", "Resource": key}]}))
            self.add(LambdaEventSourceMapping, "trigger", event_source_arn=source["arn"],
                     function_name=function.arn, batch_size=10)
            return
        self.add(LambdaPermission, "allow_topic", action="lambda:InvokeFunction", function_name=function.function_name,
                 principal="sns.amazonaws.com", source_arn=source["arn"])
        self.add(SnsTopicSubscription, "trigger", topic_arn=source["arn"], protocol="lambda",
                 endpoint=function.arn)
