// Package ociimage builds fbctl's container image without a container
// daemon: a linux/amd64 image of two layers (a base with the CA bundle,
// /etc/passwd and /etc/group for the non-root user and the writable /tmp
// and home directory; then the static fbctl binary) and a config with the
// entrypoint, user, environment, working directory and labels. It writes
// the image as an OCI image layout and pushes it to any registry.
//
// Builds are reproducible: every timestamp is fixed (SourceDateEpoch), so
// the same binary, CA bundle and options give the same digest.
//
// It owns the image's contents and its wire form; it does not build the
// binary (the Makefile and the Dockerfile do) and does not know the
// deployments that run it (engine/deploy).
package ociimage
