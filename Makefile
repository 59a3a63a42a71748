# The test command of README.md; .ci/run calls it.
.PHONY: test dev build

test:
	go vet ./...
	go test -race -count=1 ./...

dev:
	go run ./cmd/candour dev

build:
	go build -o bin/candour ./cmd/candour
