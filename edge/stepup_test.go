package edge

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	otptotp "github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine"
	"github.com/lintel-id/lintel/server/factor/totp"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestStepUpTokens checks amr (RFC 8176) and acr in ID tokens verified by
// go-oidc: a password sign-in is one factor; the same browser asking for
// acr_values=urn:lintel:loa:2fa proves only its authenticator app on top
// (a step-up of the session, not a new sign-in); asking for "phr", which
// the policy cannot reach (it allows no passkey), answers from the
// session with the class it has.
func TestStepUpTokens(t *testing.T) {
	const key = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	clk := clock.NewFake(time.Now().UTC().Truncate(time.Second))
	w := newSiteWorld(t, storetest.SQLite(), clk)
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if _, err := w.policies.PutSignOnPolicy(ctx, tx, w.acme.ID, w.app.ID, []policy.Rule{{Name: "apps", Access: policy.AccessAllow,
			Authenticators: []string{policy.AuthPassword, policy.AuthTOTP}, Factors: 1}}); err != nil {
			return err
		}
		c, err := w.dir.AddCredential(ctx, tx, w.acme.ID, w.userID, directory.CredentialInput{Type: directory.CredentialTOTP, Secret: "pending"})
		if err != nil {
			return err
		}
		seed, err := totp.ParseSeed(key, "", 0, 0)
		if err != nil {
			return err
		}
		stored, err := w.engine.TOTP.Seal(c.ID, seed)
		if err != nil {
			return err
		}
		return w.dir.SwapCredentialSecret(ctx, tx, w.acme.ID, w.userID, c.ID, "pending", stored, true)
	})
	if err != nil {
		t.Fatal(err)
	}
	browser := w.browser(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(w.logs.buf.String())
		}
	})
	ctx := gooidc.ClientContext(context.Background(), w.srv.Client())
	provider, err := gooidc.NewProvider(ctx, w.srv.URL+"/oauth2/default")
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		ACRs []string `json:"acr_values_supported"`
	}
	if err := provider.Claims(&meta); err != nil || !slices.Equal(meta.ACRs, oidc.ACRValues) {
		t.Fatalf("acr_values_supported %v (%v)", meta.ACRs, err)
	}
	verifier := provider.Verifier(&gooidc.Config{ClientID: w.app.ID, Now: clk.Now})
	conf := oauth2.Config{ClientID: w.app.ID, ClientSecret: w.secret, Endpoint: provider.Endpoint(), RedirectURL: rpCallback, Scopes: []string{gooidc.ScopeOpenID}}

	// signIn runs an authorization asking for acr (none when ""), answering
	// the pages it meets, and returns the verified ID token's claims and
	// the pages' steps.
	signIn := func(t *testing.T, acr string) (claims struct {
		AMR      []string `json:"amr"`
		ACR      string   `json:"acr"`
		AuthTime int64    `json:"auth_time"`
	}, steps []string) {
		t.Helper()
		pkce := oauth2.GenerateVerifier()
		opts := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(pkce), gooidc.Nonce("n")}
		if acr != "" {
			opts = append(opts, oauth2.SetAuthURLParam("acr_values", acr))
		}
		status, h, _ := get(t, browser, conf.AuthCodeURL("st", opts...))
		if status != http.StatusSeeOther {
			t.Fatalf("authorize: %d", status)
		}
		loc := h.Get("Location")
		for range 6 {
			if !strings.HasPrefix(loc, "/signin/") {
				break
			}
			page := w.srv.URL + loc
			_, _, body := get(t, browser, page)
			form := formFields(body)
			step := between(body, `data-step="`, `"`)
			steps = append(steps, step)
			switch step {
			case "identify":
				form.Set("action", engine.ActionNext)
				form.Set("login", alice)
			case "challenge-password":
				form.Set("action", engine.ActionSignIn)
				form.Set("password", alicePass)
			case "challenge-totp":
				code, err := otptotp.GenerateCode(key, clk.Now())
				if err != nil {
					t.Fatal(err)
				}
				form.Set("action", engine.ActionVerify)
				form.Set("code", code)
			default:
				t.Fatalf("unexpected step %q:\n%s", step, body)
			}
			status, h, body = postForm(t, browser, page, form, "Origin", w.srv.URL)
			if status != http.StatusSeeOther {
				t.Fatalf("POST %s: %d %s", loc, status, body)
			}
			loc = h.Get("Location")
		}
		cb, err := url.Parse(loc)
		if err != nil || !strings.HasPrefix(loc, rpCallback) {
			t.Fatalf("ended at %q", loc)
		}
		tok, err := conf.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(pkce))
		if err != nil {
			t.Fatal(err)
		}
		if err := verifyID(ctx, t, verifier, tok, "n").Claims(&claims); err != nil {
			t.Fatal(err)
		}
		return claims, steps
	}

	first, steps := signIn(t, "")
	if !slices.Equal(steps, []string{"identify", "challenge-password"}) || !slices.Equal(first.AMR, []string{"pwd"}) || first.ACR != oidc.ACROneFactor {
		t.Fatalf("password sign-in: steps %v amr %v acr %q", steps, first.AMR, first.ACR)
	}
	clk.Advance(time.Minute)
	up, steps := signIn(t, oidc.ACRTwoFactors)
	if !slices.Equal(steps, []string{"challenge-totp"}) || !slices.Equal(up.AMR, []string{"pwd", "otp", "mfa"}) || up.ACR != oidc.ACRTwoFactors ||
		up.AuthTime <= first.AuthTime {
		t.Fatalf("step-up: steps %v amr %v acr %q auth_time %d (first %d)", steps, up.AMR, up.ACR, up.AuthTime, first.AuthTime)
	}
	clk.Advance(time.Minute)
	if again, steps := signIn(t, oidc.ACRTwoFactors); len(steps) != 0 || again.ACR != oidc.ACRTwoFactors || again.AuthTime != up.AuthTime {
		t.Fatalf("a stepped-up session is reused: steps %v acr %q", steps, again.ACR)
	}
	if out, steps := signIn(t, oidc.ACRPhishingResistant); len(steps) != 0 || out.ACR != oidc.ACRTwoFactors {
		t.Fatalf("an unreachable class: steps %v acr %q, want the session's %q", steps, out.ACR, oidc.ACRTwoFactors)
	}
}

// between returns the text of s after the first before and up to the
// next after ("" when absent).
func between(s, before, after string) string {
	i := strings.Index(s, before)
	if i < 0 {
		return ""
	}
	s = s[i+len(before):]
	if j := strings.Index(s, after); j >= 0 {
		return s[:j]
	}
	return ""
}
