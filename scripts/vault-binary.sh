#!/usr/bin/env bash
# Prints the path of a HashiCorp Vault binary, building it first if needed.
#
# Vault has no Debian package and `go install` fails on its replace
# directives, so it is built from the Go module proxy inside a throwaway module.
# The binary is cached outside the repository (never committed) and reused:
#   ${CANDOUR_CACHE:-$HOME/.cache/candour}/vault-1.21.0/vault
# The first build downloads about 4 GB of modules and takes 15-25 minutes on
# two cores; later calls return at once.
set -euo pipefail

# The body is one block, read whole before it runs, so that editing this file
# while a build is under way cannot change what the running build does.
{

version=1.21.0
cache="${CANDOUR_CACHE:-$HOME/.cache/candour}/vault-$version"
bin="$cache/vault"

. "$(dirname "$0")/cached.sh"
cached_start "$cache" "$bin"
cd "$work"
cat > go.mod <<MOD
module candour.local/vaultbuild

go 1.26

require github.com/hashicorp/vault v$version

replace (
	github.com/99designs/keyring => github.com/Jeffail/keyring v1.2.3
	github.com/ma314smith/signedxml v1.1.1 => github.com/moov-io/signedxml v1.1.1
	github.com/hashicorp/vault/sdk => github.com/hashicorp/vault/sdk v0.20.0
	github.com/hashicorp/vault/api => github.com/hashicorp/vault/api v1.22.0
)
MOD
cat > tools.go <<'GO'
//go:build tools

package vaultbuild

import _ "github.com/hashicorp/vault"
GO
echo "building HashiCorp Vault $version into $cache (first time only: 15-25 minutes)" >&2
go mod tidy -e >&2 || true
go build -mod=mod -o "$work/vault" github.com/hashicorp/vault >&2
mv "$work/vault" "$bin"
echo "$bin"
exit 0
}
