"""NEXUS_AWS_IAM_CREDENTIALS_EXPOSURE: IAM policy does not allow credentials exposure.

Actions that return secrets or temporary credentials (iam:CreateAccessKey, sts:AssumeRole on *, ...).
ecr:GetAuthorizationToken is left out, as in checkov: it only grants registry pulls scoped by other policies.
The same cloudsplaining analysis as checkov's CKV_AWS_287, which runs only on HCL: for terraform_json it never reads
the policy (Nexus constructs emit JSON strings and `${jsonencode(...)}` expressions). Policies that cannot be
read are not reported.
"""
from _nexus_support import IamPolicyCheck

_EXCLUDED = {"ecr:getauthorizationtoken"}


class AwsIamCredentialsExposure(IamPolicyCheck):
    def __init__(self) -> None:
        super().__init__(name='IAM policy does not allow credentials exposure', id="NEXUS_AWS_IAM_CREDENTIALS_EXPOSURE")

    def violations(self, policy) -> list:
        return [action for action in policy.credentials_exposure if action.lower() not in _EXCLUDED]


check = AwsIamCredentialsExposure()
