#!/usr/bin/env bash
# QGIS's Python bindings and providers (Debian's packages, for the system python3) and
# GDAL's command-line tools, for the tests that connect real GIS clients (tests/clients).
set -euo pipefail
need=()
/usr/bin/python3 -c "import qgis.core" >/dev/null 2>&1 || need+=(python3-qgis)
[[ -e /usr/lib/qgis/plugins/libprovider_wfs.so ]] || need+=(qgis-providers)
command -v ogr2ogr >/dev/null 2>&1 || need+=(gdal-bin)
[[ ${#need[@]} -eq 0 ]] && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "ensure-qgis: install ${need[*]} (no apt-get here)" >&2; exit 1; }
sudo=""; [[ $EUID -ne 0 ]] && sudo="sudo"
echo "ensure-qgis: installing ${need[*]} with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
