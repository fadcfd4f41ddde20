package samlidp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml"
	dsig "github.com/russellhaering/goxmldsig"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// ada is who signs in.
var ada = Subject{UserID: "u-1", Email: "ada@example.com", SessionIndex: "s-1", AuthnInstant: t0.Add(-time.Minute),
	Attributes: map[string][]string{"mail": {"ada@example.com"}, "groups": {"staff", "admins"}}}

func TestSPInitiated(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		for _, tc := range []struct {
			name   string
			signed bool
			post   bool
		}{
			{"accepts a signed redirect request", true, false},
			{"accepts a signed post request", true, true},
			{"accepts an unsigned redirect request", false, false},
			{"accepts an unsigned post request", false, true},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := w.input(t)
				in.WantSignedRequests = tc.signed
				w.put(t, in)
				w.sp.SignatureMethod = ""
				if tc.signed {
					w.sp.SignatureMethod = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
				}
				r, id := w.redirectRequest(t, nil)
				binding := saml.HTTPRedirectBinding
				if tc.post {
					r, id = w.postRequest(t)
					binding = saml.HTTPPostBinding
				}
				req, err := w.parse(t, r)
				if err != nil {
					t.Fatal(err)
				}
				// The engine keeps it in the flow as JSON.
				b, err := json.Marshal(req)
				if err != nil {
					t.Fatal(err)
				}
				var kept Request
				if err := json.Unmarshal(b, &kept); err != nil {
					t.Fatal(err)
				}
				if kept.ID != id || kept.ACS != w.sp.AcsURL.String() || kept.Binding != binding || kept.RelayState != "state-1" {
					t.Errorf("request = %+v", kept)
				}
				resp := w.respond(t, kept, ada)
				if resp.URL != w.sp.AcsURL.String() || resp.Fields["RelayState"] != "state-1" {
					t.Errorf("response = %s %v", resp.URL, resp.Fields["RelayState"])
				}
				a, err := w.deliver(t, resp, id)
				if err != nil {
					t.Fatalf("SP refused: %v", spErr(err))
				}
				if got := attr(a, "groups"); !slices.Equal(got, []string{"staff", "admins"}) {
					t.Errorf("groups = %v", got)
				}
				if got := attr(a, "mail"); !slices.Equal(got, []string{"ada@example.com"}) {
					t.Errorf("mail = %v", got)
				}
				st := a.AuthnStatements[0]
				if st.SessionIndex != "s-1" || !st.AuthnInstant.Equal(ada.AuthnInstant) {
					t.Errorf("authn statement = %+v", st)
				}
				if a.Conditions.NotOnOrAfter.Sub(t0) != assertionLife {
					t.Errorf("NotOnOrAfter = %s", a.Conditions.NotOnOrAfter)
				}
			})
		}
	})
}

func TestNameIDFormats(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		nameID := func(t *testing.T, f NameIDFormat, sub Subject) *saml.NameID {
			t.Helper()
			in := w.input(t)
			in.NameIDFormat = f
			w.put(t, in)
			r, id := w.redirectRequest(t, nil)
			req, err := w.parse(t, r)
			if err != nil {
				t.Fatal(err)
			}
			a, err := w.deliver(t, w.respond(t, req, sub), id)
			if err != nil {
				t.Fatalf("SP refused: %v", spErr(err))
			}
			return a.Subject.NameID
		}
		t.Run("email", func(t *testing.T) {
			n := nameID(t, NameIDEmail, ada)
			if n.Value != "ada@example.com" || n.Format != string(saml.EmailAddressNameIDFormat) {
				t.Errorf("name id = %+v", n)
			}
		})
		t.Run("persistent is stable per person and app", func(t *testing.T) {
			a, b := nameID(t, NameIDPersistent, ada), nameID(t, NameIDPersistent, ada)
			other := ada
			other.UserID = "u-2"
			c := nameID(t, NameIDPersistent, other)
			if a.Format != string(saml.PersistentNameIDFormat) || a.Value != b.Value || a.Value == c.Value || a.Value == "u-1" {
				t.Errorf("name ids = %+v %+v %+v", a, b, c)
			}
		})
		t.Run("transient changes every response", func(t *testing.T) {
			a, b := nameID(t, NameIDTransient, ada), nameID(t, NameIDTransient, ada)
			if a.Format != string(saml.TransientNameIDFormat) || a.Value == b.Value {
				t.Errorf("name ids = %+v %+v", a, b)
			}
		})
	})
}

func TestRefusedRequests(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		other, _ := testCert(t, 1)
		for _, tc := range []struct {
			name    string
			prepare func(*world)
			edit    func(*saml.AuthnRequest)
			after   func(*world)
		}{
			{name: "refuses an unknown SP", edit: func(r *saml.AuthnRequest) { r.Issuer.Value = "https://evil.test/sp" }},
			{name: "refuses an ACS not the app's", edit: func(r *saml.AuthnRequest) {
				r.AssertionConsumerServiceURL = "https://evil.test/acs"
			}},
			{name: "refuses an ACS index not the app's", edit: func(r *saml.AuthnRequest) {
				r.AssertionConsumerServiceURL, r.AssertionConsumerServiceIndex = "", "7"
			}},
			{name: "refuses another destination", edit: func(r *saml.AuthnRequest) { r.Destination = base + "/saml/other/sso" }},
			{name: "refuses a stale request", after: func(w *world) { w.clk.Advance(10 * time.Minute) }},
			{name: "refuses a request from the future", edit: func(r *saml.AuthnRequest) { r.IssueInstant = t0.Add(time.Hour) }},
			{name: "refuses a bad signature", prepare: func(w *world) { w.sp.Key = other }},
			{name: "refuses an unsigned request when the app wants it signed", prepare: func(w *world) { w.sp.SignatureMethod = "" }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				w.clk.Set(t0)
				key, method := w.sp.Key, w.sp.SignatureMethod
				defer func() { w.sp.Key, w.sp.SignatureMethod = key, method }()
				if tc.prepare != nil {
					tc.prepare(w)
				}
				r, _ := w.redirectRequest(t, tc.edit)
				if tc.after != nil {
					tc.after(w)
				}
				_, err := w.parse(t, r)
				if !errors.Is(err, ErrRefused) {
					t.Errorf("err = %v, want ErrRefused", err)
				}
			})
		}
		t.Run("refuses garbage", func(t *testing.T) {
			w.clk.Set(t0)
			r, _ := http.NewRequest(http.MethodGet, ssoURL(base, w.app)+"?SAMLRequest=%%%", nil)
			if _, err := w.parse(t, r); !errors.Is(err, ErrRefused) {
				t.Errorf("err = %v, want ErrRefused", err)
			}
		})
		t.Run("refuses an app without SAML", func(t *testing.T) {
			r, _ := w.redirectRequest(t, nil)
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.ParseAuthnRequest(ctx, tx, w.tenant, "app-none", base, r)
				return err
			})
			if !errors.Is(err, ErrNotConfigured) {
				t.Errorf("err = %v, want ErrNotConfigured", err)
			}
		})
	})
}

func TestIdPInitiated(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		unsolicited := func() (Response, error) {
			var resp Response
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				var err error
				resp, err = w.svc.RespondUnsolicited(ctx, tx, w.tenant, w.app, base, "/home", ada)
				return err
			})
			return resp, err
		}
		if _, err := unsolicited(); !errors.Is(err, ErrUnsolicited) {
			t.Fatalf("err = %v, want ErrUnsolicited", err)
		}
		in := w.input(t)
		in.IdPInitiated = true
		w.put(t, in)
		resp, err := unsolicited()
		if err != nil {
			t.Fatal(err)
		}
		w.sp.AllowIDPInitiated = true
		a, err := w.deliver(t, resp)
		if err != nil {
			t.Fatalf("SP refused: %v", spErr(err))
		}
		if resp.Fields["RelayState"] != "/home" || a.Subject.SubjectConfirmations[0].SubjectConfirmationData.InResponseTo != "" {
			t.Errorf("response = %v, assertion subject = %+v", resp.Fields, a.Subject)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		signingCerts := func() []string {
			var out []string
			for _, k := range w.sp.IDPMetadata.IDPSSODescriptors[0].KeyDescriptors {
				if k.Use != "signing" {
					t.Errorf("published a %q key", k.Use)
				}
				out = append(out, k.KeyInfo.X509Data.X509Certificates[0].Data)
			}
			return out
		}
		first := signingCerts()
		if len(first) != 1 {
			t.Fatalf("certificates before rotation = %d", len(first))
		}
		rotate := func() {
			w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.Rotate(ctx, tx, w.tenant) })
		}
		rotate() // next key published, not signing
		oldMeta := w.sp.IDPMetadata
		w.refresh(t)
		midMeta := w.sp.IDPMetadata
		both := signingCerts()
		if len(both) != 2 || both[0] != first[0] {
			t.Fatalf("after first rotation: %d certificates, current first = %v", len(both), both[0] == first[0])
		}
		// Still signed by the old key: the SP with the old metadata accepts.
		w.sp.IDPMetadata = oldMeta
		w.signIn(t)
		w.refresh(t)

		rotate() // next becomes current, old retired but published
		w.clk.Advance(time.Hour)
		w.sp.Clock = dsig.NewFakeClockAt(w.clk.Now())
		w.refresh(t)
		after := signingCerts()
		if len(after) != 2 || after[0] != both[1] || after[1] != first[0] {
			t.Fatalf("after second rotation: certificates not (next, old)")
		}
		w.signIn(t)

		// An SP that fetched metadata after the first rotation verifies the
		// new key's signature.
		w.sp.IDPMetadata = midMeta
		w.signIn(t)

		// The old key leaves the metadata after the overlap.
		w.clk.Advance(retiredOverlap)
		w.sp.Clock = dsig.NewFakeClockAt(w.clk.Now())
		w.refresh(t)
		if got := signingCerts(); len(got) != 1 || got[0] != both[1] {
			t.Errorf("after the overlap: %d certificates", len(got))
		}
	})
}

// signIn runs one SP-initiated sign-in that the SP must accept.
func (w *world) signIn(t *testing.T) {
	t.Helper()
	r, id := w.redirectRequest(t, nil)
	req, err := w.parse(t, r)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.deliver(t, w.respond(t, req, ada), id); err != nil {
		t.Fatalf("SP refused: %v", spErr(err))
	}
}

// input is the app's current settings as an input.
func (w *world) input(t testing.TB) AppInput {
	t.Helper()
	a := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (App, error) { return w.svc.App(ctx, tx, w.tenant, w.app) })
	return AppInput{SPEntityID: a.SPEntityID, ACS: a.ACS, SPSigningCert: a.SPSigningCert, WantSignedRequests: a.WantSignedRequests,
		NameIDFormat: a.NameIDFormat, Attributes: a.Attributes, IdPInitiated: a.IdPInitiated, SLOURL: a.SLOURL}
}

// attr returns the values of the named attribute.
func attr(a *saml.Assertion, name string) []string {
	var out []string
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if at.Name == name {
				for _, v := range at.Values {
					out = append(out, v.Value)
				}
			}
		}
	}
	return out
}

// spErr unwraps crewjam's private reason.
func spErr(err error) error {
	var ire *saml.InvalidResponseError
	if errors.As(err, &ire) {
		return ire.PrivateErr
	}
	return err
}

func TestSingleLogout(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		handle := func(r *http.Request) (LogoutRequest, error) {
			var lr LogoutRequest
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				var err error
				lr, err = w.svc.HandleLogoutRequest(ctx, tx, w.tenant, w.app, base, r)
				return err
			})
			return lr, err
		}
		u, err := w.sp.MakeRedirectLogoutRequest("nid-1", "bye")
		if err != nil {
			t.Fatal(err)
		}
		lr, err := handle(httptest.NewRequest(http.MethodGet, u.String(), nil))
		if err != nil {
			t.Fatal(err)
		}
		if lr.NameID != "nid-1" || lr.RelayState != "bye" || lr.ID == "" {
			t.Errorf("logout request = %+v", lr)
		}
		to := storetest.Get(t, w.st, func(ctx context.Context, tx store.Tx) (string, error) {
			return w.svc.LogoutResponse(ctx, tx, lr, "")
		})
		if !strings.HasPrefix(to, w.sp.SloURL.String()+"?") {
			t.Fatalf("logout response to %s", to)
		}
		resp, err := w.sp.ParseLogoutResponse(httptest.NewRequest(http.MethodGet, to, nil), []string{lr.ID})
		if err != nil {
			t.Fatalf("SP refused our logout response: %v", spErr(err))
		}
		if resp.Status.StatusCode.Value != saml.StatusSuccess {
			t.Errorf("status = %s", resp.Status.StatusCode.Value)
		}

		t.Run("refuses a logout request signed with another key", func(t *testing.T) {
			key := w.sp.Key
			defer func() { w.sp.Key = key }()
			w.sp.Key, _ = testCert(t, 1)
			u, err := w.sp.MakeRedirectLogoutRequest("nid-1", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := handle(httptest.NewRequest(http.MethodGet, u.String(), nil)); !errors.Is(err, ErrRefused) {
				t.Errorf("err = %v, want ErrRefused", err)
			}
		})
		t.Run("refuses a stale logout request", func(t *testing.T) {
			u, err := w.sp.MakeRedirectLogoutRequest("nid-1", "")
			if err != nil {
				t.Fatal(err)
			}
			w.clk.Advance(10 * time.Minute)
			defer w.clk.Set(t0)
			if _, err := handle(httptest.NewRequest(http.MethodGet, u.String(), nil)); !errors.Is(err, ErrRefused) {
				t.Errorf("err = %v, want ErrRefused", err)
			}
		})
		t.Run("refuses an unsigned logout request", func(t *testing.T) {
			m := w.sp.SignatureMethod
			defer func() { w.sp.SignatureMethod = m }()
			w.sp.SignatureMethod = ""
			u, err := w.sp.MakeRedirectLogoutRequest("nid-1", "")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := handle(httptest.NewRequest(http.MethodGet, u.String(), nil)); !errors.Is(err, ErrRefused) {
				t.Errorf("err = %v, want ErrRefused", err)
			}
		})
	})
}

func TestACSByIndex(t *testing.T) {
	t.Parallel()
	eachWorld(t, func(t *testing.T, w *world) {
		in := w.input(t)
		in.ACS = append(in.ACS, ACS{Index: 9, URL: "https://wiki.example.test/saml/acs2"})
		w.put(t, in)
		r, _ := w.redirectRequest(t, func(r *saml.AuthnRequest) {
			r.AssertionConsumerServiceURL, r.AssertionConsumerServiceIndex, r.ProtocolBinding = "", "9", ""
		})
		req, err := w.parse(t, r)
		if err != nil {
			t.Fatal(err)
		}
		if req.ACS != "https://wiki.example.test/saml/acs2" {
			t.Errorf("ACS = %s", req.ACS)
		}
		// Removed meanwhile: the response is refused.
		w.put(t, w.inputWithout(t, 9))
		err = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			_, err := w.svc.Respond(ctx, tx, req, ada)
			return err
		})
		if !errors.Is(err, ErrRefused) {
			t.Errorf("err = %v, want ErrRefused", err)
		}
	})
}

// inputWithout is the app's settings without the ACS of that index.
func (w *world) inputWithout(t testing.TB, index int) AppInput {
	t.Helper()
	in := w.input(t)
	in.ACS = slices.DeleteFunc(in.ACS, func(a ACS) bool { return a.Index == index })
	return in
}
