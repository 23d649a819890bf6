# The provider schemas of the installed bindings (aws, google, azurerm, kubernetes, vault, random, time), derived
# once from their jsii assemblies into ~/.cache/nexus/provider-schemas (XDG_CACHE_HOME), so that `nexus synth`
# checks every stack against them without deriving one first. Quick when they are there.
set -euo pipefail
.venv/bin/python -m cdktf_app.provider_schema >/dev/null
