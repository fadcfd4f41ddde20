package engine

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/idptest"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// appOrigin is the page of an app that embeds the widget: flows it
// starts are bound to it until they are handed over to the site.
const appOrigin = "https://app.example.test"

// withIdP gives v's engine a federation service and one OpenID Connect
// provider (an emulator on loopback), and returns the provider's ID.
func withIdP(t *testing.T, v *env) (*idptest.Provider, string) {
	t.Helper()
	emu := idptest.New(t, idptest.OIDC, idptest.Options{Clock: v.clk})
	client := egress.New(egress.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, TLS: &tls.Config{RootCAs: emu.CertPool}}).Client()
	fed, err := federation.New(federation.Deps{Secrets: v.e.Secrets, Directory: v.dir, Tenants: v.tenants, HTTP: client, Clock: v.clk, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	v.e.Federation = fed
	secret := emu.ClientSecret
	var idp federation.IdP
	err = v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		idp, err = fed.CreateIdP(ctx, tx, v.iss.TenantID, federation.IdPInput{Name: "Acme SSO", Kind: federation.KindOIDC, Enabled: true, Secret: &secret,
			Config: federation.Config{Issuer: emu.Issuer, ClientID: emu.ClientID}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return emu, idp.ID
}

// startWidget starts a flow from the app's page, as the widget does.
func (v *env) startWidget(t *testing.T) Result {
	t.Helper()
	b := v.begin("", "")
	b.Origin = appOrigin
	return v.startWith(t, b)
}

func (v *env) contAt(from string, r Result, action string) (Result, error) {
	return v.e.Continue(context.Background(), v.iss, r.Flow.ID, r.Secret, from, wire.ContinueRequest{Action: action}, "")
}

// TestFederatedSignInFromTheWidget follows a widget's flow through an
// identity provider: the provider's button, the handover that binds the
// flow to the site (the app page's secret is void after it), a state
// that matches only its own request and only once, and the return that
// only the holder of the new secret can finish: the account is made
// just in time and linked.
func TestFederatedSignInFromTheWidget(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			v := newEnv(t, b.Open)
			emu, idpID := withIdP(t, v)
			emu.SetUser(idptest.User{Subject: "upstream-7", Email: "grace@corp.example", EmailVerified: true, GivenName: "Grace"})
			ctx := context.Background()

			r := v.startWidget(t)
			if !hasAction(r.Flow, "idp:"+idpID) {
				t.Fatalf("identify offers no button for the provider: %+v", r.Flow.Actions)
			}
			if _, err := v.contAt(appOrigin, r, "idp:idp_unknown"); !errors.Is(err, ErrUnknownAction) {
				t.Fatalf("a provider the flow does not offer: %v", err)
			}
			c, err := v.contAt(appOrigin, r, "idp:"+idpID)
			if err != nil {
				t.Fatal(err)
			}
			redirect := action(c.Flow, ActionRedirect)
			if c.Flow.Step != wire.StepRedirectIdP || redirect.Href != origin+HandoverPath(r.Flow.ID) || redirect.Method != "POST" {
				t.Fatalf("after the choice: step %s, redirect %+v", c.Flow.Step, redirect)
			}

			for _, bad := range []struct{ name, secret, from string }{
				{"another origin", r.Secret, "https://evil.example"},
				{"a wrong secret", "not-the-secret", appOrigin},
			} {
				if _, err := v.e.Handover(ctx, v.iss, r.Flow.ID, bad.secret, bad.from, origin); !errors.Is(err, ErrFlowNotFound) {
					t.Errorf("handover with %s: %v", bad.name, err)
				}
			}
			h, err := v.e.Handover(ctx, v.iss, r.Flow.ID, r.Secret, appOrigin, origin)
			if err != nil {
				t.Fatal(err)
			}
			if h.Secret == "" || h.Secret == r.Secret || !strings.HasPrefix(h.URL, emu.URL) {
				t.Fatalf("handover: new secret %t, URL %s", h.Secret != "" && h.Secret != r.Secret, h.URL)
			}
			if _, err := v.e.Current(ctx, v.iss, r.Flow.ID, r.Secret, appOrigin); !errors.Is(err, ErrFlowNotFound) {
				t.Fatalf("the app page's secret still works after the handover: %v", err)
			}

			callback, params, err := emu.SignIn(h.URL)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(callback, origin+CallbackPath) {
				t.Fatalf("the provider called back %s", callback)
			}
			if len(params.Get("state")) > 80 {
				t.Errorf("state is %d bytes, more than SAML's RelayState allows", len(params.Get("state")))
			}
			forged := cloneValues(params)
			st := forged.Get("state")
			forged.Set("state", st[:len(st)-2]+"AA")
			if _, err := v.e.Callback(ctx, v.iss, forged); !errors.Is(err, ErrStateInvalid) {
				t.Fatalf("a forged state: %v", err)
			}
			if _, err := v.e.Return(ctx, v.iss, r.Flow.ID, h.Secret, origin, ""); err != nil {
				t.Fatalf("return before the callback: %v", err)
			}
			id, err := v.e.Callback(ctx, v.iss, params)
			if err != nil || id != r.Flow.ID {
				t.Fatalf("callback: %q %v", id, err)
			}
			if _, err := v.e.Callback(ctx, v.iss, params); !errors.Is(err, ErrStateInvalid) {
				t.Fatalf("the same callback twice: %v", err)
			}
			if _, err := v.e.Return(ctx, v.iss, r.Flow.ID, r.Secret, appOrigin, ""); !errors.Is(err, ErrFlowNotFound) {
				t.Fatalf("return with the app page's secret: %v", err)
			}
			done, err := v.e.Return(ctx, v.iss, r.Flow.ID, h.Secret, origin, "")
			if err != nil {
				t.Fatal(err)
			}
			if done.Flow.Step != wire.StepDone || !strings.HasPrefix(done.Flow.Redirect, "https://app.example.test/cb?code=") || done.SetSession == nil {
				t.Fatalf("return: step %s, redirect %q, session %v, messages %s", done.Flow.Step, done.Flow.Redirect, done.SetSession != nil, messageIDs(done.Flow))
			}
			err = v.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
				u, err := v.dir.UserByIdentity(ctx, tx, v.iss.TenantID, idpID, "upstream-7")
				if err != nil {
					return err
				}
				if u.Email != "grace@corp.example" || !u.EmailVerified || u.GivenName != "Grace" {
					t.Errorf("the account made just in time: %+v", u)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestFederatedSignInRefusals: a provider that declines, and an
// assertion whose email an account holds without either side vouching
// for it, come back to the person as localized messages; nothing is
// linked or created.
func TestFederatedSignInRefusals(t *testing.T) {
	v := newEnv(t, storetest.SQLite().Open)
	emu, idpID := withIdP(t, v)
	ctx := context.Background()
	through := func(t *testing.T) (Result, Result) {
		t.Helper()
		r := v.start(t, "", "")
		c := must(t)(v.contAt(origin, r, "idp:"+idpID))
		if !chosen(c.Flow) {
			t.Fatalf("not handed over: %+v", c.Flow)
		}
		h, err := v.e.Handover(ctx, v.iss, r.Flow.ID, r.Secret, origin, origin)
		if err != nil {
			t.Fatal(err)
		}
		if h.Secret != "" {
			t.Fatal("a flow of the site itself got a new secret")
		}
		_, params, err := emu.SignIn(h.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.e.Callback(ctx, v.iss, params); err != nil {
			t.Fatal(err)
		}
		return r, must(t)(v.e.Return(ctx, v.iss, r.Flow.ID, r.Secret, origin, ""))
	}

	emu.Deny()
	if _, got := through(t); got.Flow.Step != wire.StepIdentify || messageIDs(got.Flow) != "federation.error.denied" {
		t.Errorf("declined: step %s, messages %s", got.Flow.Step, messageIDs(got.Flow))
	}

	// A mapping that fails on what the provider sent.
	setMapping := func(m map[string]string) {
		t.Helper()
		err := v.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
			idp, err := v.e.Federation.IdP(ctx, tx, v.iss.TenantID, idpID)
			if err != nil {
				return err
			}
			cfg := idp.Config
			cfg.Mapping = m
			_, err = v.e.Federation.UpdateIdP(ctx, tx, v.iss.TenantID, idpID, federation.IdPInput{Name: idp.Name, Kind: idp.Kind, Enabled: true, Config: cfg})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setMapping(map[string]string{"email": "email", "given_name": "claims.department + ' team'"})
	emu.SetUser(idptest.User{Subject: "upstream-10", Email: "new@corp.example", EmailVerified: true})
	if _, got := through(t); got.Flow.Step != wire.StepIdentify || messageIDs(got.Flow) != "federation.error.invalid" {
		t.Errorf("a failing mapping: step %s, messages %s", got.Flow.Step, messageIDs(got.Flow))
	}
	setMapping(nil)

	// The seeded account's address is unverified, and so is the
	// provider's: the person must prove the account; nothing is linked.
	emu.SetUser(idptest.User{Subject: "upstream-8", Email: login, EmailVerified: false})
	r, got := through(t)
	if got.Flow.Step != wire.StepChallengePassword || !strings.Contains(messageIDs(got.Flow), MsgIdPLinkProve) {
		t.Errorf("an account holding the address: step %s, messages %s", got.Flow.Step, messageIDs(got.Flow))
	}
	err := v.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		if _, err := v.dir.UserByIdentity(ctx, tx, v.iss.TenantID, idpID, "upstream-8"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("linked before any proof: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A wrong password links nothing; the account's own links it.
	for _, pw := range []string{"not it", password} {
		res := must(t)(v.e.Continue(ctx, v.iss, r.Flow.ID, r.Secret, origin,
			wire.ContinueRequest{Action: ActionSignIn, Values: []wire.Param{{Name: FieldPassword, Value: pw}}}, ""))
		err := v.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
			u, err := v.dir.UserByIdentity(ctx, tx, v.iss.TenantID, idpID, "upstream-8")
			switch {
			case pw != password && !errors.Is(err, store.ErrNotFound):
				t.Errorf("linked after a wrong password: %v", err)
			case pw == password && (err != nil || u.ID != v.userID || res.Flow.Step != wire.StepDone):
				t.Errorf("after the proof: linked to %q (%v), step %s", u.ID, err, res.Flow.Step)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func action(f wire.Flow, name string) wire.Action {
	for _, a := range f.Actions {
		if a.Name == name {
			return a
		}
	}
	return wire.Action{}
}

func chosen(f wire.Flow) bool { return f.Step == wire.StepRedirectIdP && hasAction(f, ActionRedirect) }

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TestJustInTimeAsksForWhatTheProviderLacks: the user type of accounts
// made just in time requires an attribute the provider does not give;
// the person fills it in on the profile step, and only then is the
// account made, linked and signed in.
func TestJustInTimeAsksForWhatTheProviderLacks(t *testing.T) {
	v := newEnv(t, storetest.SQLite().Open)
	emu, idpID := withIdP(t, v)
	emu.SetUser(idptest.User{Subject: "upstream-9", Email: "hedy@corp.example", EmailVerified: true, GivenName: "Hedy"})
	ctx := context.Background()
	err := v.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		typ, err := v.dir.CreateUserType(ctx, tx, v.iss.TenantID, directory.UserTypeInput{
			Name:   "employee",
			Schema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["department"],"properties":{"department":{"type":"string","minLength":1,"maxLength":50}}}`),
		})
		if err != nil {
			return err
		}
		idp, err := v.e.Federation.IdP(ctx, tx, v.iss.TenantID, idpID)
		if err != nil {
			return err
		}
		cfg := idp.Config
		cfg.UserType = typ.ID
		_, err = v.e.Federation.UpdateIdP(ctx, tx, v.iss.TenantID, idpID, federation.IdPInput{Name: idp.Name, Kind: idp.Kind, Enabled: true, Config: cfg})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	r := v.start(t, "", "")
	must(t)(v.contAt(origin, r, "idp:"+idpID))
	h, err := v.e.Handover(ctx, v.iss, r.Flow.ID, r.Secret, origin, origin)
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := emu.SignIn(h.URL)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.e.Callback(ctx, v.iss, params); err != nil {
		t.Fatal(err)
	}
	got := must(t)(v.e.Return(ctx, v.iss, r.Flow.ID, r.Secret, origin, ""))
	if got.Flow.Step != wire.StepProfile || len(got.Flow.Fields) != 1 || got.Flow.Fields[0].Name != "department" || !got.Flow.Fields[0].Required {
		t.Fatalf("not asked for the department: step %s, fields %+v", got.Flow.Step, got.Flow.Fields)
	}
	linked := func() bool {
		var ok bool
		_ = v.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
			u, err := v.dir.UserByIdentity(ctx, tx, v.iss.TenantID, idpID, "upstream-9")
			ok = err == nil && u.Profile["department"] == "Research" && u.GivenName == "Hedy"
			return nil
		})
		return ok
	}
	if linked() {
		t.Fatal("the account exists before the profile step")
	}
	save := func(value string) Result {
		return must(t)(v.e.Continue(ctx, v.iss, r.Flow.ID, r.Secret, origin,
			wire.ContinueRequest{Action: ActionSave, Values: []wire.Param{{Name: "department", Value: value}}}, ""))
	}
	if res := save(""); res.Flow.Step != wire.StepProfile || messageIDs(res.Flow) == "" {
		t.Fatalf("an empty department: step %s, messages %q", res.Flow.Step, messageIDs(res.Flow))
	}
	if res := save("Research"); res.Flow.Step != wire.StepDone || res.SetSession == nil || !linked() {
		t.Fatalf("after the profile step: step %s, session %v, linked %v, messages %s", res.Flow.Step, res.SetSession != nil, linked(), messageIDs(res.Flow))
	}
}
