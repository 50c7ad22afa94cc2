# fbctl's container image, for people with a container engine. CI and
# `make image` build the same image without one (`fbctl image build`, see
# docs/scale-out.md); keep the two in step.
#
#   docker build --platform linux/amd64 --build-arg VERSION=$(git describe --tags --always) -t fbctl .
#
# Stage 1: a static linux/amd64 fbctl (CGO_ENABLED=0, the Makefile's version
# ldflags) and the files a scratch image lacks.
FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath \
      -ldflags "-X main.version=${VERSION}" -o /out/fbctl ./cmd/fbctl
RUN mkdir -p /rootfs/etc/ssl/certs /rootfs/home/fbctl /rootfs/tmp \
 && cp /etc/ssl/certs/ca-certificates.crt /rootfs/etc/ssl/certs/ \
 && printf 'root:x:0:0:root:/root:/sbin/nologin\nfbctl:x:65532:65532:fbctl:/home/fbctl:/sbin/nologin\n' > /rootfs/etc/passwd \
 && printf 'root:x:0:\nfbctl:x:65532:\n' > /rootfs/etc/group \
 && chmod 1777 /rootfs/tmp

# Stage 2: nothing but fbctl, its CA bundle, the non-root user, a writable
# home (the Snowflake driver's caches) and /tmp.
FROM scratch
ARG VERSION=dev
COPY --from=build /rootfs/ /
COPY --from=build --chown=65532:65532 /rootfs/home/fbctl /home/fbctl
COPY --from=build /out/fbctl /usr/local/bin/fbctl
# Platform detection only fills a login telemetry field, by probing cloud
# metadata endpoints that pods and SPCS containers may block; minicore is a
# cgo library a static binary cannot load.
ENV PATH=/usr/local/bin \
    HOME=/home/fbctl \
    SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true \
    SF_DISABLE_MINICORE=true
LABEL org.opencontainers.image.title=fbctl \
      org.opencontainers.image.version=${VERSION} \
      org.opencontainers.image.source=https://github.com/flakebench/fbctl
# Numeric, so Kubernetes' runAsNonRoot can check it.
USER 65532:65532
WORKDIR /home/fbctl
ENTRYPOINT ["/usr/local/bin/fbctl"]
