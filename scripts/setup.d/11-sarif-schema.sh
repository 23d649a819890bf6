# The official SARIF 2.1.0 JSON Schema, for the tests that validate `nexus check --output sarif`. It ships
# inside Microsoft's @microsoft/jest-sarif npm package (lib/schemas/sarif-2.1.0-rtm.5.json).
set -euo pipefail
target=.tools/sarif/sarif-2.1.0.json
if [ -f "$target" ]; then exit 0; fi
echo "setup: fetching the SARIF 2.1.0 schema (npm @microsoft/jest-sarif) into .tools/sarif"
mkdir -p .tools/sarif
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null)
tar -xzf "$scratch"/microsoft-jest-sarif-1.0.0-beta.0.tgz -C "$scratch" package/lib/schemas/sarif-2.1.0-rtm.5.json
mv "$scratch"/package/lib/schemas/sarif-2.1.0-rtm.5.json "$target"
