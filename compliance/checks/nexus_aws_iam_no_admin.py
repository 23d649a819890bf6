"""NEXUS_AWS_IAM_NO_ADMIN: IAM policy does not grant "*" actions on "*" resources (full administrator).

checkov's CKV_AWS_62 reads only JSON-string policies and silently passes `${jsonencode(...)}` ones, which is
how most Nexus constructs write policies; this check reads both. Policies that cannot be read are not reported.
"""
from _nexus_support import IamPolicyCheck, as_list, statements


class AwsIamNoAdmin(IamPolicyCheck):
    def __init__(self) -> None:
        super().__init__(name='IAM policy does not grant "*" actions on "*" resources', id="NEXUS_AWS_IAM_NO_ADMIN")

    def violations_in(self, document: dict) -> list:
        return [statement for statement in statements(document)
                if statement.get("Effect", "Allow") == "Allow" and "*" in as_list(statement.get("Action", []))
                and "*" in as_list(statement.get("Resource", []))]


check = AwsIamNoAdmin()
