"""Options several commands share, defined once so their help reads the same everywhere."""
from __future__ import annotations

import click

ALLOW_UNSAFE_OVERRIDES = click.option(
    "--allow-unsafe-overrides", "allow_unsafe_overrides", multiple=True, metavar="ADDRESS.KEY",
    help="Accept this override although it is more than an attribute (provisioner, connection, count, for_each, "
         "depends_on, provider, lifecycle, dynamic, a module's source or version), e.g. "
         "aws_s3_bucket.assets.lifecycle; repeat for each. Recorded in nexus.json, the run and the check report.")
