package ociimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's fixed layout: where things are and who runs them.
const (
	BinaryPath   = "/usr/local/bin/fbctl"
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
	Home         = "/home/fbctl"
	UserName     = "fbctl"
	// UID and GID of the non-root user. Numeric in the config, so a
	// Kubernetes runAsNonRoot check can verify it without /etc/passwd.
	UID = 65532
	GID = 65532
)

// Label keys (OCI image annotations used as config labels).
const (
	LabelVersion = "org.opencontainers.image.version"
	LabelSource  = "org.opencontainers.image.source"
	LabelTitle   = "org.opencontainers.image.title"
)

// DefaultSource is the source label when Options.Source is empty.
const DefaultSource = "https://github.com/flakebench/fbctl"

// Env is the image's environment. The Snowflake driver's platform
// detection only fills a telemetry field at login, and does it by probing
// cloud metadata endpoints (AWS, Azure, GCP), which inside a pod or an
// SPCS container may be slow or blocked; minicore is a cgo library a
// static binary cannot load. Both are switched off; a deployment can set
// them again.
var Env = []string{
	"PATH=/usr/local/bin",
	"HOME=" + Home,
	"SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true",
	"SF_DISABLE_MINICORE=true",
}

// Options are the inputs of Build. The same options give the same image
// digest.
type Options struct {
	// Binary is the static linux/amd64 fbctl executable.
	Binary []byte
	// CABundle is the PEM bundle of trusted CA certificates.
	CABundle []byte
	// Version is the fbctl version, for the version label.
	Version string
	// Source is the source repository label (default DefaultSource).
	Source string
	// Created is every timestamp in the image (files, config, history);
	// zero means the Unix epoch.
	Created time.Time
}

// Build assembles the image. It refuses a binary that is not a static
// linux/amd64 executable.
func Build(o Options) (v1.Image, error) {
	if err := CheckStaticLinuxAMD64(bytes.NewReader(o.Binary)); err != nil {
		return nil, err
	}
	if len(o.CABundle) == 0 {
		return nil, fmt.Errorf("the CA bundle is empty; TLS connections from the image would fail")
	}
	if o.Source == "" {
		o.Source = DefaultSource
	}
	created := o.Created.UTC()
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	created = created.Truncate(time.Second)

	base, err := tarLayer(baseFiles(o.CABundle), created)
	if err != nil {
		return nil, err
	}
	bin, err := tarLayer([]file{
		{path: "usr", dir: true, mode: 0o755},
		{path: "usr/local", dir: true, mode: 0o755},
		{path: "usr/local/bin", dir: true, mode: 0o755},
		{path: BinaryPath[1:], mode: 0o755, data: o.Binary},
	}, created)
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "fbctl image build: CA bundle, user " + UserName + ", /tmp, " + Home, Comment: "base"}},
		mutate.Addendum{Layer: bin, History: v1.History{Created: v1.Time{Time: created}, CreatedBy: "fbctl image build: " + BinaryPath, Comment: "fbctl " + o.Version}},
	)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: created}
	cf.Config = v1.Config{
		Entrypoint: []string{BinaryPath},
		Env:        append([]string(nil), Env...),
		User:       fmt.Sprintf("%d:%d", UID, GID),
		WorkingDir: Home,
		Labels: map[string]string{
			LabelVersion: o.Version,
			LabelSource:  o.Source,
			LabelTitle:   "fbctl",
		},
	}
	return mutate.ConfigFile(img, cf)
}

// baseFiles are the first layer: what a scratch image lacks for a
// non-root Go program that speaks TLS and writes caches.
func baseFiles(caBundle []byte) []file {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:%s:/sbin/nologin\n", UserName, UID, GID, UserName, Home)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", UserName, GID)
	return []file{
		{path: "etc", dir: true, mode: 0o755},
		{path: "etc/group", mode: 0o644, data: []byte(group)},
		{path: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{path: "etc/ssl", dir: true, mode: 0o755},
		{path: "etc/ssl/certs", dir: true, mode: 0o755},
		{path: CABundlePath[1:], mode: 0o644, data: caBundle},
		{path: "home", dir: true, mode: 0o755},
		{path: Home[1:], dir: true, mode: 0o755, uid: UID, gid: GID},
		{path: "tmp", dir: true, mode: 0o1777},
	}
}

// file is one tar entry.
type file struct {
	path     string // relative, no leading slash
	dir      bool
	mode     int64
	uid, gid int
	data     []byte
}

// tarLayer writes the entries, in order, with fixed times and owners into
// an uncompressed tar and wraps it as a gzip-compressed OCI layer.
func tarLayer(files []file, mtime time.Time) (v1.Layer, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{
			Name:    f.path,
			Mode:    f.mode,
			Uid:     f.uid,
			Gid:     f.gid,
			ModTime: mtime,
		}
		if f.dir {
			h.Typeflag, h.Name = tar.TypeDir, path.Clean(f.path)+"/"
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(f.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(f.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
