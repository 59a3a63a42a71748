#!/usr/bin/env bash
# Runs govulncheck over the module against the Go vulnerability database,
# built offline from the module proxy's copy of golang.org/x/vulndb (its
# OSV files, indexed by the database's own indexdb command), so that it
# needs nothing but the module proxy. Exits non-zero on a vulnerability the
# code can reach.
#
# The database is built once per vulndb version and cached outside the
# repository: ${CANDOUR_CACHE:-$HOME/.cache/candour}/vulndb-$version.
# Raise vulndb_version to take newer reports (go list -m -versions does not
# list pseudo-versions; take the newest from the module proxy's @latest).
set -euo pipefail
{
vulndb_version=v0.0.0-20261105234957-e22db6528018
govulncheck_version=v1.9.0
cd "$(dirname "$0")/.."
db="${CANDOUR_CACHE:-$HOME/.cache/candour}/vulndb-$vulndb_version"
if [ ! -f "$db/index/db.json" ]; then
  mkdir -p "$(dirname "$db")"
  work=$(mktemp -d "$db.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  src=$(go mod download -json "golang.org/x/vulndb@$vulndb_version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  echo "building the vulnerability database from golang.org/x/vulndb@$vulndb_version (first time only)" >&2
  go run "golang.org/x/vulndb/cmd/indexdb@$vulndb_version" -vulns "$src/data/osv" -out "$work/db"
  rm -rf "$db"
  mv "$work/db" "$db"
fi
go run "golang.org/x/vuln/cmd/govulncheck@$govulncheck_version" -db "file://$db" ./...
exit
}
