package samlidp

import (
	"context"
	"encoding/pem"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/crewjam/saml"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/oidc/authserver"
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

func TestAppAttributeRules(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		attrs map[string]string
		field string // the refused field; "" when accepted
	}{
		{name: "accepts claim expressions", attrs: map[string]string{
			"mail": "user.email", "groups": "groups", "urn:oid:2.5.4.11": "user.profile.department",
			"nick": "has(user.profile.nick) ? user.profile.nick : null", "app": `app.name + "/" + request.grant_type`,
			"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name": "user.name",
		}},
		{name: "accepts a name of 256 characters", attrs: map[string]string{strings.Repeat("é", 256): "user.id"}},
		{name: "refuses an empty expression", attrs: map[string]string{"mail": ""}, field: "attributes.mail"},
		{name: "refuses a bare attribute name, which is no variable", attrs: map[string]string{"mail": "email"}, field: "attributes.mail"},
		{name: "refuses a syntax error", attrs: map[string]string{"mail": "user.email +"}, field: "attributes.mail"},
		{name: "refuses an unknown variable", attrs: map[string]string{"sid": "session.id"}, field: "attributes.sid"},
		{name: "refuses a type claims cannot carry", attrs: map[string]string{"at": `timestamp("2026-01-01T00:00:00Z")`}, field: "attributes.at"},
		{name: "refuses a constant null", attrs: map[string]string{"x": "null"}, field: "attributes.x"},
		{name: "refuses an expression over the cost limit",
			attrs: map[string]string{"x": "groups.map(a, groups.map(b, groups.map(c, a + b + c)))"}, field: "attributes.x"},
		{name: "refuses an expression over the length limit",
			attrs: map[string]string{"x": `"` + strings.Repeat("a", authserver.MaxClaimExpressionLen) + `"`}, field: "attributes.x"},
		{name: "refuses the first bad rule by name", attrs: map[string]string{"b": "nope", "a": "user.email +", "c": "user.id"}, field: "attributes.a"},
		{name: "refuses an empty name", attrs: map[string]string{"": "user.email"}, field: "attributes"},
		{name: "refuses a name over 256 characters", attrs: map[string]string{strings.Repeat("a", 257): "user.email"}, field: "attributes"},
		{name: "refuses a name with a control character", attrs: map[string]string{"mail\n": "user.email"}, field: "attributes"},
		{name: "refuses a name with a NUL", attrs: map[string]string{"mail\x00": "user.email"}, field: "attributes"},
		{name: "refuses a name that is not UTF-8", attrs: map[string]string{"mail\xff": "user.email"}, field: "attributes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := AppInput{SPEntityID: "https://sp.test/meta", ACS: []ACS{{Index: 1, URL: "https://sp.test/acs"}}, Attributes: tc.attrs}
			got, err := in.check()
			if tc.field == "" {
				if err != nil || len(got.Attributes) != len(tc.attrs) {
					t.Fatalf("got %v, %v", got.Attributes, err)
				}
				return
			}
			var fields []string
			for _, e := range invalid.All(err) {
				fields = append(fields, e.Field)
			}
			if !errors.Is(err, ErrInvalid) || !slices.Equal(fields, []string{tc.field}) {
				t.Fatalf("err = %v naming %q, want ErrInvalid naming %q", err, fields, tc.field)
			}
		})
	}
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
