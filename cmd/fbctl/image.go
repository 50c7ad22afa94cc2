package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/flakebench/fbctl/internal/ociimage"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"
)

// defaultImageLayout is where `image build` writes and `image push` reads.
const defaultImageLayout = ".flakebench/image"

// caBundlePaths are the usual places of the system CA bundle: Debian and
// Ubuntu, Fedora and RHEL, Alpine and macOS.
var caBundlePaths = []string{
	"/etc/ssl/certs/ca-certificates.crt",
	"/etc/pki/tls/certs/ca-bundle.crt",
	"/etc/ssl/cert.pem",
}

func imageCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "image",
		Usage: "build fbctl's container image without a daemon, and push it to a registry",
		Description: "The image is linux/amd64, FROM scratch: the static fbctl binary, CA certificates,\n" +
			"a non-root user (65532) with a writable home, and /tmp. See docs/scale-out.md.",
		Subcommands: []*cli.Command{imageBuildCommand(g), imagePushCommand(g)},
	}
}

func imageBuildCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "build",
		Usage: "write fbctl's image as an OCI image layout",
		Description: "Writes a reproducible image (fixed timestamps: the same inputs give the same digest;\n" +
			"SOURCE_DATE_EPOCH sets them) to an OCI layout that buildah, podman, skopeo and\n" +
			"`fbctl image push` read. The binary must be a static linux/amd64 executable:\n" +
			"by default this fbctl itself, when it is one.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "o", Aliases: []string{"out"}, Value: defaultImageLayout, Usage: "write the OCI layout to `DIR` (a layout already there is replaced)"},
			&cli.StringFlag{Name: "binary", Usage: "put the fbctl executable at `PATH` in the image (default: this fbctl)"},
			&cli.StringFlag{Name: "ca-bundle", Usage: "CA certificates `FILE` (PEM; default: the system bundle)"},
			&cli.StringFlag{Name: "version", Usage: "`VERSION` for the label and tag (default: this fbctl's version)"},
			&cli.StringFlag{Name: "source", Value: ociimage.DefaultSource, Usage: "source repository `URL` for the label"},
		},
		Action: func(c *cli.Context) error {
			a := parseImageBuildArgs(c)
			binPath := a.Binary
			if binPath == "" {
				exe, err := os.Executable()
				if err != nil {
					return fmt.Errorf("cannot find this fbctl's executable: %w; pass -binary PATH", err)
				}
				binPath = exe
			}
			bin, err := os.ReadFile(binPath)
			if err != nil {
				return err
			}
			if err := ociimage.CheckStaticLinuxAMD64(bytes.NewReader(bin)); err != nil {
				return &exitErr{code: exitError, msg: fmt.Sprintf("%s is %v.\n"+
					"The image needs a static linux/amd64 fbctl. Build one with `make image`, or with\n"+
					"  CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags \"-X main.version=VERSION\" -o bin/fbctl-linux-amd64 ./cmd/fbctl\n"+
					"and pass -binary bin/fbctl-linux-amd64.", binPath, err)}
			}
			ca, caPath, err := readCABundle(a.CABundle)
			if err != nil {
				return err
			}
			created, err := sourceDateEpoch(g.getenv)
			if err != nil {
				return err
			}
			ver := a.Version
			if ver == "" {
				ver = version
			}
			img, err := ociimage.Build(ociimage.Options{Binary: bin, CABundle: ca, Version: ver, Source: a.Source, Created: created})
			if err != nil {
				return err
			}
			dir := a.Out
			digest, err := ociimage.WriteLayout(dir, img, imageTag(ver))
			if err != nil {
				return err
			}
			size, _ := imageSize(img)
			fmt.Fprintf(g.stdout, "Wrote fbctl %s (linux/amd64, %s) to the OCI layout %s.\n", ver, humanBytes(size), dir)
			fmt.Fprintf(g.stdout, "  digest:    %s\n  binary:    %s\n  CA bundle: %s\n", digest, binPath, caPath)
			fmt.Fprintf(g.stdout, "Push it with:\n  fbctl image push --to REGISTRY/REPOSITORY:%s -layout %s\n", imageTag(ver), dir)
			return nil
		},
	}
}

func imagePushCommand(g *globals) *cli.Command {
	return &cli.Command{
		Name:  "push",
		Usage: "push the image of an OCI layout to a registry",
		Description: "Logs in with the Docker config's credentials (`docker login`, $DOCKER_CONFIG, credential\n" +
			"helpers), or with -username and a password on standard input (-password-stdin). For\n" +
			"Snowflake's image repository take the URL from SHOW IMAGE REPOSITORIES and log in as\n" +
			"the Snowflake user with its password or a programmatic access token (docs/scale-out.md).\n" +
			"Without a tag in -to the image's version is the tag.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "to", Required: true, Usage: "`REGISTRY/REPOSITORY[:TAG]` to push to"},
			&cli.StringFlag{Name: "layout", Value: defaultImageLayout, Usage: "the OCI layout `DIR` written by `fbctl image build`"},
			&cli.StringFlag{Name: "username", Usage: "log in as `USER` (with -password-stdin) instead of the Docker config's credentials"},
			&cli.BoolFlag{Name: "password-stdin", Usage: "read the password or token for -username from standard input"},
		},
		Action: func(c *cli.Context) error {
			a, err := parseImagePushArgs(c)
			if err != nil {
				return err
			}
			img, err := ociimage.ReadLayout(a.Layout)
			if err != nil {
				return err
			}
			var o ociimage.PushOptions
			if a.Username != "" {
				pw, err := io.ReadAll(g.stdin)
				if err != nil {
					return err
				}
				o.Username, o.Password = a.Username, strings.TrimRight(string(pw), "\r\n")
			}
			ref := a.To
			if !hasTagOrDigest(ref) {
				cf, err := img.ConfigFile()
				if err != nil {
					return err
				}
				ref += ":" + imageTag(cf.Config.Labels[ociimage.LabelVersion])
			}
			d, err := ociimage.Push(c.Context, img, ref, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Pushed %s\n  as %s\n", ref, d)
			return nil
		},
	}
}

// readCABundle reads the -ca-bundle file or the first system bundle found.
func readCABundle(path string) ([]byte, string, error) {
	if path != "" {
		b, err := os.ReadFile(path)
		return b, path, err
	}
	for _, p := range caBundlePaths {
		if b, err := os.ReadFile(p); err == nil {
			return b, p, nil
		}
	}
	return nil, "", fmt.Errorf("no CA bundle found at %s; pass -ca-bundle FILE", strings.Join(caBundlePaths, ", "))
}

// sourceDateEpoch reads SOURCE_DATE_EPOCH (reproducible-builds.org): the
// image's timestamps; zero when unset.
func sourceDateEpoch(getenv func(string) (string, bool)) (time.Time, error) {
	s, ok := getenv("SOURCE_DATE_EPOCH")
	if !ok || s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q is not a number of seconds since 1970", s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// imageTag turns a version into a valid tag: [A-Za-z0-9_.-], at most
// 128 characters, not starting with '.' or '-'.
func imageTag(v string) string {
	var b strings.Builder
	for _, r := range v {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	t := strings.TrimLeft(b.String(), ".-")
	if t == "" {
		t = "dev"
	}
	if len(t) > 128 {
		t = t[:128]
	}
	return t
}

// hasTagOrDigest reports whether an image reference names a tag or digest.
func hasTagOrDigest(ref string) bool {
	if strings.Contains(ref, "@") {
		return true
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	return strings.Contains(last, ":")
}

// imageSize is the sum of the compressed layers.
func imageSize(img v1.Image) (int64, error) {
	layers, err := img.Layers()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, l := range layers {
		s, err := l.Size()
		if err != nil {
			return 0, err
		}
		n += s
	}
	return n, nil
}

func humanBytes(n int64) string {
	const mib = 1 << 20
	if n >= mib {
		return fmt.Sprintf("%.1f MiB compressed", float64(n)/mib)
	}
	return fmt.Sprintf("%d bytes compressed", n)
}
