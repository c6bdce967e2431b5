#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (Playwright cannot download browsers here).
set -euo pipefail
chromium="${CHROMIUM:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -q && apt-get install -y -q chromium
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -q && sudo apt-get install -y -q chromium
else
  echo "Chromium is missing: install Debian's 'chromium' package, or set CHROMIUM=/path" >&2
  exit 1
fi
