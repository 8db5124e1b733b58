# Upstream Sandbox: one static binary on scratch.
#
#   docker build -t upstream-sandbox --build-arg VERSION=$(git describe --always --dirty) .
#   docker run --rm -p 8080:8080 -v sandbox-data:/data upstream-sandbox

# Build stage: the Go line of go.mod.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Static (no cgo: scratch has no libc), without local paths or symbols. Time
# zones and every data file are embedded in the binary; no CA certificates are
# needed because the sandbox never calls out.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/sandbox ./cmd/sandbox
# scratch has no shell to create or chown the data directory: make it here.
RUN mkdir -p /out/data

FROM scratch
COPY --from=build /out/sandbox /sandbox
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME /data
EXPOSE 8080
# No curl in scratch: the binary checks itself (GET /_sandbox/health on
# 127.0.0.1:8080, or the port of SANDBOX_ADDR; exit 0 only on 200).
HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/sandbox", "healthcheck"]
ENTRYPOINT ["/sandbox"]
CMD ["--addr", "0.0.0.0:8080", "--data", "/data/sandbox.db"]
