"""Nexus: describe infrastructure once, get compliant Terraform for AWS, GCP, Azure and edge sites."""

__version__ = "0.1.0"
