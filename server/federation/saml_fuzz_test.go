package federation

import (
	"context"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// FuzzSAMLIdPForResponse feeds SAMLIdPForResponse (and so the bounded
// decoding and the Issuer peek, the parsers of outside input it runs
// before anything is verified) arbitrary POSTed values. It must never
// fail otherwise than ErrInvalid or ErrNotFound, and only ever pick the
// tenant's IdP for a response naming its entity ID.
func FuzzSAMLIdPForResponse(f *testing.F) {
	w := newSAMLWorld(f, storetest.SQLite())
	md, err := w.svc.saml.idpMetadata(w.idp)
	if err != nil {
		f.Fatal(err)
	}
	enc := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	const p, a = `xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"`, `xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"`
	for _, seed := range []string{
		w.browse(f, w.srv.URL+"/start").Get("SAMLResponse"),
		enc(`<samlp:Response ` + p + ` ` + a + `><saml:Issuer>` + md.EntityID + `</saml:Issuer></samlp:Response>`),
		enc(`<samlp:Response ` + p + ` ` + a + `><saml:Assertion><saml:Issuer> ` + md.EntityID + ` </saml:Issuer></saml:Assertion></samlp:Response>`),
		enc(`<samlp:Response ` + p + ` ` + a + `><saml:Issuer>https://other.test</saml:Issuer></samlp:Response>`),
		enc(`<samlp:Response ` + p + `><Issuer>` + md.EntityID + `</Issuer></samlp:Response>`),
		enc(`<samlp:LogoutRequest ` + p + ` ` + a + `><saml:Issuer>` + md.EntityID + `</saml:Issuer></samlp:LogoutRequest>`),
		enc(`<!DOCTYPE r [<!ENTITY a "b">]><r>&a;</r>`),
		"", "%%%", "PD94", enc(`<samlp:Response ` + p + `>`),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var got IdP
		err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) (err error) {
			got, err = w.svc.SAMLIdPForResponse(ctx, tx, w.tenant, in)
			return err
		})
		switch {
		case err == nil && got.ID != w.idp.ID:
			t.Fatalf("picked %q, the tenant's only IdP is %q", got.ID, w.idp.ID)
		case err == nil:
			doc, _ := decodeSAMLResponse(in)
			if issuer, _ := samlResponseIssuer(doc); issuer != md.EntityID {
				t.Fatalf("picked the IdP for issuer %q", issuer)
			}
		case !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrNotFound):
			t.Fatalf("SAMLIdPForResponse(%q) = %v, want ErrInvalid or ErrNotFound", in, err)
		}
	})
}
