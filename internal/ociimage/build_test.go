package ociimage

import (
	"archive/tar"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

var fakeCA = []byte("-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n")

var (
	helloOnce sync.Once
	helloBin  []byte
	helloErr  error
)

// helloBinary builds a tiny static linux/amd64 program that prints its
// arguments, once per test binary.
func helloBinary(t *testing.T) []byte {
	t.Helper()
	helloOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ociimage-hello")
		if err != nil {
			helloErr = err
			return
		}
		defer os.RemoveAll(dir)
		src := filepath.Join(dir, "main.go")
		prog := "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() { fmt.Println(\"hello\", os.Args[1:], os.Getenv(\"HOME\")) }\n"
		if helloErr = os.WriteFile(src, []byte(prog), 0o644); helloErr != nil {
			return
		}
		out := filepath.Join(dir, "hello")
		cmd := exec.Command("go", "build", "-trimpath", "-o", out, src)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64", "GO111MODULE=off")
		if b, err := cmd.CombinedOutput(); err != nil {
			helloErr = errors.New(string(b))
			return
		}
		helloBin, helloErr = os.ReadFile(out)
	})
	if helloErr != nil {
		t.Fatalf("build the test program: %v", helloErr)
	}
	return helloBin
}

func buildTest(t *testing.T, o Options) v1.Image {
	t.Helper()
	if o.Binary == nil {
		o.Binary = helloBinary(t)
	}
	if o.CABundle == nil {
		o.CABundle = fakeCA
	}
	img, err := Build(o)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// entry is a file of an image's flattened filesystem.
type entry struct {
	Type     byte
	Mode     int64
	UID, GID int
	Data     string
}

func files(t *testing.T, img v1.Image) map[string]entry {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	out := map[string]entry{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if len(b) > 200 {
			b = b[:200]
		}
		out["/"+strings.TrimSuffix(h.Name, "/")] = entry{h.Typeflag, h.Mode, h.Uid, h.Gid, string(b)}
	}
}

func TestBuildConfigAndFiles(t *testing.T) {
	img := buildTest(t, Options{Version: "1.2.3", Source: "https://example.com/fbctl"})
	checkImage(t, img, "1.2.3")
}

// checkImage asserts what every fbctl image holds.
func checkImage(t *testing.T, img v1.Image, version string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("platform = %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if d := cmp.Diff([]string{BinaryPath}, cf.Config.Entrypoint); d != "" {
		t.Errorf("entrypoint (-want +got):\n%s", d)
	}
	if cf.Config.User != "65532:65532" || strings.HasPrefix(cf.Config.User, "0") {
		t.Errorf("user = %q, want the non-root 65532:65532", cf.Config.User)
	}
	if cf.Config.WorkingDir != Home {
		t.Errorf("working dir = %q, want %s", cf.Config.WorkingDir, Home)
	}
	for _, want := range []string{"HOME=/home/fbctl", "SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true", "SF_DISABLE_MINICORE=true", "PATH=/usr/local/bin"} {
		if !slices.Contains(cf.Config.Env, want) {
			t.Errorf("env %v lacks %s", cf.Config.Env, want)
		}
	}
	if cf.Config.Labels[LabelVersion] != version || cf.Config.Labels[LabelSource] == "" {
		t.Errorf("labels = %v, want version %s and a source", cf.Config.Labels, version)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.MediaType != "application/vnd.oci.image.manifest.v1+json" || m.Config.MediaType != "application/vnd.oci.image.config.v1+json" || len(m.Layers) != 2 {
		t.Errorf("manifest = %s / %s with %d layers, want OCI media types and 2 layers", m.MediaType, m.Config.MediaType, len(m.Layers))
	}

	fs := files(t, img)
	want := map[string]struct {
		typ      byte
		mode     int64
		uid, gid int
	}{
		"/etc/passwd":                        {tar.TypeReg, 0o644, 0, 0},
		"/etc/group":                         {tar.TypeReg, 0o644, 0, 0},
		"/etc/ssl/certs/ca-certificates.crt": {tar.TypeReg, 0o644, 0, 0},
		"/tmp":                               {tar.TypeDir, 0o1777, 0, 0},
		"/home/fbctl":                        {tar.TypeDir, 0o755, UID, GID},
		"/usr/local/bin/fbctl":               {tar.TypeReg, 0o755, 0, 0},
	}
	for p, w := range want {
		got, ok := fs[p]
		if !ok {
			t.Errorf("the image has no %s", p)
			continue
		}
		if got.Type != w.typ || got.Mode != w.mode || got.UID != w.uid || got.GID != w.gid {
			t.Errorf("%s: type %c mode %o owner %d:%d, want type %c mode %o owner %d:%d", p, got.Type, got.Mode, got.UID, got.GID, w.typ, w.mode, w.uid, w.gid)
		}
	}
	if !strings.Contains(fs["/etc/passwd"].Data, "fbctl:x:65532:65532:fbctl:/home/fbctl:") {
		t.Errorf("/etc/passwd = %q, want the fbctl user", fs["/etc/passwd"].Data)
	}
	if !strings.Contains(fs["/etc/group"].Data, "fbctl:x:65532:") {
		t.Errorf("/etc/group = %q, want the fbctl group", fs["/etc/group"].Data)
	}
	if !strings.HasPrefix(fs["/etc/ssl/certs/ca-certificates.crt"].Data, "-----BEGIN CERTIFICATE-----") {
		t.Errorf("the CA bundle is not PEM: %q", fs["/etc/ssl/certs/ca-certificates.crt"].Data)
	}
	if !strings.HasPrefix(fs[BinaryPath].Data, "\x7fELF") {
		t.Errorf("%s is not an ELF file", BinaryPath)
	}
}

func TestBuildIsReproducible(t *testing.T) {
	dirA, dirB := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b")
	a, err := WriteLayout(dirA, buildTest(t, Options{Version: "1.0.0"}), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	b, err := WriteLayout(dirB, buildTest(t, Options{Version: "1.0.0"}), "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	if a != b {
		t.Errorf("two builds from the same inputs have digests %s and %s", a, b)
	}
	// The layout read back is the same image.
	img, err := ReadLayout(dirA)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := img.Digest(); d != a {
		t.Errorf("layout image digest %s, written %s", d, a)
	}
	// Any input changes the digest.
	for name, o := range map[string]Options{
		"version": {Version: "1.0.1"},
		"created": {Version: "1.0.0", Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
		"ca":      {Version: "1.0.0", CABundle: append([]byte("# other\n"), fakeCA...)},
	} {
		if d, _ := buildTest(t, o).Digest(); d == a {
			t.Errorf("changing the %s kept the digest %s", name, d)
		}
	}
}

func TestBuildRefusesNonStaticBinaries(t *testing.T) {
	for name, bin := range map[string][]byte{
		"not ELF": []byte("#!/bin/sh\necho hi\n"),
		"dynamic": readDynamicELF(t),
	} {
		_, err := Build(Options{Binary: bin, CABundle: fakeCA, Version: "x"})
		if !errors.Is(err, ErrNotStatic) {
			t.Errorf("%s: Build error = %v, want ErrNotStatic", name, err)
		}
	}
	if _, err := Build(Options{Binary: helloBinary(t), Version: "x"}); err == nil || !strings.Contains(err.Error(), "CA bundle") {
		t.Errorf("no CA bundle: error = %v, want one about the CA bundle", err)
	}
}

// readDynamicELF returns a dynamically linked executable of this machine.
func readDynamicELF(t *testing.T) []byte {
	t.Helper()
	p, err := exec.LookPath("ls")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWriteLayoutRefusesAForeignDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := WriteLayout(dir, buildTest(t, Options{Version: "x"}), ""); err == nil {
		t.Fatal("WriteLayout replaced a directory that is not an OCI layout")
	}
	if _, err := os.Stat(filepath.Join(dir, "notes.txt")); err != nil {
		t.Fatalf("the user's file is gone: %v", err)
	}
}

// TestPushPullRoundTrip pushes to an in-process registry on loopback,
// pulls the image back and runs its binary.
func TestPushPullRoundTrip(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}}
	srv.Start()
	defer srv.Close()

	img := buildTest(t, Options{Version: "2.0.0"})
	ref := strings.TrimPrefix(srv.URL, "http://") + "/fb/fbctl:2.0.0"
	got, err := Push(context.Background(), img, ref, PushOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if got.DigestStr() != want.String() {
		t.Errorf("pushed digest %s, built %s", got.DigestStr(), want)
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := pulled.Digest(); d != want {
		t.Errorf("pulled digest %s, pushed %s", d, want)
	}
	checkImage(t, pulled, "2.0.0")
	out := runExtracted(t, pulled, "a", "b")
	if out != "hello [a b] "+os.Getenv("HOME")+"\n" {
		t.Errorf("the pulled binary printed %q", out)
	}
}

// runExtracted writes the image's fbctl to a temp file and runs it here.
func runExtracted(t *testing.T, img v1.Image, args ...string) string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("cannot run a linux/amd64 binary on %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	b, err := ReadFile(img, BinaryPath)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "fbctl")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(p, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", p, args, err, out)
	}
	return string(out)
}
