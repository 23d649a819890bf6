# Tools that `nexus visualize` is checked with (and that users may use to render its output):
#   /usr/bin/chromium, /usr/bin/dot   Debian packages, installed when missing (headless browser, Graphviz)
#   .tools/mermaid/                  @mermaid-js/mermaid-cli (mmdc), run with the machine's Chromium: the
#                                    puppeteer download is skipped, never a browser build of its own
# Python playwright is pinned in the test extra; it drives /usr/bin/chromium (never `playwright install`).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" fonts-dejavu-core >/dev/null
fi

version=11.12.0
prefix=.tools/mermaid
stamp=$prefix/.nexus-mermaid-cli-$version
if [ ! -f "$stamp" ]; then
  echo "setup: installing @mermaid-js/mermaid-cli $version into $prefix (uses /usr/bin/chromium)"
  mkdir -p "$prefix"
  PUPPETEER_SKIP_DOWNLOAD=1 npm install --prefix "$prefix" --no-audit --no-fund --silent \
    "@mermaid-js/mermaid-cli@$version"
  touch "$stamp"
fi
cat > "$prefix/puppeteer-config.json" <<'JSON'
{"executablePath": "/usr/bin/chromium", "args": ["--no-sandbox", "--headless", "--disable-gpu"]}
JSON
