#!/usr/bin/env bash
# Prints the path of an Ory Hydra v2 binary (a certified OpenID provider that
# is not Candour's code), building it first if needed.
#
# Hydra is built from the Go module proxy inside a throwaway module, like
# scripts/vault-binary.sh builds Vault. The binary is cached outside the
# repository (never committed) and reused:
#   ${CANDOUR_CACHE:-$HOME/.cache/candour}/hydra-2.3.0/hydra
# The first build takes several minutes on two cores; later calls return at once.
set -euo pipefail
{

version=2.3.0
cache="${CANDOUR_CACHE:-$HOME/.cache/candour}/hydra-$version"
bin="$cache/hydra"

. "$(dirname "$0")/cached.sh"
cached_start "$cache" "$bin"
cd "$work"
echo "building Ory Hydra $version into $cache (first time only: several minutes)" >&2
# Hydra's go.mod replaces pop with Ory's fork, and replace directives count
# only in the main module: so the build runs inside a copy of Hydra's own
# module, as its release does.
src=$(go mod download -json "github.com/ory/hydra/v2@v$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[ -d "$src" ] || { echo "Hydra $version is not in the module cache" >&2; exit 1; }
cp -r "$src" "$work/src"
chmod -R u+w "$work/src"
cd "$work/src"
# The API client's folder is a module of its own, left out of Hydra's module
# download: the newest published client (v2.2.1) stands in for it.
go mod edit -dropreplace github.com/ory/hydra-client-go/v2 -require github.com/ory/hydra-client-go/v2@v2.2.1
go build -mod=mod -o "$work/hydra" . >&2
mv "$work/hydra" "$bin"
echo "$bin"
exit 0
}
