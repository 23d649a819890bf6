"""NEXUS_AWS_IAM_WRITE_CONSTRAINTS: IAM policy does not allow write access without constraints.

Write actions on "*" instead of the resources the workload owns.
The same cloudsplaining analysis as checkov's CKV_AWS_290, which runs only on HCL: for terraform_json it never reads
the policy (Nexus constructs emit JSON strings and `${jsonencode(...)}` expressions). Policies that cannot be
read are not reported.
"""
from _nexus_support import IamPolicyCheck


class AwsIamWriteConstraints(IamPolicyCheck):
    def __init__(self) -> None:
        super().__init__(name='IAM policy does not allow write access without constraints',
                         id="NEXUS_AWS_IAM_WRITE_CONSTRAINTS")

    def violations(self, policy) -> list:
        return policy.write_actions_without_constraints


check = AwsIamWriteConstraints()
