"""NEXUS_AWS_IAM_PRIVILEGE_ESCALATION: IAM policy does not allow privilege escalation.

Actions such as iam:PassRole with lambda:CreateFunction or iam:AttachUserPolicy let the holder grant
themselves more than the policy says.
The same cloudsplaining analysis as checkov's CKV_AWS_286, which runs only on HCL: for terraform_json it never reads
the policy (Nexus constructs emit JSON strings and `${jsonencode(...)}` expressions). Policies that cannot be
read are not reported.
"""
from _nexus_support import IamPolicyCheck


class AwsIamPrivilegeEscalation(IamPolicyCheck):
    def __init__(self) -> None:
        super().__init__(name='IAM policy does not allow privilege escalation', id="NEXUS_AWS_IAM_PRIVILEGE_ESCALATION")

    def violations(self, policy) -> list:
        return policy.allows_privilege_escalation


check = AwsIamPrivilegeEscalation()
