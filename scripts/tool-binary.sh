#!/usr/bin/env bash
# Prints the path of a checking tool the deployment checks use, building it
# first if needed: go install from the Go module proxy, cached outside the
# repository (never committed) like scripts/vault-binary.sh:
#   ${CANDOUR_CACHE:-$HOME/.cache/candour}/NAME-VERSION/NAME
#
#   scripts/tool-binary.sh helm              Helm 3 (helm lint, helm template)
#   scripts/tool-binary.sh kube-score        kube-score (Kubernetes object checks)
#   scripts/tool-binary.sh cyclonedx-gomod   the CycloneDX SBOM of a Go module
set -euo pipefail
{

case "${1:-}" in
  helm) version=3.22.0 pkg=helm.sh/helm/v3/cmd/helm ;;
  kube-score) version=1.20.0 pkg=github.com/zegl/kube-score/cmd/kube-score ;;
  cyclonedx-gomod) version=1.10.0 pkg=github.com/CycloneDX/cyclonedx-gomod/cmd/cyclonedx-gomod ;;
  *) echo "usage: scripts/tool-binary.sh helm|kube-score|cyclonedx-gomod" >&2; exit 2 ;;
esac
name=$1
cache="${CANDOUR_CACHE:-$HOME/.cache/candour}/$name-$version"
bin="$cache/$name"

. "$(dirname "$0")/cached.sh"
cached_start "$cache" "$bin"
echo "building $name $version into $cache (first time only)" >&2
GOBIN="$work" go install "$pkg@v$version" >&2
mv "$work/$name" "$bin"
echo "$bin"
exit 0
}
