package main

import (
	"bytes"
	"context"
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
	"testing"

	"github.com/flakebench/fbctl/internal/ociimage"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// buildStaticFbctl builds fbctl as `make image` does: static, linux/amd64,
// with the version ldflags.
func buildStaticFbctl(t *testing.T, ver string) string {
	t.Helper()
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skipf("the image test runs the linux/amd64 binary it builds; this is %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	out := filepath.Join(t.TempDir(), "fbctl-linux-amd64")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X main.version="+ver, "-o", out, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build a static fbctl: %v\n%s", err, b)
	}
	return out
}

// TestImageBuildPushPull builds the image with the static fbctl itself
// (its default binary), twice, pushes it to an in-process registry on
// loopback, pulls it back and runs the binary it holds.
func TestImageBuildPushPull(t *testing.T) {
	const ver = "v9.9.9-imagetest"
	bin := buildStaticFbctl(t, ver)
	tmp := t.TempDir()
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("fbctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	dirA, dirB := filepath.Join(tmp, "a"), filepath.Join(tmp, "b")
	outA := run("image", "build", "-o", dirA)
	run("image", "build", "-o", dirB)
	imgA, err := ociimage.ReadLayout(dirA)
	if err != nil {
		t.Fatal(err)
	}
	imgB, err := ociimage.ReadLayout(dirB)
	if err != nil {
		t.Fatal(err)
	}
	da, _ := imgA.Digest()
	db, _ := imgB.Digest()
	if da != db {
		t.Errorf("two builds of the same binary have digests %s and %s", da, db)
	}
	if !strings.Contains(outA, da.String()) {
		t.Errorf("image build did not print the digest %s:\n%s", da, outA)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: registry.New(registry.Logger(log.New(io.Discard, "", 0)))}}
	srv.Start()
	defer srv.Close()
	repo := strings.TrimPrefix(srv.URL, "http://") + "/fb/fbctl"
	// No tag: the image's version is the tag.
	pushOut := run("image", "push", "--to", repo, "-layout", dirA)
	if !strings.Contains(pushOut, repo+":"+ver) || !strings.Contains(pushOut, da.String()) {
		t.Errorf("image push output lacks the tag %s:%s or the digest:\n%s", repo, ver, pushOut)
	}

	ref, err := name.ParseReference(repo + ":" + ver)
	if err != nil {
		t.Fatal(err)
	}
	pulled, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := pulled.Digest(); d != da {
		t.Errorf("pulled %s, pushed %s", d, da)
	}
	cf, err := pulled.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS+"/"+cf.Architecture != "linux/amd64" || cf.Config.User != "65532:65532" ||
		len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != ociimage.BinaryPath ||
		cf.Config.Labels[ociimage.LabelVersion] != ver || cf.Created.Unix() != 1700000000 {
		t.Errorf("pulled config: platform %s/%s, user %q, entrypoint %v, labels %v, created %s",
			cf.OS, cf.Architecture, cf.Config.User, cf.Config.Entrypoint, cf.Config.Labels, cf.Created)
	}
	if !slices.Contains(cf.Config.Env, "HOME=/home/fbctl") || !slices.Contains(cf.Config.Env, "SNOWFLAKE_DISABLE_PLATFORM_DETECTION=true") {
		t.Errorf("pulled env = %v", cf.Config.Env)
	}
	extracted := extractFile(t, pulled, ociimage.BinaryPath)
	out, err := exec.Command(extracted, "version").CombinedOutput()
	if err != nil || string(out) != "fbctl "+ver+"\n" {
		t.Errorf("the image's fbctl version printed %q (%v), want %q", out, err, "fbctl "+ver+"\n")
	}
}

// extractFile writes one file of the image to a temp file, executable.
func extractFile(t *testing.T, img v1.Image, path string) string {
	t.Helper()
	b, err := ociimage.ReadFile(img, path)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), filepath.Base(path))
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestImageBuildRefusesADynamicBinary checks the message that says how to
// build a static one.
func TestImageBuildRefusesADynamicBinary(t *testing.T) {
	ls, err := exec.LookPath("ls")
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := runCLI(context.Background(), []string{"fbctl", "image", "build", "-binary", ls, "-o", filepath.Join(t.TempDir(), "img")}, strings.NewReader(""), &stdout, &stderr)
	if code != exitError || !strings.Contains(stderr.String(), "not a static linux/amd64 executable") ||
		!strings.Contains(stderr.String(), "CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr.String())
	}
}
