# The test command of README.md; .ci/run calls it.
.PHONY: test dev build

# The Vault transit tests need a vault binary: scripts/vault-binary.sh builds it
# once from the Go module proxy (15-25 minutes) and caches it outside the repo.
test:
	go vet ./...
	CANDOUR_VAULT_BIN="$$(scripts/vault-binary.sh)" go test -race -count=1 -timeout 30m ./...

dev:
	go run ./cmd/candour dev

build:
	go build -o bin/candour ./cmd/candour
