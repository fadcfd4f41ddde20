package oidc_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// acmeArtifacts are what a client of acme holds: an unused code (with
// its request) and the tokens of another exchange, all of app "web" for
// offlineScope.
type acmeArtifacts struct {
	req  oidc.AuthRequest
	code string
	tok  issued
}

func (w *world) acmeArtifacts(t *testing.T) acmeArtifacts {
	t.Helper()
	q := w.authQuery("web")
	q.Set("scope", offlineScope)
	req, code := w.code(t, w.iss, q)
	return acmeArtifacts{req: req, code: code, tok: w.issue(t, w.iss, "web", offlineScope)}
}

// stillWork checks that a's code, access token and refresh token all work
// at acme.
func (a acmeArtifacts) stillWork(t *testing.T, w *world) {
	t.Helper()
	checkAlive(t, w, "web", a.tok)
	if _, err := w.p.VerifyAccessToken(context.Background(), w.iss, a.tok.access); err != nil {
		t.Errorf("VerifyAccessToken at acme: %v", err)
	}
	form := w.tokenForm("web", a.code, a.req)
	checkTokenResponse(t, w, w.post(w.iss, form, w.auth(form, "web")), 200, oidc.Error{})
	checkTokenResponse(t, w, w.refresh(w.iss, "web", a.tok.refresh, ""), 200, oidc.Error{})
}

// isolationCase presents one of acme's artifacts to tenant globex.
type isolationCase struct {
	name   string
	send   func(t *testing.T, w *world, a acmeArtifacts) *httptest.ResponseRecorder
	status int
	want   oidc.Error
	// inactive marks an introspection whose answer must be inactive.
	inactive bool
}

// endpoint is a world's helper that sends a form to one endpoint of an
// issuer: (*world).post, (*world).introspect or (*world).revoke.
type endpoint func(w *world, iss oidc.Issuer, form url.Values, h http.Header) *httptest.ResponseRecorder

// atGlobex sends the form of a to one of globex's endpoints as client app.
func atGlobex(send endpoint, app string, form func(a acmeArtifacts) url.Values) func(t *testing.T, w *world, a acmeArtifacts) *httptest.ResponseRecorder {
	return func(_ *testing.T, w *world, a acmeArtifacts) *httptest.ResponseRecorder {
		f := form(a)
		return send(w, w.other, f, w.authAs(app, f))
	}
}

func tokenParam(pick func(a acmeArtifacts) string) func(a acmeArtifacts) url.Values {
	return func(a acmeArtifacts) url.Values { return url.Values{"token": {pick(a)}} }
}

func theAccess(a acmeArtifacts) string  { return a.tok.access }
func theRefresh(a acmeArtifacts) string { return a.tok.refresh }

var isolationCases = []isolationCase{
	{name: "globex's token endpoint refuses acme's code", status: 400, want: oidc.ErrInvalidGrant,
		send: atGlobex((*world).post, "foreign", func(a acmeArtifacts) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {a.code}, "redirect_uri": {a.req.RedirectURI},
				"code_verifier": {verifier}}
		})},
	{name: "globex's token endpoint refuses acme's code with acme's client", status: 401, want: oidc.ErrInvalidClient,
		send: atGlobex((*world).post, "web", func(a acmeArtifacts) url.Values {
			return url.Values{"grant_type": {"authorization_code"}, "code": {a.code}, "redirect_uri": {a.req.RedirectURI},
				"code_verifier": {verifier}}
		})},
	{name: "globex's token endpoint refuses acme's refresh token", status: 400, want: oidc.ErrInvalidGrant,
		send: atGlobex((*world).post, "foreign", func(a acmeArtifacts) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.tok.refresh}}
		})},
	{name: "globex's token endpoint refuses acme's refresh token with acme's client", status: 401, want: oidc.ErrInvalidClient,
		send: atGlobex((*world).post, "web", func(a acmeArtifacts) url.Values {
			return url.Values{"grant_type": {"refresh_token"}, "refresh_token": {a.tok.refresh}}
		})},
	{name: "globex's token endpoint does not know acme's service app", status: 401, want: oidc.ErrInvalidClient,
		send: atGlobex((*world).post, "service", func(acmeArtifacts) url.Values { return url.Values{"grant_type": {"client_credentials"}} })},
	{name: "globex's userinfo refuses acme's access token", status: 401, want: oidc.ErrInvalidToken,
		send: func(_ *testing.T, w *world, a acmeArtifacts) *httptest.ResponseRecorder {
			return w.bearer(w.other, a.tok.access)
		}},
	{name: "globex's introspection finds acme's access token inactive", status: 200, inactive: true,
		send: atGlobex((*world).introspect, "foreign", tokenParam(theAccess))},
	{name: "globex's introspection finds acme's refresh token inactive", status: 200, inactive: true,
		send: atGlobex((*world).introspect, "foreign", tokenParam(theRefresh))},
	{name: "globex's introspection does not know acme's client", status: 401, want: oidc.ErrInvalidClient,
		send: atGlobex((*world).introspect, "web", tokenParam(theAccess))},
	{name: "globex's revocation leaves acme's access token alone", status: 200,
		send: atGlobex((*world).revoke, "foreign", tokenParam(theAccess))},
	{name: "globex's revocation leaves acme's refresh token alone", status: 200,
		send: atGlobex((*world).revoke, "foreign", tokenParam(theRefresh))},
	{name: "globex's revocation does not know acme's client", status: 401, want: oidc.ErrInvalidClient,
		send: atGlobex((*world).revoke, "web", tokenParam(theRefresh))},
}

// TestTenantIsolation shows that the codes, access tokens and refresh
// tokens of one tenant are refused by every endpoint of another, and that
// trying leaves them working where they belong.
func TestTenantIsolation(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for _, tc := range isolationCases {
				t.Run(tc.name, func(t *testing.T) {
					a := w.acmeArtifacts(t)
					rec := tc.send(t, w, a)
					checkAnswer(t, rec, tc.status, tc.want)
					if tc.inactive && rec.Code == http.StatusOK {
						if body := decode(t, rec); body["active"] != false || len(body) != 1 {
							t.Errorf("introspection %v, want inactive", body)
						}
					}
					a.stillWork(t, w)
				})
			}
			for _, tc := range []struct {
				name string
				iss  func(w *world) oidc.Issuer
			}{
				{name: "VerifyAccessToken for globex refuses acme's access token", iss: func(w *world) oidc.Issuer { return w.other }},
				{name: "VerifyAccessToken refuses acme's access token for globex under acme's URL", iss: func(w *world) oidc.Issuer {
					return oidc.Issuer{TenantID: w.other.TenantID, Server: oidc.DefaultServer, URL: w.iss.URL}
				}},
				{name: "VerifyAccessToken refuses acme's access token for acme under globex's URL", iss: func(w *world) oidc.Issuer {
					return oidc.Issuer{TenantID: w.iss.TenantID, Server: oidc.DefaultServer, URL: w.other.URL}
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					a := w.acmeArtifacts(t)
					if _, err := w.p.VerifyAccessToken(context.Background(), tc.iss(w), a.tok.access); !errors.Is(err, oidc.ErrTokenInactive) {
						t.Errorf("VerifyAccessToken: %v, want ErrTokenInactive", err)
					}
					a.stillWork(t, w)
				})
			}
		})
	}
}

// TestForeignCredentialsLeaveNoTrace presents a globex client's valid
// secret to each of acme's endpoints: it is refused, and nothing of
// globex changes (its secret is not recorded as used).
func TestForeignCredentialsLeaveNoTrace(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			for i, tc := range []struct {
				name string
				send endpoint
				form url.Values
			}{
				{name: "at the token endpoint for client credentials", send: (*world).post,
					form: url.Values{"grant_type": {"client_credentials"}}},
				{name: "at the token endpoint for a refresh", send: (*world).post,
					form: url.Values{"grant_type": {"refresh_token"}, "refresh_token": {oidc.RefreshTokenPrefix + "x"}}},
				{name: "at the introspection endpoint", send: (*world).introspect, form: url.Values{"token": {"x"}}},
				{name: "at the revocation endpoint", send: (*world).revoke, form: url.Values{"token": {"x"}}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					name := fmt.Sprintf("globex-%d", i)
					app := w.addApp(t, w.other.TenantID, name, tenant.AppInput{Name: name, Type: tenant.AppService})
					checkAnswer(t, tc.send(w, w.iss, tc.form, w.authAs(name, tc.form)), 401, oidc.ErrInvalidClient)
					w.tx(t, func(ctx context.Context, tx store.Tx) error {
						list, err := w.ten.AppSecrets(ctx, tx, w.other.TenantID, app.ID)
						for _, s := range list {
							if s.LastUsedAt != nil {
								t.Errorf("globex's secret was recorded as used at %v by a request to acme", s.LastUsedAt)
							}
						}
						return err
					})
				})
			}
		})
	}
}
