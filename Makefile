# The test command of README.md; .ci/run calls it.
.PHONY: test dev build vulncheck sbom

# Go 1.27.3 has fixes for standard-library vulnerabilities that 1.26 lacks;
# the go command fetches it from the module proxy the first time.
export GOTOOLCHAIN := go1.27.3

# bash with pipefail, so that a failing command in a pipe fails the target.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

# The Vault transit tests need a vault binary: scripts/vault-binary.sh builds it
# once from the Go module proxy (15-25 minutes) and caches it outside the repo.
# The sign-in tests need Ory Hydra, built the same way (scripts/hydra-binary.sh),
# and the browser tests Debian's Chromium and axe-core; the deployment checks
# systemd-analyze and the backup check pg_dump (scripts/test-setup.sh installs
# all of these when missing). The deployment checks need Helm and kube-score
# (scripts/tool-binary.sh builds them from the module proxy, once).
#
# Then the insight attack suite, without the race detector (it skips itself
# under it): each attack against a running server, beside its chance.
test:
	go vet ./...
	CANDOUR_CHROMIUM="$$(scripts/test-setup.sh)" CANDOUR_HYDRA_BIN="$$(scripts/hydra-binary.sh)" \
	CANDOUR_HELM_BIN="$$(scripts/tool-binary.sh helm)" CANDOUR_KUBE_SCORE_BIN="$$(scripts/tool-binary.sh kube-score)" \
	CANDOUR_VAULT_BIN="$$(scripts/vault-binary.sh)" go test -race -count=1 -timeout 30m ./...
	go test -count=1 -timeout 20m -run Attack -v ./insight | grep -E '^(---|ok|FAIL|PASS)|success|beats'
	scripts/govulncheck.sh

# Reachable vulnerabilities, against a database built offline from the module
# proxy's copy of golang.org/x/vulndb (scripts/govulncheck.sh).
vulncheck:
	scripts/govulncheck.sh

dev:
	go run ./cmd/candour dev

build:
	go build -o bin/candour ./cmd/candour

# The CycloneDX SBOM of the candour binary: every module it is built from,
# with licences where cyclonedx-gomod finds them.
sbom:
	mkdir -p bin
	"$$(scripts/tool-binary.sh cyclonedx-gomod)" app -json -licenses -output bin/candour.cdx.json -main cmd/candour .
	@echo "wrote bin/candour.cdx.json"
