#!/usr/bin/env bash
# Installs what the tests need from Debian and npm when it is missing, and
# prints the Chromium to use. make test runs it, so that no test skips:
#   - chromium            the browser tests (Debian's; tools that download
#                         their own browser are not used)
#   - systemd-analyze     the systemd unit's checks (package systemd)
#   - pg_dump, pg_restore the backup check of the smoke test
#                         (package postgresql-client)
#   - age                 the subject access test opens the answer with
#                         the standard age tool
#   - axe-core and the other pinned front-end packages of
#     web/frontend/package-lock.json (npm ci)
# apt-get runs as root, or through sudo.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v pg_dump >/dev/null 2>&1 || missing+=(postgresql-client)
command -v age >/dev/null 2>&1 || missing+=(age)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing Debian's ${missing[*]} for the tests" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
fi
if [ ! -f "$root/web/frontend/node_modules/axe-core/axe.min.js" ]; then
  echo "installing the pinned front-end packages (axe-core) with npm ci" >&2
  (cd "$root/web/frontend" && npm ci --no-audit --no-fund --ignore-scripts >&2)
fi
command -v chromium
