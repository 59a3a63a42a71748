# syntax=docker/dockerfile:1
# Candour's container image: one static binary (CGO off) on distroless static,
# run as its non-root user, with no shell or package manager; the CA
# certificates come with the base. Build: docker build -t candour .
#
# The base images are pinned by digest (the tag beside it says what it is; the
# digest decides which image it is). These digests were taken from public
# Dockerfiles on 2026-12-02: no registry is reachable from the machines that
# wrote this file, so check them before the first build and when refreshing:
#   docker buildx imagetools inspect golang:1.27.1-bookworm
#   docker buildx imagetools inspect gcr.io/distroless/static-debian12:nonroot
ARG GO_IMAGE=golang:1.27.1-bookworm@sha256:69a7b9788769bec032d238959b61854e9ae87f57be9029ec04e9885fabf99195
ARG RUN_IMAGE=gcr.io/distroless/static-debian12:nonroot@sha256:d093aa3e30dbadd3efe1310db061a14da60299baff8450a17fe0ccc514a16639

FROM ${GO_IMAGE} AS build
# Candour is built with Go 1.27.3 (standard-library fixes); the go command
# fetches it from the module proxy.
ENV GOTOOLCHAIN=go1.27.3 CGO_ENABLED=0 GOFLAGS=-trimpath
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -ldflags="-s -w -buildid=" -o /out/candour ./cmd/candour

FROM ${RUN_IMAGE}
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="Candour" \
      org.opencontainers.image.description="A privacy-first vault for feedback from people who use high-stakes public services" \
      org.opencontainers.image.source="https://github.com/candour-vault/candour" \
      org.opencontainers.image.documentation="https://github.com/candour-vault/candour/blob/main/docs/operations.md" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"
COPY --from=build /out/candour /usr/local/bin/candour
# 65532 is distroless's nonroot user; numeric, so that Kubernetes can check
# runAsNonRoot without reading /etc/passwd.
USER 65532:65532
EXPOSE 8420
ENTRYPOINT ["/usr/local/bin/candour"]
CMD ["server"]
