"""NEXUS_GCP_DATA_RESIDENCY: GCP resources with a literal location or region stay in the allowed regions.

The allowed regions come from the scan context (`allowed_regions.gcp`); without them nothing is reported.
Locations are compared case-insensitively (Cloud Storage writes `EUROPE-WEST1`); a multi-region such as `EU`
passes only when it is listed itself. Values computed from other resources are not judged.
"""
from _nexus_support import ResidencyCheck


class GcpDataResidency(ResidencyCheck):
    cloud = "gcp"

    def __init__(self) -> None:
        super().__init__(name="GCP resource location is one of the spec's allowed regions",
                         id="NEXUS_GCP_DATA_RESIDENCY", supported_resources=("google_*",))


check = GcpDataResidency()
