"""NEXUS_AZURE_DATA_RESIDENCY: Azure resources with a literal location stay in the allowed locations.

The allowed locations come from the scan context (`allowed_regions.azure`); without them nothing is reported.
Values computed from other resources (`${azurerm_resource_group.rg.location}`) are not judged.
"""
from _nexus_support import ResidencyCheck


class AzureDataResidency(ResidencyCheck):
    cloud = "azure"
    location_attributes = ("location",)

    def __init__(self) -> None:
        super().__init__(name="Azure resource location is one of the spec's allowed locations",
                         id="NEXUS_AZURE_DATA_RESIDENCY", supported_resources=("azurerm_*",))


check = AzureDataResidency()
