// Package requestid carries the ID the edge gives every request through
// the request's context, so that the server's packages (which never import
// the edge) can record it in the system log.
package requestid

import (
	"context"
	"crypto/rand"
)

type key struct{}

// New returns a fresh random ID: 26 characters of base32 carrying at least
// 128 random bits.
func New() string { return rand.Text() }

// With returns ctx carrying id.
func With(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, key{}, id)
}

// From returns the request ID in ctx, or "" when there is none.
func From(ctx context.Context) string {
	id, _ := ctx.Value(key{}).(string)
	return id
}
