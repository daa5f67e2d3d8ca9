#!/usr/bin/env bash
# Vendor the map pages' front-end libraries into web/static/vendor, so the pages work
# offline (a government intranet reaches no CDN), and the API document's Swagger UI (/docs).
#
# Installs the pinned packages of web/package-lock.json with `npm ci` (only when
# web/node_modules is missing or older than the lock file), then copies the files each
# page needs (js, css and the images the css points at, plus each licence — the
# package.json, which states it, where a package ships no licence file) to
# web/static/vendor/<lib>/... It says what it did and does nothing the second time.
# Where npm is missing on a Debian/Ubuntu machine it installs nodejs and npm with apt-get
# (as root), or prints the command to run.
#
# The service serves web/static at /static, so web/static/vendor/leaflet/leaflet.js is
# /static/vendor/leaflet/leaflet.js (maps.builder's default asset_base is /static/vendor).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEB="$ROOT/web"
MODULES="$WEB/node_modules"
VENDOR="$WEB/static/vendor"

say() { printf 'vendor-web: %s\n' "$*"; }
fail() { printf 'vendor-web: ERROR: %s\n' "$*" >&2; exit 1; }

# What to copy: "<package> <path in the package> <path under vendor/<package>>".
# A directory is copied whole. Paths the css refers to (url(images/...)) keep their place
# relative to the css.
MANIFEST=$(cat <<'EOF'
leaflet             dist/leaflet.js                               leaflet.js
leaflet             dist/leaflet.js.map                           leaflet.js.map
leaflet             dist/leaflet.css                              leaflet.css
leaflet             dist/images                                   images
leaflet             LICENSE                                       LICENSE
leaflet.fullscreen  Control.FullScreen.js                         Control.FullScreen.js
leaflet.fullscreen  Control.FullScreen.css                        Control.FullScreen.css
leaflet.fullscreen  icon-fullscreen.svg                           icon-fullscreen.svg
leaflet.fullscreen  LICENSE.md                                    LICENSE.md
leaflet-measure     dist/leaflet-measure.js                       leaflet-measure.js
leaflet-measure     dist/leaflet-measure.cn.js                    leaflet-measure.cn.js
leaflet-measure     dist/leaflet-measure.css                      leaflet-measure.css
leaflet-measure     dist/assets                                   assets
leaflet-measure     LICENSE                                       LICENSE
leaflet-draw        dist/leaflet.draw.js                          leaflet.draw.js
leaflet-draw        dist/leaflet.draw.css                         leaflet.draw.css
leaflet-draw        dist/images                                   images
leaflet-draw        package.json                                  package.json
leaflet.vectorgrid  dist/Leaflet.VectorGrid.bundled.min.js        Leaflet.VectorGrid.bundled.min.js
leaflet.vectorgrid  package.json                                  package.json
leaflet-search      dist/leaflet-search.min.js                    dist/leaflet-search.min.js
leaflet-search      dist/leaflet-search.min.css                   dist/leaflet-search.min.css
leaflet-search      images                                        images
leaflet-search      license.txt                                   license.txt
swagger-ui-dist     swagger-ui-bundle.js                          swagger-ui-bundle.js
swagger-ui-dist     swagger-ui.css                                swagger-ui.css
swagger-ui-dist     favicon-32x32.png                             favicon-32x32.png
swagger-ui-dist     LICENSE                                       LICENSE
EOF
)

# 1. npm (install it on Debian/Ubuntu when it is missing).
if ! command -v npm >/dev/null 2>&1; then
    if [[ -r /etc/debian_version ]]; then
        if [[ $(id -u) -eq 0 ]]; then
            say "npm is missing: installing nodejs and npm with apt-get"
            DEBIAN_FRONTEND=noninteractive apt-get update -q
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q nodejs npm
        else
            fail "npm is missing; run: sudo apt-get update && sudo apt-get install -y nodejs npm"
        fi
    else
        fail "npm is missing; install Node.js (18 or later) with npm, then run this again"
    fi
fi

# 2. The pinned packages. npm writes node_modules/.package-lock.json on every install:
#    older than the lock file means the lock changed since.
STAMP="$MODULES/.package-lock.json"
if [[ ! -d "$MODULES" || ! -f "$STAMP" || "$WEB/package-lock.json" -nt "$STAMP" ]]; then
    say "installing the pinned packages (npm ci --prefix web)"
    npm ci --prefix "$WEB" --no-audit --no-fund --ignore-scripts
else
    say "web/node_modules is up to date with web/package-lock.json"
fi

# 3. Copy what the pages need; only files that changed are written.
copied=0
unchanged=0
declare -A wanted=()

copy_file() { # src dest
    wanted["$2"]=1
    if [[ -f "$2" ]] && cmp -s "$1" "$2"; then
        unchanged=$((unchanged + 1))
        return
    fi
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2"
    copied=$((copied + 1))
    say "copied ${2#"$ROOT"/}"
}

while read -r pkg src dest; do
    [[ -z "$pkg" ]] && continue
    from="$MODULES/$pkg/$src"
    to="$VENDOR/$pkg/$dest"
    if [[ -d "$from" ]]; then
        while IFS= read -r -d '' f; do
            copy_file "$f" "$to/${f#"$from"/}"
        done < <(find "$from" -type f -print0)
    elif [[ -f "$from" ]]; then
        copy_file "$from" "$to"
    else
        fail "$pkg has no $src (is web/package-lock.json in step with this script?)"
    fi
done <<<"$MANIFEST"

# Files a former manifest put there and this one doesn't: remove them.
removed=0
if [[ -d "$VENDOR" ]]; then
    while IFS= read -r -d '' f; do
        if [[ -z "${wanted[$f]:-}" ]]; then
            rm -f "$f"
            removed=$((removed + 1))
            say "removed stale ${f#"$ROOT"/}"
        fi
    done < <(find "$VENDOR" -type f -print0)
    find "$VENDOR" -mindepth 1 -type d -empty -delete
fi

say "web/static/vendor: ${copied} copied, ${unchanged} unchanged, ${removed} removed"
