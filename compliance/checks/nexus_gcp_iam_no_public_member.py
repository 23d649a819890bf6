"""NEXUS_GCP_IAM_NO_PUBLIC_MEMBER: no IAM grant on a GCP resource names allUsers or allAuthenticatedUsers.

checkov covers only some `*_iam_binding`/`*_iam_member` types (not Cloud Run v2, Functions v2 members, Pub/Sub
subscriptions or Secret Manager). A deliberately public service (a web front end) fails here too: record why in
a suppression.
"""
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from _nexus_support import as_list, attribute

PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}


class GcpIamNoPublicMember(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(name="GCP IAM grant is not given to allUsers or allAuthenticatedUsers",
                         id="NEXUS_GCP_IAM_NO_PUBLIC_MEMBER", categories=(CheckCategories.IAM,),
                         supported_resources=("google_*_iam_member", "google_*_iam_binding"))

    def scan_resource_conf(self, conf) -> CheckResult:
        members = as_list(attribute(conf, "member")) + as_list(attribute(conf, "members"))
        return CheckResult.FAILED if PUBLIC_MEMBERS & {str(member) for member in members} else CheckResult.PASSED


check = GcpIamNoPublicMember()
