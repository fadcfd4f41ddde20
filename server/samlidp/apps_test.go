package samlidp

import (
	"context"
	"encoding/pem"
	"errors"
	"strconv"
	"testing"

	"github.com/crewjam/saml"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestAppSettings(t *testing.T) {
	t.Parallel()
	_, cert := testCert(t, 0)
	pemCert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	good := func() AppInput {
		return AppInput{SPEntityID: "https://sp.test/meta", ACS: []ACS{{Index: 1, URL: "https://sp.test/acs"}}}
	}
	eachWorld(t, func(t *testing.T, w *world) {
		for i, tc := range []struct {
			name string
			edit func(*AppInput)
			want error
		}{
			{name: "accepts https and defaults", edit: func(*AppInput) {}},
			{name: "accepts http on loopback", edit: func(in *AppInput) { in.ACS[0].URL = "http://127.0.0.1:8080/acs" }},
			{name: "accepts a PEM certificate", edit: func(in *AppInput) { in.SPSigningCert, in.WantSignedRequests = pemCert, true }},
			{name: "refuses a missing entity ID", edit: func(in *AppInput) { in.SPEntityID = " " }, want: ErrInvalid},
			{name: "refuses no ACS", edit: func(in *AppInput) { in.ACS = nil }, want: ErrInvalid},
			{name: "refuses an http ACS off loopback", edit: func(in *AppInput) { in.ACS[0].URL = "http://sp.test/acs" }, want: ErrInvalid},
			{name: "refuses a redirect-binding ACS", edit: func(in *AppInput) { in.ACS[0].Binding = saml.HTTPRedirectBinding }, want: ErrInvalid},
			{name: "refuses duplicate ACS indexes", edit: func(in *AppInput) { in.ACS = append(in.ACS, in.ACS[0]) }, want: ErrInvalid},
			{name: "refuses a bad SLO URL", edit: func(in *AppInput) { in.SLOURL = "javascript:alert(1)" }, want: ErrInvalid},
			{name: "refuses an unknown NameID format", edit: func(in *AppInput) { in.NameIDFormat = "x509" }, want: ErrInvalid},
			{name: "refuses an empty attribute rule", edit: func(in *AppInput) { in.Attributes = map[string]string{"mail": ""} }, want: ErrInvalid},
			{name: "refuses a certificate that is not one", edit: func(in *AppInput) { in.SPSigningCert = []byte("nope") }, want: ErrInvalid},
			{name: "refuses signed requests without a certificate", edit: func(in *AppInput) { in.WantSignedRequests = true }, want: ErrInvalid},
			{name: "refuses the entity ID of another app", edit: func(in *AppInput) { in.SPEntityID = w.sp.EntityID }, want: ErrInvalid},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in := good()
				in.SPEntityID += strconv.Itoa(i)
				tc.edit(&in)
				var got App
				err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
					app, _, err := tenantsOf(w).CreateApp(ctx, tx, w.tenant, appInput(t.Name()))
					if err != nil {
						return err
					}
					got, err = w.svc.PutApp(ctx, tx, w.tenant, app.ID, in)
					return err
				})
				if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				if err == nil && (got.NameIDFormat != NameIDPersistent || got.ACS[0].Binding != saml.HTTPPostBinding || got.IdPInitiated) {
					t.Errorf("defaults = %+v", got)
				}
			})
		}
		t.Run("reads back, replaces and deletes", func(t *testing.T) {
			in := w.input(t)
			in.SLOURL = "https://wiki.example.test/other-slo"
			w.put(t, in)
			got := w.input(t)
			if got.SLOURL != in.SLOURL || got.SPEntityID != w.sp.EntityID || len(got.SPSigningCert) == 0 || got.Attributes["mail"] != "user.email" {
				t.Errorf("read back %+v", got)
			}
			w.must(t, func(ctx context.Context, tx store.Tx) error { return w.svc.DeleteApp(ctx, tx, w.tenant, w.app) })
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.App(ctx, tx, w.tenant, w.app)
				return err
			})
			if !errors.Is(err, ErrNotConfigured) {
				t.Errorf("after delete: %v", err)
			}
		})
		t.Run("refuses an app of another tenant", func(t *testing.T) {
			err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := w.svc.PutApp(ctx, tx, "ten_other", w.app, good())
				return err
			})
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v", err)
			}
		})
	})
}

func TestImportSPMetadata(t *testing.T) {
	t.Parallel()
	w := newWorld(t, storetest.SQLite())
	in, err := ImportSPMetadata(w.spMetadata(t))
	if err != nil {
		t.Fatal(err)
	}
	if in.SPEntityID != w.sp.EntityID || len(in.ACS) != 1 || in.ACS[0].URL != w.sp.AcsURL.String() ||
		!in.WantSignedRequests || len(in.SPSigningCert) == 0 || in.SLOURL != w.sp.SloURL.String() {
		t.Errorf("imported %+v", in)
	}
	for _, doc := range []string{"", "<x/>", `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://a"/>`} {
		if _, err := ImportSPMetadata([]byte(doc)); !errors.Is(err, ErrInvalid) {
			t.Errorf("%q: err = %v, want ErrInvalid", doc, err)
		}
	}
}
