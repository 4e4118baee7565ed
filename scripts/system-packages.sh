#!/usr/bin/env bash
# Debian packages the test suite uses as real components. Safe to re-run; a no-op when present.
set -euo pipefail
needed=()
command -v chromium >/dev/null 2>&1 || needed+=(chromium)
command -v java >/dev/null 2>&1 || needed+=(default-jre-headless)
command -v Rscript >/dev/null 2>&1 || needed+=(r-base-core)
[ -d /usr/lib/R/site-library/surveillance ] || needed+=(r-cran-surveillance)
if [ ${#needed[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "amrwatch: these Debian packages are needed for the full test suite: ${needed[*]}" >&2
  echo "          install them with: sudo apt-get install ${needed[*]}" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
