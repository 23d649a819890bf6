"""The moto server of the sandbox, with two gaps of moto 5.2.5 filled that Nexus' AWS stacks run into.

1. Application Auto Scaling has no ListTagsForResource/TagResource/UntagResource: the AWS provider tags every
   scalable target and reads the tags back, gets HTTP 500 and retries for minutes. Tags given at
   RegisterScalableTarget or TagResource are kept per target ARN and answered as AWS does.
2. PutBucketLogging fails (HTTP 500, AttributeError) when the target bucket's policy has a statement with
   `"Principal": "*"` — valid IAM that our deny-plain-HTTP statement uses. The policy is read as AWS reads it:
   `"*"` is the same principal as `{"AWS": "*"}`.
Everything else is moto as released. `python -m cdktf_app.sandbox.moto_gaps -H 127.0.0.1 -p PORT`.
"""
from __future__ import annotations

import json
from types import SimpleNamespace


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


def fill_gaps() -> None:
    _scalable_target_tags()
    _logging_reads_string_principals()


def main() -> None:
    fill_gaps()
    from moto.server import main as moto_main

    moto_main()


if __name__ == "__main__":
    main()
