# checkov lives in its own venv: its bc-python-hcl2 installs a module named `hcl2`, the same name as the
# python-hcl2 that Nexus uses, and whichever is installed last breaks the other. Nexus calls it as a
# subprocess (cdktf_app/compliance/checkov.py); NEXUS_CHECKOV=/path/to/checkov-python chooses another one.
set -euo pipefail
version=3.3.30
venv=.tools/checkov
stamp=$venv/.nexus-checkov-$version
if [ -f "$stamp" ]; then exit 0; fi
echo "setup: installing checkov $version into $venv (its own venv)"
python=${PYTHON:-python3}
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "checkov==$version"
touch "$stamp"
