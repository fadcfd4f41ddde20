package oidc_test

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// loopbackPort matches the port of a loopback http URI, which a native
// app's redirect may vary (RFC 8252 §7.3).
var loopbackPort = regexp.MustCompile(`^(http://(?:127\.0\.0\.1|\[::1\]|localhost)):[1-9][0-9]{0,4}([/?]|$)`)

// registered is an oracle, independent of the provider's code, for whether
// uri may receive app's authorization response.
func registered(app tenant.App, uri string) bool {
	if slices.Contains(app.RedirectURIs, uri) {
		return true
	}
	if app.Type != tenant.AppNative {
		return false
	}
	bare := loopbackPort.ReplaceAllString(uri, "$1$2")
	return slices.ContainsFunc(app.RedirectURIs, func(r string) bool {
		return loopbackPort.ReplaceAllString(r, "$1$2") == bare
	})
}

// FuzzValidateAuthorize checks that no query makes ValidateAuthorize
// panic, accept or redirect to a redirect URI the client did not register.
func FuzzValidateAuthorize(f *testing.F) {
	w := newWorld(f, storetest.SQLite())
	byID := map[string]tenant.App{}
	for name, a := range w.apps {
		byID[a.ID] = a.App
		q := w.authQuery(name)
		f.Add(q.Encode())
		q.Set("response_type", "token")
		f.Add(q.Encode())
	}
	native := w.authQuery("native")
	for _, r := range []string{"http://127.0.0.1:8080/callback", "http://[::1]:1/cb", "http://localhost:65535/cb",
		"http://127.0.0.1:0/callback", "http://127.0.0.1:080/callback", "http://a@127.0.0.1:1/callback", "http://127.0.0.1:1/callback?x"} {
		native.Set("redirect_uri", r)
		f.Add(native.Encode())
	}
	f.Add("client_id=&redirect_uri=&scope=openid")
	f.Add("%zz&client_id=" + w.apps["web"].ID)
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw)
		req, app, aerr := w.p.ValidateAuthorize(context.Background(), w.iss, q)
		if aerr == nil {
			if !registered(app, req.RedirectURI) || app.TenantID != w.iss.TenantID || req.CodeChallengeMethod != "S256" {
				t.Fatalf("accepted %q: client %s, redirect %q", raw, app.ID, req.RedirectURI)
			}
			if req.ResponseType != "code" || !slices.Contains(strings.Fields(req.Scope), oidc.ScopeOpenID) {
				t.Fatalf("accepted %q: %+v", raw, req)
			}
			return
		}
		if !aerr.Redirect {
			return
		}
		a, ok := byID[aerr.Request.ClientID]
		if !ok || a.TenantID != w.iss.TenantID || !registered(a, aerr.Request.RedirectURI) {
			t.Fatalf("redirectable %v to %q for client %q from %q", aerr.Err, aerr.Request.RedirectURI, aerr.Request.ClientID, raw)
		}
		if len(q["redirect_uri"]) != 1 || q.Get("redirect_uri") != aerr.Request.RedirectURI {
			t.Fatalf("redirects to %q, not the one redirect_uri of %q", aerr.Request.RedirectURI, raw)
		}
	})
}
