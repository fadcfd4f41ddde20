package tenant

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestCreateAppDefaults(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme", "")
		for _, tc := range []struct {
			name       string
			in         AppInput
			grants     []string
			method     string
			wantSecret bool
		}{
			{"a web app is confidential with a secret", webApp("Web"),
				[]string{GrantAuthorizationCode, GrantRefreshToken}, AuthClientSecretBasic, true},
			{"a service app uses client credentials", AppInput{Name: "Svc", Type: AppService},
				[]string{GrantClientCredentials}, AuthClientSecretBasic, true},
			{"an spa is a public client without a secret", AppInput{Name: "SPA", Type: AppSPA, RedirectURIs: []string{"https://spa.example.com/"}},
				[]string{GrantAuthorizationCode, GrantRefreshToken}, AuthNone, false},
			{"a native app is a public client without a secret", AppInput{Name: "Phone", Type: AppNative,
				RedirectURIs: []string{"com.example.app:/callback", "http://127.0.0.1:51234/cb", "http://[::1]/cb"},
				GrantTypes:   []string{GrantAuthorizationCode, GrantDeviceCode}}, []string{GrantAuthorizationCode, GrantDeviceCode}, AuthNone, false},
			{"a web app may use client_secret_post and loopback http", AppInput{Name: "Dev", Type: AppWeb,
				RedirectURIs: []string{"http://localhost:8080/callback?x=1"}, TokenEndpointAuthMethod: AuthClientSecretPost},
				[]string{GrantAuthorizationCode, GrantRefreshToken}, AuthClientSecretPost, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				a, secret := e.app(t, ten.ID, tc.in)
				if !slices.Equal(a.GrantTypes, tc.grants) || a.TokenEndpointAuthMethod != tc.method || a.TenantID != ten.ID {
					t.Fatalf("created %+v", a)
				}
				if (secret != "") != tc.wantSecret || tc.wantSecret && !strings.HasPrefix(secret, SecretPrefix) {
					t.Fatalf("secret %q", secret)
				}
				got := get(t, e, func(ctx context.Context, tx store.Tx) (App, error) { return e.svc.App(ctx, tx, ten.ID, a.ID) })
				if fmt.Sprint(got) != fmt.Sprint(a) {
					t.Fatalf("read back %+v, created %+v", got, a)
				}
				byClient := get(t, e, func(ctx context.Context, tx store.Tx) (App, error) { return e.svc.AppByClientID(ctx, tx, a.ID) })
				if byClient.ID != a.ID {
					t.Fatalf("AppByClientID = %+v", byClient)
				}
			})
		}
	})
}

func TestCreateAppRefusesBadInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme", "")
		e.app(t, ten.ID, webApp("Taken"))
		apps, secrets := e.count(t, "apps"), e.count(t, "app_secrets")
		web := func(uris ...string) AppInput { return AppInput{Name: "New", Type: AppWeb, RedirectURIs: uris} }
		native := func(uris ...string) AppInput { return AppInput{Name: "New", Type: AppNative, RedirectURIs: uris} }
		for _, tc := range []struct {
			name   string
			in     AppInput
			fields []string
		}{
			{"refuses a relative redirect URI", web("/callback"), []string{"redirect_uris[0]"}},
			{"refuses a wildcard in the host", web("https://*.example.com/cb"), []string{"redirect_uris[0]"}},
			{"refuses a wildcard in the path", web("https://ok.example.com/cb", "https://example.com/*"), []string{"redirect_uris[1]"}},
			{"refuses a fragment", web("https://example.com/cb#x"), []string{"redirect_uris[0]"}},
			{"refuses an empty fragment", web("https://example.com/cb#"), []string{"redirect_uris[0]"}},
			{"refuses user information", web("https://user:pw@example.com/cb"), []string{"redirect_uris[0]"}},
			{"refuses http on a public host", web("http://example.com/cb"), []string{"redirect_uris[0]"}},
			{"refuses http on a non-loopback private address", web("http://10.0.0.1/cb"), []string{"redirect_uris[0]"}},
			{"refuses an https URI without a host", web("https:/cb"), []string{"redirect_uris[0]"}},
			{"refuses an uppercase scheme", web("HTTPS://example.com/cb"), []string{"redirect_uris[0]"}},
			{"refuses a backslash", web(`https://example.com\@evil.com/cb`), []string{"redirect_uris[0]"}},
			{"refuses a space", web("https://example.com/a b"), []string{"redirect_uris[0]"}},
			{"refuses a bad port", web("https://example.com:0/cb"), []string{"redirect_uris[0]"}},
			{"refuses an empty URI", web(""), []string{"redirect_uris[0]"}},
			{"refuses an overlong URI", web("https://example.com/" + strings.Repeat("a", MaxURILen)), []string{"redirect_uris[0]"}},
			{"refuses a duplicate URI", web("https://example.com/cb", "https://example.com/cb"), []string{"redirect_uris[1]"}},
			{"refuses a custom scheme for a web app", web("com.example.app:/cb"), []string{"redirect_uris[0]"}},
			{"refuses a custom scheme for an spa", AppInput{Name: "New", Type: AppSPA, RedirectURIs: []string{"com.example.app:/cb"}}, []string{"redirect_uris[0]"}},
			{"refuses a custom scheme without a dot", native("myapp:/cb"), []string{"redirect_uris[0]"}},
			{"refuses a dangerous scheme", native("javascript:alert(1)"), []string{"redirect_uris[0]"}},
			{"refuses a custom scheme without a path", native("com.example.app:cb"), []string{"redirect_uris[0]"}},
			{"refuses a web app without redirect URIs", web(), []string{"redirect_uris"}},
			{"refuses a native app without redirect URIs", native(), []string{"redirect_uris"}},
			{"refuses redirect URIs on a service app", AppInput{Name: "New", Type: AppService, RedirectURIs: []string{"https://example.com/cb"}}, []string{"redirect_uris"}},
			{"refuses a bad post-logout URI", AppInput{Name: "New", Type: AppWeb, RedirectURIs: []string{"https://example.com/cb"},
				PostLogoutRedirectURIs: []string{"https://example.com/bye", "http://example.com/bye"}}, []string{"post_logout_redirect_uris[1]"}},
			{"refuses an initiate login URI over http on a public host", AppInput{Name: "New", Type: AppWeb, RedirectURIs: []string{"https://example.com/cb"},
				InitiateLoginURI: "http://example.com/login"}, []string{"initiate_login_uri"}},
			{"refuses a custom-scheme initiate login URI for an spa", AppInput{Name: "New", Type: AppSPA, RedirectURIs: []string{"https://example.com/cb"},
				InitiateLoginURI: "com.example.app:/login"}, []string{"initiate_login_uri"}},
			{"refuses an initiate login URI on a service app", AppInput{Name: "New", Type: AppService, InitiateLoginURI: "https://example.com/login"}, []string{"initiate_login_uri"}},
			{"refuses too many redirect URIs", web(slices.Repeat([]string{"https://example.com/cb"}, MaxRedirectURIs+1)...), []string{"redirect_uris"}},
			{"refuses the implicit grant", AppInput{Name: "New", Type: AppSPA, RedirectURIs: []string{"https://example.com/cb"}, GrantTypes: []string{"implicit"}}, []string{"grant_types[0]"}},
			{"refuses the password grant", AppInput{Name: "New", Type: AppWeb, RedirectURIs: []string{"https://example.com/cb"}, GrantTypes: []string{GrantAuthorizationCode, "password"}}, []string{"grant_types[1]"}},
			{"refuses client credentials for a web app", AppInput{Name: "New", Type: AppWeb, RedirectURIs: []string{"https://example.com/cb"}, GrantTypes: []string{GrantClientCredentials}}, []string{"grant_types[0]"}},
			{"refuses the device grant for an spa", AppInput{Name: "New", Type: AppSPA, RedirectURIs: []string{"https://example.com/cb"}, GrantTypes: []string{GrantDeviceCode}}, []string{"grant_types[0]"}},
			{"refuses refresh tokens alone", AppInput{Name: "New", Type: AppWeb, RedirectURIs: []string{"https://example.com/cb"}, GrantTypes: []string{GrantRefreshToken}}, []string{"grant_types"}},
			{"refuses no authentication for a web app", AppInput{Name: "New", Type: AppWeb, RedirectURIs: []string{"https://example.com/cb"}, TokenEndpointAuthMethod: AuthNone}, []string{"token_endpoint_auth_method"}},
			{"refuses a secret method for an spa", AppInput{Name: "New", Type: AppSPA, RedirectURIs: []string{"https://example.com/cb"}, TokenEndpointAuthMethod: AuthClientSecretBasic}, []string{"token_endpoint_auth_method"}},
			{"refuses an unknown type", AppInput{Name: "New", Type: "robot"}, []string{"type"}},
			{"refuses an empty name", AppInput{Name: " ", Type: AppService}, []string{"name"}},
			{"refuses a name of 101 characters", AppInput{Name: strings.Repeat("x", 101), Type: AppService}, []string{"name"}},
			{"refuses a bad tag", AppInput{Name: "New", Type: AppService, Tags: []string{"ok", "Not-OK"}}, []string{"tags[1]"}},
			{"refuses a duplicate tag", AppInput{Name: "New", Type: AppService, Tags: []string{"a", "a"}}, []string{"tags[1]"}},
			{"refuses 21 tags", AppInput{Name: "New", Type: AppService, Tags: tags(21)}, []string{"tags"}},
			{"reports every problem at once", AppInput{Name: "", Type: AppWeb, RedirectURIs: []string{"http://example.com/", "https://x/#"},
				GrantTypes: []string{"implicit"}, Tags: []string{"-"}}, []string{"name", "redirect_uris[0]", "redirect_uris[1]", "grant_types[0]", "tags[0]"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, _, err := e.svc.CreateApp(ctx, tx, ten.ID, tc.in)
					return err
				}), tc.fields...)
			})
		}
		t.Run("refuses a duplicate name, ignoring case", func(t *testing.T) {
			wantConflict(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.svc.CreateApp(ctx, tx, ten.ID, webApp(" TAKEN "))
				return err
			}), "name")
		})
		if a, s := e.count(t, "apps"), e.count(t, "app_secrets"); a != apps || s != secrets {
			t.Fatalf("refused creations left %d apps and %d secrets, want %d and %d", a, s, apps, secrets)
		}
		t.Run("allows the same name in another tenant", func(t *testing.T) {
			e.app(t, e.tenant(t, "other", "").ID, webApp("Taken"))
		})
	})
}

func tags(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("t%d", i))
	}
	return out
}

func TestAppsAreTenantScoped(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		mine, theirs := e.tenant(t, "mine", ""), e.tenant(t, "theirs", "")
		a, _ := e.app(t, mine.ID, webApp("Portal"))
		name := "Stolen"
		for _, tc := range []struct {
			name string
			fn   func(ctx context.Context, tx store.Tx) error
		}{
			{"cannot read another tenant's app", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.App(ctx, tx, theirs.ID, a.ID)
				return err
			}},
			{"cannot update another tenant's app", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateApp(ctx, tx, theirs.ID, a.ID, AppPatch{Name: &name})
				return err
			}},
			{"cannot delete another tenant's app", func(ctx context.Context, tx store.Tx) error {
				return e.svc.DeleteApp(ctx, tx, theirs.ID, a.ID)
			}},
			{"cannot rotate another tenant's secret", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.RotateAppSecret(ctx, tx, theirs.ID, a.ID, 0)
				return err
			}},
			{"cannot list another tenant's secrets", func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.AppSecrets(ctx, tx, theirs.ID, a.ID)
				return err
			}},
			{"cannot create an app in an unknown tenant", func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.svc.CreateApp(ctx, tx, "ten_unknown", webApp("X"))
				return err
			}},
		} {
			t.Run(tc.name, func(t *testing.T) { wantNotFound(t, e.do(t, tc.fn)) })
		}
		list := get(t, e, func(ctx context.Context, tx store.Tx) ([]App, error) {
			l, _, err := e.svc.ListApps(ctx, tx, theirs.ID, AppFilter{})
			return l, err
		})
		if len(list) != 0 {
			t.Fatalf("another tenant lists %d apps", len(list))
		}
	})
}

func TestUpdateApp(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme", "")
		a, _ := e.app(t, ten.ID, AppInput{Name: "Portal", Type: AppWeb, RedirectURIs: []string{"https://a.example.com/cb"}, Tags: []string{"x"}})
		e.app(t, ten.ID, webApp("Other"))
		e.clk.Advance(time.Minute)
		name, uris, none, method := "Portal 2", []string{"https://b.example.com/cb"}, []string(nil), AuthClientSecretPost
		up := get(t, e, func(ctx context.Context, tx store.Tx) (App, error) {
			return e.svc.UpdateApp(ctx, tx, ten.ID, a.ID, AppPatch{Name: &name, RedirectURIs: &uris, Tags: &none, TokenEndpointAuthMethod: &method})
		})
		if up.Name != name || !slices.Equal(up.RedirectURIs, uris) || len(up.Tags) != 0 || up.TokenEndpointAuthMethod != method ||
			up.Type != AppWeb || !up.UpdatedAt.After(a.UpdatedAt) || !up.CreatedAt.Equal(a.CreatedAt) {
			t.Fatalf("updated %+v", up)
		}
		bad, empty, taken := []string{"https://ok.example.com/", "https://*.example.com/"}, []string{}, "other"
		for _, tc := range []struct {
			name  string
			patch AppPatch
			field string
		}{
			{"refuses a bad redirect URI", AppPatch{RedirectURIs: &bad}, "redirect_uris[1]"},
			{"refuses removing every redirect URI of a web app", AppPatch{RedirectURIs: &empty}, "redirect_uris"},
			{"refuses a public auth method for a web app", AppPatch{TokenEndpointAuthMethod: new(AuthNone)}, "token_endpoint_auth_method"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.UpdateApp(ctx, tx, ten.ID, a.ID, tc.patch)
					return err
				}), tc.field)
			})
		}
		t.Run("refuses another app's name", func(t *testing.T) {
			wantConflict(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateApp(ctx, tx, ten.ID, a.ID, AppPatch{Name: &taken})
				return err
			}), "name")
		})
		t.Run("keeps its own name in another case", func(t *testing.T) {
			n := "PORTAL 2"
			get(t, e, func(ctx context.Context, tx store.Tx) (App, error) {
				return e.svc.UpdateApp(ctx, tx, ten.ID, a.ID, AppPatch{Name: &n})
			})
		})
		got := get(t, e, func(ctx context.Context, tx store.Tx) (App, error) { return e.svc.App(ctx, tx, ten.ID, a.ID) })
		if !slices.Equal(got.RedirectURIs, uris) || got.TokenEndpointAuthMethod != method {
			t.Fatalf("refused patches changed the app: %+v", got)
		}
		t.Run("keeps an initiate login URI, and a native app's custom scheme", func(t *testing.T) {
			uri := "https://b.example.com/login?from=lintel"
			up := get(t, e, func(ctx context.Context, tx store.Tx) (App, error) {
				return e.svc.UpdateApp(ctx, tx, ten.ID, a.ID, AppPatch{InitiateLoginURI: &uri})
			})
			read := get(t, e, func(ctx context.Context, tx store.Tx) (App, error) { return e.svc.App(ctx, tx, ten.ID, a.ID) })
			if up.InitiateLoginURI != uri || read.InitiateLoginURI != uri {
				t.Fatalf("initiate login URI %q, read back %q", up.InitiateLoginURI, read.InitiateLoginURI)
			}
			n, _ := e.app(t, ten.ID, AppInput{Name: "Phone", Type: AppNative, RedirectURIs: []string{"com.example.phone:/cb"}, InitiateLoginURI: "com.example.phone:/login"})
			if n.InitiateLoginURI != "com.example.phone:/login" {
				t.Fatalf("native initiate login URI %q", n.InitiateLoginURI)
			}
		})
	})
}

func TestDeleteApp(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme", "")
		a, _ := e.app(t, ten.ID, webApp("A"))
		b, _ := e.app(t, ten.ID, webApp("B"))
		only := OriginInput{Name: "Only A", Origin: "https://a.example.com", AppIDs: []string{a.ID}}
		both := OriginInput{Name: "A and B", Origin: "https://ab.example.com", AppIDs: []string{a.ID, b.ID}}
		anyApp := OriginInput{Name: "Any", Origin: "https://any.example.com"}
		var keep, every TrustedOrigin
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.CreateOrigin(ctx, tx, ten.ID, only)
			if err != nil {
				return err
			}
			if keep, err = e.svc.CreateOrigin(ctx, tx, ten.ID, both); err != nil {
				return err
			}
			every, err = e.svc.CreateOrigin(ctx, tx, ten.ID, anyApp)
			return err
		})
		e.ok(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DeleteApp(ctx, tx, ten.ID, a.ID) })
		wantNotFound(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.AppByClientID(ctx, tx, a.ID)
			return err
		}))
		if n := e.count(t, "app_secrets"); n != 1 {
			t.Fatalf("%d secrets left, want b's", n)
		}
		origins := get(t, e, func(ctx context.Context, tx store.Tx) ([]TrustedOrigin, error) {
			l, _, err := e.svc.ListOrigins(ctx, tx, ten.ID, Page{})
			return l, err
		})
		if len(origins) != 2 || origins[0].ID != keep.ID && origins[1].ID != keep.ID {
			t.Fatalf("origins after delete: %+v", origins)
		}
		for _, o := range origins {
			want := []string{b.ID}
			if o.ID == every.ID {
				want = []string{}
			}
			if !slices.Equal(o.AppIDs, want) {
				t.Fatalf("origin %s apps %q, want %q", o.Name, o.AppIDs, want)
			}
		}
	})
}
