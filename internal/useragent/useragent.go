// Package useragent carries the User-Agent header of the request a call
// serves through its context, so that the server's packages (which never
// import the edge) can record which browser a session was started in.
//
// The edge sets it from every request, as sent: untrusted text of any
// length, to show to people and administrators, never to decide anything.
// Whoever stores it bounds and cleans it (see server/session).
package useragent

import "context"

type key struct{}

// With returns ctx carrying ua.
func With(ctx context.Context, ua string) context.Context {
	return context.WithValue(ctx, key{}, ua)
}

// From returns the User-Agent in ctx, or "" when there is none.
func From(ctx context.Context) string {
	ua, _ := ctx.Value(key{}).(string)
	return ua
}
