package ociimage

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// RefNameAnnotation names the image inside a layout, as in
// `buildah from oci:DIR:NAME`.
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// WriteLayout writes img as the only image of an OCI image layout in dir,
// annotated with refName. dir must not exist, be empty, or hold an OCI
// layout (which is replaced); anything else is refused so a mistyped path
// never loses files.
func WriteLayout(dir string, img v1.Image, refName string) (v1.Hash, error) {
	if err := prepareLayoutDir(dir); err != nil {
		return v1.Hash{}, err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("write OCI layout %s: %w", dir, err)
	}
	var opts []layout.Option
	if refName != "" {
		opts = append(opts, layout.WithAnnotations(map[string]string{RefNameAnnotation: refName}))
	}
	if err := p.AppendImage(img, opts...); err != nil {
		return v1.Hash{}, fmt.Errorf("write OCI layout %s: %w", dir, err)
	}
	return img.Digest()
}

func prepareLayoutDir(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case len(entries) == 0:
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return fmt.Errorf("%s is not empty and is not an OCI image layout; choose a new directory", dir)
	}
	return os.RemoveAll(dir)
}

// ReadLayout returns the only image of the OCI layout in dir.
func ReadLayout(dir string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("%s is not an OCI image layout (build one with `fbctl image build -o %s`): %w", dir, dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, err
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(m.Manifests) != 1 {
		return nil, fmt.Errorf("the OCI layout %s holds %d images; fbctl image push takes a layout of one", dir, len(m.Manifests))
	}
	return idx.Image(m.Manifests[0].Digest)
}

// ReadFile returns a regular file of the image's flattened filesystem
// (path is absolute, as BinaryPath).
func ReadFile(img v1.Image, path string) ([]byte, error) {
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("the image has no %s", path)
		}
		if err != nil {
			return nil, err
		}
		if "/"+strings.TrimPrefix(h.Name, "./") == path && h.Typeflag == tar.TypeReg {
			return io.ReadAll(tr)
		}
	}
}
