#!/usr/bin/env bash
# Make the virtual environment the project installs into: Python >= 3.11 with venv.
# On Debian/Ubuntu it installs python3-venv with apt when the venv module is missing.
set -euo pipefail
venv="${1:-.venv}"
python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 || {
    echo "make install: ERROR: $python not found; install Python 3.11 or newer (apt-get install python3)" >&2
    exit 1
}
"$python" - <<'PY' || { echo "make install: ERROR: Python 3.11 or newer is required" >&2; exit 1; }
import sys
sys.exit(0 if sys.version_info >= (3, 11) else 1)
PY
if [[ -x "$venv/bin/python" ]]; then
    exit 0
fi
if ! "$python" -m venv --help >/dev/null 2>&1 || ! "$python" -c "import ensurepip" >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        ver=$("$python" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')
        echo "make install: installing python${ver}-venv with apt-get"
        sudo=""; [[ $EUID -ne 0 ]] && sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "python${ver}-venv" >/dev/null
    else
        echo "make install: ERROR: the Python venv module is missing; install it (e.g. python3-venv)" >&2
        exit 1
    fi
fi
echo "make install: creating $venv"
"$python" -m venv "$venv"
