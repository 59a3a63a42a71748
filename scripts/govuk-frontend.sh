#!/usr/bin/env bash
# Refreshes the GOV.UK Frontend assets that the pages embed (web/static):
# installs the pinned packages of web/frontend/package-lock.json with npm ci,
# compiles web/frontend/candour.scss with sass, and copies GOV.UK Frontend's
# JavaScript and licence beside it. The results are committed, so that
# `go run ./cmd/candour dev` needs no npm; run this after changing the
# pinned version or the stylesheet, and commit what changed.
set -euo pipefail
cd "$(dirname "$0")/../web/frontend"
npm ci --no-audit --no-fund --ignore-scripts >&2
out=../static
govuk=node_modules/govuk-frontend
npx --no-install sass --load-path=node_modules --style=compressed --no-source-map candour.scss "$out/candour.css"
cp "$govuk/dist/govuk/govuk-frontend.min.js" "$out/govuk-frontend.min.js"
cp LICENCE-govuk-frontend.txt "$out/LICENCE-govuk-frontend.txt"
version=$(node -p "require('./$govuk/package.json').version")
echo "GOV.UK Frontend $version compiled into web/static" >&2
