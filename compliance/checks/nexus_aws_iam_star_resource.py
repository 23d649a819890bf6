"""NEXUS_AWS_IAM_STAR_RESOURCE: IAM policy does not allow "*" as the resource of restrictable actions.

Actions that support resource-level permissions, granted on "*".
The same cloudsplaining analysis as checkov's CKV_AWS_355, which runs only on HCL: for terraform_json it never reads
the policy (Nexus constructs emit JSON strings and `${jsonencode(...)}` expressions). Policies that cannot be
read are not reported.
"""
from _nexus_support import IamPolicyCheck


class AwsIamStarResource(IamPolicyCheck):
    def __init__(self) -> None:
        super().__init__(name='IAM policy does not allow "*" as the resource of restrictable actions',
                         id="NEXUS_AWS_IAM_STAR_RESOURCE")

    def violations(self, policy) -> list:
        return policy.all_allowed_unrestricted_actions


check = AwsIamStarResource()
