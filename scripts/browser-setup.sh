#!/usr/bin/env bash
# Installs what the browser tests need and prints the Chromium to use:
#   - Debian's Chromium (apt-get install chromium), when no chromium is on
#     the PATH; browser tools that download their own browser are not used;
#   - axe-core and the other pinned front-end packages of
#     web/frontend/package-lock.json (npm ci), when they are missing.
# make test runs it, so that the browser tests never skip.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
if ! command -v chromium >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >&2
fi
if [ ! -f "$root/web/frontend/node_modules/axe-core/axe.min.js" ]; then
  echo "installing the pinned front-end packages (axe-core) with npm ci" >&2
  (cd "$root/web/frontend" && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi
command -v chromium
