package bench

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// BenchmarkTokenClientCredentials measures the token endpoint answering
// client_credentials over HTTP on loopback (client_secret_basic, an ES256
// access token, an event in the system log) next to a minimal token
// server doing the essential work (form parse, keyed-hash secret check,
// ES256 signature, JSON) under the same load generator. Compare the
// ns/op of the sub-benchmarks of one run.
func BenchmarkTokenClientCredentials(b *testing.B) {
	b.Run("baseline", func(b *testing.B) {
		srv, form, auth := baselineServer(b)
		load(b, srv, form, auth)
	})
	for _, be := range storetest.Backends() {
		b.Run("lintel-"+be.Name, func(b *testing.B) {
			srv, form, auth := lintelServer(b, be)
			load(b, srv, form, auth)
		})
	}
}

// load posts the token request from parallel clients over keep-alive
// connections and fails on any answer but 200.
func load(b *testing.B, srv *httptest.Server, form url.Values, auth string) {
	tr := &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256}
	b.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}
	body := form.Encode()
	b.SetParallelism(8)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/default/v1/token", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			resp, err := c.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			var out struct {
				AccessToken string `json:"access_token"`
			}
			err = json.NewDecoder(resp.Body).Decode(&out)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || err != nil || out.AccessToken == "" {
				b.Errorf("status %d: %v", resp.StatusCode, err)
				return
			}
		}
	})
}

// lintelServer serves the OpenID provider's token endpoint for one
// tenant with one service app.
func lintelServer(b *testing.B, be storetest.Backend) (*httptest.Server, url.Values, string) {
	ctx := context.Background()
	st := be.Open(b)
	clk := clock.System()
	kek, err := secrets.GenerateKEK(clk.Now())
	if err != nil {
		b.Fatal(err)
	}
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		b.Fatal(err)
	}
	ten := tenant.New(sec, clk, tenant.Options{})
	p, err := oidc.New(oidc.Deps{Store: st, Secrets: sec, Tenants: ten, Servers: authserver.New(clk), Users: noUsers{}, Events: events.New(st, sec, clk), Clock: clk})
	if err != nil {
		b.Fatal(err)
	}
	var app tenant.App
	var secret string
	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		t, err := ten.CreateTenant(ctx, tx, tenant.TenantInput{Slug: "acme", Name: "Acme"})
		if err != nil {
			return err
		}
		app, secret, err = ten.CreateApp(ctx, tx, t.ID, tenant.AppInput{Name: "Robot", Type: tenant.AppService})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(nil)
	iss := oidc.Issuer{TenantID: app.TenantID, Server: oidc.DefaultServer, URL: srv.URL + "/oauth2/default"}
	token := p.Token()
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token.ServeHTTP(w, r.WithContext(oidc.WithIssuer(r.Context(), iss)))
	})
	b.Cleanup(srv.Close)
	return srv, url.Values{"grant_type": {"client_credentials"}}, basicAuth(app.ID, secret)
}

// noUsers is a directory without users: client credentials need none.
type noUsers struct{}

func (noUsers) UserClaims(context.Context, store.Tx, string, string) (oidc.Claims, error) {
	return oidc.Claims{}, store.ErrNotFound
}

// baselineServer is the least a token server must do for the same
// request: parse the form and Basic credentials, check the secret's keyed
// hash in constant time, sign an ES256 JWT and answer JSON.
func baselineServer(b *testing.B) (*httptest.Server, url.Values, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	macKey := make([]byte, 32)
	_, _ = rand.Read(macKey)
	const clientID, secret = "app_baseline", "lsec_baselinesecretbaselinesecret0"
	mac := func(s string) []byte {
		h := hmac.New(sha256.New, macKey)
		h.Write([]byte(s))
		return h.Sum(nil)
	}
	stored := mac(secret)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
			http.Error(w, `{"error":"invalid_request"}`, http.StatusBadRequest)
			return
		}
		id, pw, ok := r.BasicAuth()
		if !ok || id != clientID || !hmac.Equal(mac(pw), stored) {
			http.Error(w, `{"error":"invalid_client"}`, http.StatusUnauthorized)
			return
		}
		now := time.Now()
		tok := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
			"iss": "http://" + r.Host + "/oauth2/default", "sub": clientID, "aud": "http://" + r.Host + "/oauth2/default",
			"client_id": clientID, "scope": "", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": rand.Text(),
		})
		tok.Header["typ"] = "at+jwt"
		tok.Header["kid"] = "k1"
		at, err := tok.SignedString(key)
		if err != nil {
			http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": at, "token_type": "Bearer", "expires_in": 3600, "scope": ""})
	}))
	b.Cleanup(srv.Close)
	return srv, url.Values{"grant_type": {"client_credentials"}}, basicAuth(clientID, secret)
}

func basicAuth(id, secret string) string {
	r := &http.Request{Header: http.Header{}}
	r.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	return r.Header.Get("Authorization")
}
