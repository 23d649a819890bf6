"""NEXUS_AWS_IAM_DATA_EXFILTRATION: IAM policy does not allow data exfiltration.

Read actions on all resources of data services (s3:GetObject, secretsmanager:GetSecretValue,
ssm:GetParameter, ...) without a resource constraint.
The same cloudsplaining analysis as checkov's CKV_AWS_288, which runs only on HCL: for terraform_json it never reads
the policy (Nexus constructs emit JSON strings and `${jsonencode(...)}` expressions). Policies that cannot be
read are not reported.
"""
from _nexus_support import IamPolicyCheck


class AwsIamDataExfiltration(IamPolicyCheck):
    def __init__(self) -> None:
        super().__init__(name='IAM policy does not allow data exfiltration', id="NEXUS_AWS_IAM_DATA_EXFILTRATION")

    def violations(self, policy) -> list:
        return policy.allows_data_exfiltration_actions


check = AwsIamDataExfiltration()
