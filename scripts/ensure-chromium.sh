#!/usr/bin/env bash
# Headless Chromium (Debian's package) and CJK fonts, for screenshots and browser tests.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "noto.*cjk" || need+=(fonts-noto-cjk)
[[ ${#need[@]} -eq 0 ]] && exit 0
command -v apt-get >/dev/null 2>&1 || { echo "ensure-chromium: install ${need[*]} (no apt-get here)" >&2; exit 1; }
sudo=""; [[ $EUID -ne 0 ]] && sudo="sudo"
echo "ensure-chromium: installing ${need[*]} with apt-get"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
