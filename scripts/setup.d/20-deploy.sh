# Deploy needs terraform (the image or the user provides it) and, for the run-history tests against a real
# PostgreSQL server, PostgreSQL's server binaries (initdb, postgres, pg_ctl). moto, boto3, SQLAlchemy and
# psycopg come with the Python dependencies. NEXUS_PG_BIN points the tests at another PostgreSQL install.
set -euo pipefail
pg_bin=${NEXUS_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ -x "$pg_bin/initdb" ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "setup: PostgreSQL server binaries are missing (install the 'postgresql' package for the run-history tests)" >&2
  exit 0
fi
echo "setup: installing PostgreSQL (server binaries for the run-history tests)"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
