"""NEXUS_AWS_IAM_PERMISSIONS_MANAGEMENT: IAM policy does not allow permissions management or resource
exposure without constraints.

Actions that change who may access what (iam:Put*Policy, s3:PutBucketPolicy, kms:CreateGrant, ...) on "*".
The same cloudsplaining analysis as checkov's CKV_AWS_289, which runs only on HCL: for terraform_json it never reads
the policy (Nexus constructs emit JSON strings and `${jsonencode(...)}` expressions). Policies that cannot be
read are not reported.
"""
from _nexus_support import IamPolicyCheck


class AwsIamPermissionsManagement(IamPolicyCheck):
    def __init__(self) -> None:
        super().__init__(name=('IAM policy does not allow permissions management or resource exposure'
                               ' without constraints'),
                         id="NEXUS_AWS_IAM_PERMISSIONS_MANAGEMENT")

    def violations(self, policy) -> list:
        return policy.permissions_management_without_constraints


check = AwsIamPermissionsManagement()
