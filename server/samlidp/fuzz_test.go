package samlidp

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// FuzzParseAuthnRequest feeds arbitrary queries and forms to the SSO
// endpoint: nothing may panic, and anything not refused must be a
// request for the app's own ACS.
func FuzzParseAuthnRequest(f *testing.F) {
	w := newWorld(f, storetest.SQLite())
	r, _ := w.redirectRequest(f, nil)
	f.Add(r.URL.RawQuery, false)
	p, _ := w.postRequest(f)
	if err := p.ParseForm(); err != nil {
		f.Fatal(err)
	}
	f.Add(p.PostForm.Encode(), true)
	f.Add("SAMLRequest=%%%", false)
	f.Fuzz(func(t *testing.T, q string, post bool) {
		r := httptest.NewRequest(http.MethodGet, ssoURL(base, w.app), nil)
		r.URL.RawQuery = q
		if post {
			r = httptest.NewRequest(http.MethodPost, ssoURL(base, w.app), strings.NewReader(q))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		req, err := w.parse(t, r)
		if err != nil {
			if !errors.Is(err, ErrRefused) {
				t.Fatalf("err = %v, want ErrRefused", err)
			}
			return
		}
		if req.ACS != w.sp.AcsURL.String() {
			t.Fatalf("accepted ACS %q", req.ACS)
		}
	})
}

// FuzzHandleLogoutRequest does the same for the SLO endpoint.
func FuzzHandleLogoutRequest(f *testing.F) {
	w := newWorld(f, storetest.SQLite())
	u, err := w.sp.MakeRedirectLogoutRequest("nid-1", "bye")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(u.RawQuery)
	f.Add("SAMLRequest=AAAA&SigAlg=x&Signature=y")
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest(http.MethodGet, sloURL(base, w.app), nil)
		r.URL.RawQuery = q
		err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			_, err := w.svc.HandleLogoutRequest(ctx, tx, w.tenant, w.app, base, r)
			return err
		})
		if err != nil && !errors.Is(err, ErrRefused) {
			t.Fatalf("err = %v, want ErrRefused", err)
		}
	})
}

// FuzzImportSPMetadata: nothing panics; what is imported is valid.
func FuzzImportSPMetadata(f *testing.F) {
	w := newWorld(f, storetest.SQLite())
	f.Add(w.spMetadata(f))
	f.Add([]byte(`<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"/>`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		in, err := ImportSPMetadata(doc)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			return
		}
		if _, err := in.check(); err != nil {
			t.Fatalf("imported invalid settings: %v", err)
		}
	})
}
