#!/usr/bin/env bash
# Re-vendor the dashboard's browser assets from the npm registry (see src/amrwatch/web/static/vendor/VENDOR.md).
set -euo pipefail
dest="$(cd "$(dirname "$0")/.." && pwd)/src/amrwatch/web/static/vendor"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
cd "$work"
copy() {  # copy <folder> <package@version> <files...>
  local folder=$1 spec=$2; shift 2
  mkdir -p "$folder" && tar xzf "$(npm pack --silent "$spec")" -C "$folder"
  mkdir -p "$dest/$folder"
  for f in "$@"; do cp "$folder/package/$f" "$dest/$folder/"; done
  cp "$folder/package/LICENSE" "$folder/package/package.json" "$dest/$folder/"
}
copy vega vega@6.4.0 build/vega.min.js
copy vega-lite vega-lite@6.4.3 build/vega-lite.min.js
copy vega-embed vega-embed@7.3.0 build/vega-embed.min.js
copy world-atlas world-atlas@2.0.2 countries-50m.json
sha256sum ./*/*.tgz 2>/dev/null || true
