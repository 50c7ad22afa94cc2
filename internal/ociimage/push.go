package ociimage

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// PushOptions say how to log in to the registry.
type PushOptions struct {
	// Username and Password, when Username is set, are used instead of
	// the keychain (for Snowflake's image repository: the Snowflake user
	// and its password or a programmatic access token, or "0sessiontoken"
	// and a token from `snow spcs image-registry token`).
	Username, Password string
	// Keychain resolves credentials when Username is empty; nil means
	// authn.DefaultKeychain (the Docker config file, $DOCKER_CONFIG, and
	// its credential helpers).
	Keychain authn.Keychain
}

// Push uploads img to ref (REGISTRY/REPOSITORY[:TAG]) and returns the
// reference by digest. Loopback and private-network registries are
// reached over plain HTTP, as go-containerregistry does for them.
func Push(ctx context.Context, img v1.Image, ref string, o PushOptions) (name.Digest, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return name.Digest{}, fmt.Errorf("%q is not an image reference (REGISTRY/REPOSITORY[:TAG]): %w", ref, err)
	}
	opts := []remote.Option{remote.WithContext(ctx)}
	switch {
	case o.Username != "":
		opts = append(opts, remote.WithAuth(&authn.Basic{Username: o.Username, Password: o.Password}))
	case o.Keychain != nil:
		opts = append(opts, remote.WithAuthFromKeychain(o.Keychain))
	default:
		opts = append(opts, remote.WithAuthFromKeychain(authn.DefaultKeychain))
	}
	if err := remote.Write(r, img, opts...); err != nil {
		return name.Digest{}, fmt.Errorf("push %s: %w", r, err)
	}
	d, err := img.Digest()
	if err != nil {
		return name.Digest{}, err
	}
	return r.Context().Digest(d.String()), nil
}
