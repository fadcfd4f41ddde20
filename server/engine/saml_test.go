package engine

import (
	"context"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/samlidp"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

const (
	spEntity = "https://sp.example.test/saml/metadata"
	spACS    = "https://sp.example.test/saml/acs"
)

// withSAML gives v's engine the SAML IdP and makes the third-party app
// (which needs consent for OAuth) a SAML app naming people by email.
func withSAML(t *testing.T, v *env) samlidp.Request {
	t.Helper()
	svc, err := samlidp.New(samlidp.Deps{Secrets: v.e.Secrets, Clock: v.clk})
	if err != nil {
		t.Fatal(err)
	}
	v.e.SAML = svc
	err = v.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		_, err := svc.PutApp(ctx, tx, v.iss.TenantID, v.third.ID, samlidp.AppInput{SPEntityID: spEntity,
			ACS: []samlidp.ACS{{Index: 1, URL: spACS}}, NameIDFormat: samlidp.NameIDEmail,
			Attributes: map[string]string{"mail": "user.email", "app": "app.name"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return samlidp.Request{TenantID: v.iss.TenantID, AppID: v.third.ID, Base: origin, ID: "id-req-1", SPEntityID: spEntity,
		ACS: spACS, Binding: "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", RelayState: "rs", IssueInstant: v.clk.Now()}
}

func (v *env) startSAML(t *testing.T, req samlidp.Request, cookie string) Result {
	t.Helper()
	res, err := v.e.StartSAML(context.Background(), SAMLBegin{Issuer: v.iss, Request: req, App: v.third, Session: cookie,
		Locale: "en", Dir: "ltr", Base: origin})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// respondToken splits a SAML flow's redirect into its flow ID and token.
func respondToken(t *testing.T, v *env, redirect string) (flowID, token string) {
	t.Helper()
	u, err := url.Parse(redirect)
	prefix := origin + SAMLPrefix + v.third.ID + "/respond/"
	if err != nil || !strings.HasPrefix(redirect, prefix) || u.Query().Get("t") == "" {
		t.Fatalf("a SAML flow ended at %q", redirect)
	}
	return strings.TrimPrefix(u.Path, SAMLPrefix+v.third.ID+"/respond/"), u.Query().Get("t")
}

func decodeResponse(t *testing.T, r samlidp.Response) string {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(r.Fields["SAMLResponse"])
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSAMLFlows(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, v *env)
			}{
				{"a SAML sign-in ends in a signed response, once, without consent", testSAMLSignIn},
				{"IsPassive without a session ends in NoPassive", testSAMLPassive},
				{"tickets carry a request only to their app, unchanged and in time", testSAMLTickets},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, newEnv(t, b.New(t))) })
			}
		})
	}
}

func testSAMLSignIn(t *testing.T, v *env) {
	req := withSAML(t, v)
	r := v.startSAML(t, req, "")
	if r.Flow.Step != wire.StepIdentify {
		t.Fatalf("step %s", r.Flow.Step)
	}
	must(t)(v.cont(t, r, ActionNext, FieldLogin, login))
	done := must(t)(v.cont(t, r, ActionSignIn, FieldPassword, password))
	if done.Flow.Step != wire.StepDone || done.SetSession == nil {
		t.Fatalf("after the password: step %s (no consent step for a SAML app), session %v", done.Flow.Step, done.SetSession)
	}
	id, token := respondToken(t, v, done.Flow.Redirect)
	ctx := context.Background()
	for _, bad := range []struct{ app, flow, token string }{
		{v.app.ID, id, token}, {v.third.ID, id, token + "x"}, {v.third.ID, id, ""}, {v.third.ID, "flw_nope", token},
	} {
		if _, err := v.e.SAMLResponse(ctx, v.iss.TenantID, bad.app, bad.flow, bad.token); !errors.Is(err, ErrFlowNotFound) {
			t.Errorf("respond with %+v: %v", bad, err)
		}
	}
	resp, err := v.e.SAMLResponse(ctx, v.iss.TenantID, v.third.ID, id, token)
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeResponse(t, resp)
	for _, want := range []string{`InResponseTo="id-req-1"`, login, "Partner", `Name="mail"`, "status:Success", "SignatureValue"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the response lacks %s:\n%.3000s", want, doc)
		}
	}
	if resp.URL != spACS || resp.Fields["RelayState"] != "rs" {
		t.Errorf("posted to %s with RelayState %q", resp.URL, resp.Fields["RelayState"])
	}
	if _, err := v.e.SAMLResponse(ctx, v.iss.TenantID, v.third.ID, id, token); !errors.Is(err, ErrFlowNotFound) {
		t.Errorf("the same token twice: %v", err)
	}
	// The session answers the next request at once; ForceAuthn asks again.
	again := v.startSAML(t, req, done.SetSession.Value)
	if again.Flow.Step != wire.StepDone {
		t.Errorf("with a session: step %s", again.Flow.Step)
	}
	req.ForceAuthn = true
	if forced := v.startSAML(t, req, done.SetSession.Value); forced.Flow.Step != wire.StepIdentify {
		t.Errorf("ForceAuthn with a session: step %s", forced.Flow.Step)
	}
}

func testSAMLPassive(t *testing.T, v *env) {
	req := withSAML(t, v)
	req.IsPassive = true
	r := v.startSAML(t, req, "")
	if r.Flow.Step != wire.StepDone {
		t.Fatalf("IsPassive: step %s", r.Flow.Step)
	}
	id, token := respondToken(t, v, r.Flow.Redirect)
	resp, err := v.e.SAMLResponse(context.Background(), v.iss.TenantID, v.third.ID, id, token)
	if err != nil {
		t.Fatal(err)
	}
	doc := decodeResponse(t, resp)
	if !strings.Contains(doc, samlidp.StatusNoPassive) || strings.Contains(doc, "Assertion") {
		t.Errorf("IsPassive without a session:\n%.2000s", doc)
	}
}

func testSAMLTickets(t *testing.T, v *env) {
	req := withSAML(t, v)
	ticket := v.e.SAMLTicket(req)
	got, err := v.e.SAMLFromTicket(v.iss.TenantID, v.third.ID, ticket)
	if err != nil || got.ID != req.ID || got.ACS != req.ACS || got.RelayState != req.RelayState {
		t.Fatalf("round trip: %+v %v", got, err)
	}
	body, sig, _ := strings.Cut(ticket, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	forged := base64.RawURLEncoding.EncodeToString([]byte(strings.Replace(string(raw), spACS, "https://evil.example/acs", 1))) + "." + sig
	var lr samlidp.LogoutRequest
	for name, try := range map[string]func() error{
		"another app":    func() error { _, err := v.e.SAMLFromTicket(v.iss.TenantID, v.app.ID, ticket); return err },
		"another tenant": func() error { _, err := v.e.SAMLFromTicket("ten_other", v.third.ID, ticket); return err },
		"changed":        func() error { _, err := v.e.SAMLFromTicket(v.iss.TenantID, v.third.ID, forged); return err },
		"garbage":        func() error { _, err := v.e.SAMLFromTicket(v.iss.TenantID, v.third.ID, "a.b"); return err },
		"another kind":   func() error { return v.e.open(ticketLogout, v.iss.TenantID, v.third.ID, ticket, &lr) },
	} {
		if err := try(); !errors.Is(err, samlidp.ErrRefused) {
			t.Errorf("%s: %v", name, err)
		}
	}
	v.clk.Advance(samlTicketLife + time.Second)
	if _, err := v.e.SAMLFromTicket(v.iss.TenantID, v.third.ID, ticket); !errors.Is(err, samlidp.ErrRefused) {
		t.Errorf("expired: %v", err)
	}
}
