"""The moto server of the sandbox, with the gaps of moto 5.2.5 filled that Nexus' AWS stacks run into.

1. Application Auto Scaling has no ListTagsForResource/TagResource/UntagResource: the AWS provider tags every
   scalable target and reads the tags back, gets HTTP 500 and retries for minutes. Tags given at
   RegisterScalableTarget or TagResource are kept per target ARN and answered as AWS does.
2. PutBucketLogging fails (HTTP 500, AttributeError) when the target bucket's policy has a statement with
   `"Principal": "*"` — valid IAM that our deny-plain-HTTP statement uses. The policy is read as AWS reads it:
   `"*"` is the same principal as `{"AWS": "*"}`.
3. ElastiCache has no user groups (CreateUserGroup is "not implemented": the provider retries for ever); our
   cache construct signs clients in with IAM through a user group. Groups are kept, described (status
   `active`), modified, tagged and deleted with AWS's shapes and its UserGroupNotFound fault.
4. A replication group's member clusters do not exist as cache clusters (the provider reads them and fails
   with CacheClusterNotFound), and a deleted group stays `deleting` for ever. Members are created with the
   group and removed with it; DeleteCacheSubnetGroup, "not implemented", deletes the group.
5. AWS managed IAM policies (e.g. AmazonRDSEnhancedMonitoringRole) exist only when moto is told to load them.
6. An SQS queue's RedrivePolicy is answered as `json.dumps` spaces it; AWS answers compact JSON, which is what
   Terraform's `jsonencode` writes, and the provider compares the two byte for byte: every plan after a deploy
   showed the queue changing ("whitespace changes"). It is answered compact, as AWS does.
7. Every RDS instance of a server has the same DbiResourceId (db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U). The provider reads
   an instance by that id (a `dbi-resource-id` filter): with a second instance in the sandbox it gets two, takes
   it for none, and fails the apply with "reading RDS DB Instance (...): couldn't find resource" (two
   environments of one spec, each with a database). Each instance gets its own id, as in AWS.
8. CreateDBInstance drops the Performance Insights settings (ModifyDBInstance keeps them), and DescribeDBParameters
   answers without each parameter's Source and ignores the Source filter; the provider keeps only `user`
   parameters. So every plan after a deploy turned Performance Insights on again and added the parameter group's
   parameters again, and `destroy --force-protected`, whose plan may change nothing but the protection, refused.
   Both are kept and answered as AWS does.
8. DescribeSecurityGroupRules leaves out the description of a rule whose source is a security group, and names
   that group with moto's account id as its owner: the sandbox's provider does not ask for its account
   (skip_requesting_account_id), so it reads every same-account reference as cross-account
   (`123456789012/sg-...`). Right after a deploy every such rule looked changed outside Terraform (`nexus drift`).
   The description is answered, and the owner only for another account's group.
9. Lambda runs a function's code in Docker, which the sandbox does not have: moto logs "error running docker" and
   goes on, so a secret's rotation (RotateSecret calls the secret's rotation function four times) left a pending
   version without a value as the current one. A Python function runs as a child process of the server instead:
   its zip unpacked in a temporary folder, its handler called with the event, its environment plus the sandbox's
   endpoint and credentials (no proxy variables), stopped after the function's timeout. Its output goes to the
   function's log group as moto's does. Other runtimes stay as moto answers them.
10. RotateSecret without RotationLambdaARN (a rotation asked for by hand, as `aws secretsmanager rotate-secret`
   does) made moto forget the secret's rotation function and just relabel an empty version as current; AWS keeps
   the function and calls it. The secret's function is kept and called.
11. A cross-region read replica (CreateDBInstanceReadReplica with the source's ARN) took its subnet group from
   the source's region (moto sets the replica's region after its other settings): the recovery region's subnet
   group was "not found". The replica's region is set first, as AWS creates it there.
12. CancelRotateSecret of a secret rotated without a function of its own (managed rotation: an RDS master
   secret) was refused as if rotation were being turned on, so a plan that replaced or removed such a rotation
   could not apply. AWS turns the rotation off; so does the sandbox.
Everything else is moto as released. `python -m cdktf_app.sandbox.moto_gaps -H 127.0.0.1 -p PORT`.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from types import SimpleNamespace

# Runs a handler in the function's unpacked folder: module and function name as arguments, the event on stdin,
# the result as the last line of stdout.
HANDLER_RUNNER = ("import importlib, json, sys\n"
                  "handler = getattr(importlib.import_module(sys.argv[1]), sys.argv[2])\n"
                  "print(json.dumps(handler(json.loads(sys.stdin.read()), None)))\n")
SANDBOX_CREDENTIAL = "testing"


def _scalable_target_tags() -> None:
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse

    tags: dict[str, dict[str, str]] = {}
    register = ApplicationAutoScalingResponse.register_scalable_target

    def register_scalable_target(self) -> str:
        answer = register(self)
        tags.setdefault(json.loads(answer)["ScalableTargetARN"], {}).update(self._get_param("Tags") or {})
        return answer

    def list_tags_for_resource(self) -> str:
        return json.dumps({"Tags": tags.get(self._get_param("ResourceARN"), {})})

    def tag_resource(self) -> str:
        tags.setdefault(self._get_param("ResourceARN"), {}).update(self._get_param("Tags") or {})
        return "{}"

    def untag_resource(self) -> str:
        for key in self._get_param("TagKeys") or []:
            tags.get(self._get_param("ResourceARN"), {}).pop(key, None)
        return "{}"

    ApplicationAutoScalingResponse.register_scalable_target = register_scalable_target
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource


def _logging_reads_string_principals() -> None:
    from moto.s3.models import FakeBucket

    check = FakeBucket._log_permissions_enabled_policy

    def tolerant(target_bucket, target_prefix):
        if not target_bucket.policy:
            return check(target_bucket, target_prefix)
        policy = json.loads(target_bucket.policy.decode())
        for statement in policy.get("Statement", []):
            if isinstance(statement.get("Principal"), str):
                statement["Principal"] = {"AWS": statement["Principal"]}
        view = SimpleNamespace(policy=json.dumps(policy).encode(), partition=target_bucket.partition,
                               name=target_bucket.name)
        return check(view, target_prefix)

    FakeBucket._log_permissions_enabled_policy = staticmethod(tolerant)


def _elasticache_user_groups() -> None:
    from moto.core.responses import ActionResult
    from moto.elasticache.exceptions import ElastiCacheException
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    class UserGroupNotFound(ElastiCacheException):
        code = "UserGroupNotFound"

    class UserGroupAlreadyExists(ElastiCacheException):
        code = "UserGroupAlreadyExists"

    groups: dict[tuple[str, str], dict[str, dict]] = {}

    def region_groups(response) -> dict[str, dict]:
        return groups.setdefault((response.current_account, response.region), {})

    def found(response, group_id: str) -> dict:
        if group_id not in region_groups(response):
            raise UserGroupNotFound(f"User group {group_id} not found.")
        return region_groups(response)[group_id]

    def create_user_group(self) -> ActionResult:
        group_id = self._get_param("UserGroupId")
        if group_id in region_groups(self):
            raise UserGroupAlreadyExists(f"User group {group_id} already exists.")
        arn = f"arn:aws:elasticache:{self.region}:{self.current_account}:usergroup:{group_id}"
        group = {"UserGroupId": group_id, "Status": "active", "Engine": self._get_param("Engine") or "redis",
                 "UserIds": list(self._get_param("UserIds") or []), "MinimumEngineVersion": "6.0",
                 "ReplicationGroups": [], "ServerlessCaches": [], "ARN": arn}
        region_groups(self)[group_id] = group
        if self._get_param("Tags"):
            self.elasticache_backend.add_tags_to_resource(arn, self._get_param("Tags"))
        return ActionResult(group)

    def describe_user_groups(self) -> ActionResult:
        group_id = self._get_param("UserGroupId")
        chosen = [found(self, group_id)] if group_id else list(region_groups(self).values())
        return ActionResult({"UserGroups": chosen})

    def modify_user_group(self) -> ActionResult:
        group = found(self, self._get_param("UserGroupId"))
        removed = set(self._get_param("UserIdsToRemove") or [])
        group["UserIds"] = [u for u in group["UserIds"] if u not in removed] + list(
            self._get_param("UserIdsToAdd") or [])
        return ActionResult(group)

    def delete_user_group(self) -> ActionResult:
        group = region_groups(self).pop(self._get_param("UserGroupId"), None)
        if group is None:
            raise UserGroupNotFound(f"User group {self._get_param('UserGroupId')} not found.")
        return ActionResult({**group, "Status": "deleting"})

    list_tags = ElastiCacheBackend.list_tags_for_resource

    def list_tags_for_resource(self, arn: str):
        if ":usergroup:" in arn:
            return self.tagging_service.list_tags_for_resource(arn)
        return list_tags(self, arn)

    ElastiCacheResponse.create_user_group = create_user_group
    ElastiCacheResponse.describe_user_groups = describe_user_groups
    ElastiCacheResponse.modify_user_group = modify_user_group
    ElastiCacheResponse.delete_user_group = delete_user_group
    ElastiCacheBackend.list_tags_for_resource = list_tags_for_resource


def _replication_group_members() -> None:
    import inspect

    from moto.core.responses import ActionResult, EmptyResult
    from moto.elasticache.exceptions import CacheSubnetGroupNotFound
    from moto.elasticache.models import ElastiCacheBackend
    from moto.elasticache.responses import ElastiCacheResponse

    create_group, delete_group = ElastiCacheBackend.create_replication_group, \
        ElastiCacheBackend.delete_replication_group
    cluster_parameters = list(inspect.signature(ElastiCacheBackend.create_cache_cluster).parameters)[1:]

    def create_replication_group(self, *args, **kwargs):
        group = create_group(self, *args, **kwargs)
        for member in group.member_clusters:
            if member not in self.cache_clusters:
                given = {name: None for name in cluster_parameters}
                given.update(cache_cluster_id=member, replication_group_id=group.replication_group_id,
                             num_cache_nodes=1, cache_node_type=group.cache_node_type, engine=group.engine,
                             engine_version=group.engine_version, tags=[], security_group_ids=[],
                             cache_security_group_names=[], preferred_availability_zones=[], snapshot_arns=[],
                             preferred_outpost_arns=[], log_delivery_configurations=[],
                             cache_node_ids_to_remove=[], cache_node_ids_to_reboot=[])
                self.create_cache_cluster(**given)
        return group

    def delete_replication_group(self, replication_group_id, retain_primary_cluster):
        members = list(self.replication_groups[replication_group_id].member_clusters) \
            if replication_group_id in self.replication_groups else []
        group = delete_group(self, replication_group_id, retain_primary_cluster)
        self.replication_groups.pop(replication_group_id, None)
        for member in members:
            self.cache_clusters.pop(member, None)
        return group

    def delete_cache_subnet_group(self) -> ActionResult:
        name = self._get_param("CacheSubnetGroupName")
        if self.elasticache_backend.cache_subnet_groups.pop(name, None) is None:
            raise CacheSubnetGroupNotFound(name)
        return EmptyResult()

    ElastiCacheBackend.create_replication_group = create_replication_group
    ElastiCacheBackend.delete_replication_group = delete_replication_group
    ElastiCacheResponse.delete_cache_subnet_group = delete_cache_subnet_group


def _compact_redrive_policy() -> None:
    from moto.sqs.models import Queue

    attributes = Queue.attributes

    def compact(self) -> dict:
        answer = attributes.fget(self)
        if self.redrive_policy:
            answer["RedrivePolicy"] = json.dumps(self.redrive_policy, separators=(",", ":"))
        return answer

    Queue.attributes = property(compact)


def _unique_dbi_resource_ids() -> None:
    import string

    from moto.moto_api._internal import mock_random as random
    from moto.rds.models import DBInstance

    create = DBInstance.__init__

    def create_with_its_own_id(self, *args, **kwargs) -> None:
        create(self, *args, **kwargs)
        self.dbi_resource_id = "db-" + "".join(
            random.choice(string.ascii_uppercase + string.digits) for _ in range(26))

    DBInstance.__init__ = create_with_its_own_id


def _performance_insights_and_parameter_sources() -> None:
    from moto.core.responses import ActionResult
    from moto.rds.exceptions import DBParameterGroupNotFoundError
    from moto.rds.models import DBInstance, DBParameterGroup
    from moto.rds.responses import RDSResponse

    create, modify = DBInstance.__init__, DBInstance.update

    def keep_performance_insights(instance, given: dict) -> None:
        """EnablePerformanceInsights in the request is PerformanceInsightsEnabled in the answer, with a key (the
        storage key unless given) and a retention (7 days unless given) while it is on."""
        if given.get("enable_performance_insights") is not None:
            instance.performance_insights_enabled = bool(given["enable_performance_insights"])
        for setting, default in (("performance_insights_kms_key_id", instance.kms_key_id),
                                 ("performance_insights_retention_period", 7)):
            value = given.get(setting) or getattr(instance, setting, None) or default
            setattr(instance, setting, value if instance.performance_insights_enabled else None)

    def create_with_performance_insights(self, *args, **kwargs) -> None:
        create(self, *args, **kwargs)
        self.performance_insights_enabled = False
        keep_performance_insights(self, kwargs)

    def modify_with_performance_insights(self, **kwargs) -> None:
        modify(self, **kwargs)
        keep_performance_insights(self, kwargs)

    update = DBParameterGroup.update_parameters

    def update_as_user(self, new_parameters) -> None:
        update(self, [{**parameter, "Source": "user"} for parameter in new_parameters])

    def describe_db_parameters(self) -> ActionResult:
        name = self.params.get("DBParameterGroupName")
        groups = self.backend.describe_db_parameter_groups({"db_parameter_group_name": name})
        if not groups:
            raise DBParameterGroupNotFoundError(name)
        source = self.params.get("Source")
        return ActionResult({"Parameters": [parameter for parameter in groups[0].parameters.values()
                                            if source is None or parameter.get("Source") == source]})

    DBInstance.__init__ = create_with_performance_insights
    DBInstance.update = modify_with_performance_insights
    DBParameterGroup.update_parameters = update_as_user
    RDSResponse.describe_db_parameters = describe_db_parameters


def _group_rule_reads() -> None:
    from moto.ec2.models.security_groups import SecurityGroupRule

    def description(self) -> str | None:
        return self.ip_range.get("Description") or self.source_group.get("Description")

    def referenced_group_info(self) -> dict[str, str] | None:
        if not self.source_group:
            return None
        own = self.source_group.get("UserId") in (None, self.ec2_backend.account_id)
        return {key: value for key, value in self.source_group.items()
                if key in ("GroupId", "VpcId") or (key == "UserId" and not own)}

    SecurityGroupRule.description = property(description)
    SecurityGroupRule.referenced_group_info = property(referenced_group_info)


def _python_functions_run_without_docker(endpoint: str) -> None:
    from moto.awslambda.models import LambdaFunction

    in_docker = LambdaFunction._invoke_lambda

    def invoke_lambda(self, event=None):
        if not (self.run_time or "").startswith("python"):
            return in_docker(self, event)
        self.logs_backend.ensure_log_group(self.logs_group_name)
        output, failed = _run_python_handler(self, event or {}, endpoint)
        self.save_logs(output)
        lines = output.splitlines()
        return (lines[-1] if lines else ""), failed, os.linesep.join(lines[:-1])

    LambdaFunction._invoke_lambda = invoke_lambda


def _run_python_handler(function, event, endpoint: str) -> tuple[str, bool]:
    module, name = function.handler.rsplit(".", 1)
    environment = {**function.environment_vars, "PATH": os.environ.get("PATH", ""), "AWS_ENDPOINT_URL": endpoint,
                   "AWS_ACCESS_KEY_ID": SANDBOX_CREDENTIAL, "AWS_SECRET_ACCESS_KEY": SANDBOX_CREDENTIAL,
                   "AWS_DEFAULT_REGION": function.region, "AWS_REGION": function.region,
                   "AWS_LAMBDA_FUNCTION_NAME": function.function_name}
    with tempfile.TemporaryDirectory(prefix="nexus-lambda-") as folder:
        with zipfile.ZipFile(io.BytesIO(function.code_bytes)) as code:
            code.extractall(folder)
        try:
            done = subprocess.run([sys.executable, "-c", HANDLER_RUNNER, module, name], input=json.dumps(event),
                                  cwd=folder, env=environment, capture_output=True, text=True,
                                  timeout=int(function.timeout))
        except subprocess.TimeoutExpired:
            return f"Task timed out after {function.timeout} seconds", True
    return done.stderr + done.stdout, done.returncode != 0


def _rotation_keeps_its_function() -> None:
    from moto.secretsmanager.models import SecretsManagerBackend

    rotate = SecretsManagerBackend.rotate_secret

    def rotate_secret(self, secret_id, client_request_token=None, rotation_lambda_arn=None, rotation_rules=None,
                      rotate_immediately=True):
        if rotation_lambda_arn is None and self._is_valid_identifier(secret_id):
            rotation_lambda_arn = getattr(self.secrets[secret_id], "rotation_lambda_arn", None) or None
        return rotate(self, secret_id, client_request_token, rotation_lambda_arn, rotation_rules, rotate_immediately)

    SecretsManagerBackend.rotate_secret = rotate_secret


def _managed_rotation_cancels() -> None:
    from moto.secretsmanager.models import SecretsManagerBackend

    cancel = SecretsManagerBackend.cancel_rotate_secret

    def cancel_rotate_secret(self, secret_id: str) -> str:
        secret = self.secrets[secret_id] if self._is_valid_identifier(secret_id) else None
        if secret is None or getattr(secret, "rotation_lambda_arn", True) or secret.is_deleted():
            return cancel(self, secret_id)
        secret.rotation_enabled = False
        return secret.to_short_dict()

    SecretsManagerBackend.cancel_rotate_secret = cancel_rotate_secret


def _own_endpoint(argv: list[str]) -> str:
    """The server's own URL, from the arguments moto's main reads too."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    known, _ = parser.parse_known_args(argv)
    return f"http://{known.host}:{known.port}"


def fill_gaps(endpoint: str = "http://127.0.0.1:5000") -> None:
    os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
    _scalable_target_tags()
    _logging_reads_string_principals()
    _elasticache_user_groups()
    _replication_group_members()
    _compact_redrive_policy()
    _group_rule_reads()
    _unique_dbi_resource_ids()
    _performance_insights_and_parameter_sources()
    _python_functions_run_without_docker(endpoint)
    _rotation_keeps_its_function()
    _managed_rotation_cancels()
    _cross_region_read_replicas()


def _cross_region_read_replicas() -> None:
    from moto.rds.models import RDSBackend

    create = RDSBackend.create_db_instance_read_replica

    def create_db_instance_read_replica(self, db_kwargs):
        if self.arn_regex.match(db_kwargs["source_db_instance_identifier"]):
            db_kwargs = {"backend": self, **db_kwargs}  # before db_subnet_group_name, which it resolves
        return create(self, db_kwargs)

    RDSBackend.create_db_instance_read_replica = create_db_instance_read_replica

def main() -> None:
    fill_gaps(_own_endpoint(sys.argv[1:]))
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()
