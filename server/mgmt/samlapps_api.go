package mgmt

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"
	"github.com/danielgtaylor/huma/v2"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/samlidp"
	"github.com/lintel-id/lintel/server/store"
)

// SAMLACS is an assertion consumer service of a service provider.
type SAMLACS struct {
	Index   int    `json:"index" minimum:"0" maximum:"65535" doc:"The index an AuthnRequest may name (AssertionConsumerServiceIndex); unique in the app"`
	Binding string `json:"binding,omitempty" enum:"urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" doc:"Only HTTP-POST is served (the default)"`
	URL     string `json:"url" minLength:"1" maxLength:"2048" doc:"Where the signed Response is posted: https (http on loopback)"`
}

// samlAppBody is an app's SAML settings as written: a PUT replaces them
// all, so a field left out is cleared (or gets its default).
type samlAppBody struct {
	SPEntityID         string            `json:"sp_entity_id" minLength:"1" maxLength:"1024" doc:"The service provider's entity ID (the Issuer of its AuthnRequests, the Audience of our assertions); unique in the tenant"`
	ACSURLs            []SAMLACS         `json:"acs_urls" minItems:"1" maxItems:"32" doc:"The service provider's assertion consumer services; a Response goes only to one of them"`
	SPSigningCert      string            `json:"sp_signing_cert,omitempty" maxLength:"16384" doc:"The certificate (PEM) the service provider signs its AuthnRequests and LogoutRequests with"`
	WantSignedRequests bool              `json:"want_signed_requests,omitempty" doc:"Refuse AuthnRequests not signed with sp_signing_cert (which it needs)"`
	NameIDFormat       string            `json:"name_id_format,omitempty" enum:"email,persistent,transient" doc:"What the Subject's NameID is: the email address, a stable value per app that no other app can correlate (persistent, the default), or random per response (transient)"`
	Attributes         map[string]string `json:"attributes,omitempty" doc:"SAML attribute name → CEL expression giving its value at each sign-in (at most 64)"`
	OverrideEditable   bool              `json:"override_editable,omitempty" doc:"Let attributes read what people may edit themselves (editable custom attributes, user.profile or user as a whole); off, such an attribute is refused, since a service provider may grant access by it"`
	IdPInitiated       bool              `json:"idp_initiated,omitempty" doc:"Allow sign-ins started at Lintel, without an AuthnRequest (unsolicited responses; off by default)"`
	SLOURL             string            `json:"slo_url,omitempty" maxLength:"2048" doc:"Where the service provider takes LogoutResponses (Redirect binding): https (http on loopback); empty for no single logout"`
}

// input converts the body for samlidp; the certificate stays PEM, which
// samlidp reads.
func (b samlAppBody) input() samlidp.AppInput {
	in := samlidp.AppInput{SPEntityID: b.SPEntityID, WantSignedRequests: b.WantSignedRequests, NameIDFormat: samlidp.NameIDFormat(b.NameIDFormat),
		Attributes: b.Attributes, OverrideEditable: b.OverrideEditable, IdPInitiated: b.IdPInitiated, SLOURL: b.SLOURL}
	for _, c := range b.ACSURLs {
		in.ACS = append(in.ACS, samlidp.ACS(c))
	}
	if b.SPSigningCert != "" {
		in.SPSigningCert = []byte(b.SPSigningCert)
	}
	return in
}

// SAMLAppView is an app's SAML settings and the identity provider's
// endpoints to give its service provider.
type SAMLAppView struct {
	AppID              string            `json:"app_id"`
	SPEntityID         string            `json:"sp_entity_id"`
	ACSURLs            []SAMLACS         `json:"acs_urls"`
	SPSigningCert      string            `json:"sp_signing_cert,omitempty" doc:"The service provider's signing certificate, PEM"`
	WantSignedRequests bool              `json:"want_signed_requests"`
	NameIDFormat       string            `json:"name_id_format" enum:"email,persistent,transient"`
	Attributes         map[string]string `json:"attributes"`
	OverrideEditable   bool              `json:"override_editable"`
	IdPInitiated       bool              `json:"idp_initiated"`
	SLOURL             string            `json:"slo_url,omitempty" doc:"The service provider's single logout URL"`
	// The identity provider's endpoints are left out when the tenant
	// has no site (the system tenant, or a server without a public URL).
	EntityID    string    `json:"entity_id,omitempty" doc:"The identity provider's entity ID for this app; the same as metadata_url"`
	MetadataURL string    `json:"metadata_url,omitempty" doc:"Where the identity provider's metadata for this app is published (on the tenant's primary site)"`
	SSOURL      string    `json:"sso_url,omitempty" doc:"The identity provider's single sign-on endpoint (Redirect and POST bindings)"`
	SLOURLIdP   string    `json:"slo_url_idp,omitempty" doc:"The identity provider's single logout endpoint (Redirect binding)"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// samlAppAt is an app's SAML settings with the base URL of its tenant's
// site ("" when none), which its view builds the endpoints on.
type samlAppAt struct {
	app  samlidp.App
	base string
}

func samlAppView(x samlAppAt) SAMLAppView {
	a := x.app
	v := SAMLAppView{AppID: a.AppID, SPEntityID: a.SPEntityID, ACSURLs: []SAMLACS{}, WantSignedRequests: a.WantSignedRequests,
		NameIDFormat: string(a.NameIDFormat), Attributes: a.Attributes, OverrideEditable: a.OverrideEditable, IdPInitiated: a.IdPInitiated, SLOURL: a.SLOURL,
		CreatedAt: a.CreatedAt, UpdatedAt: a.UpdatedAt}
	for _, c := range a.ACS {
		v.ACSURLs = append(v.ACSURLs, SAMLACS(c))
	}
	if v.Attributes == nil {
		v.Attributes = map[string]string{}
	}
	if a.SPSigningCert != nil {
		v.SPSigningCert = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: a.SPSigningCert}))
	}
	if x.base != "" {
		v.MetadataURL, v.SSOURL, v.SLOURLIdP = samlidp.Endpoints(x.base, a.AppID)
		v.EntityID = v.MetadataURL
	}
	return v
}

// samlAppOut answers 201 for settings the app did not have, 200 for
// replaced ones.
type samlAppOut struct {
	Status int
	Body   SAMLAppView
}

// samlImportBody is the JSON form of an import.
type samlImportBody struct {
	Metadata string `json:"metadata" minLength:"1" doc:"The service provider's metadata document (an EntityDescriptor, XML)"`
}

// samlErr makes samlidp's errors the ones problem maps: an app without
// settings 404, invalid settings 422 naming the field. samlidp names it
// with an *invalid.Error, or in its message ("…: field: reason"). under
// is the body field every refusal is reported on, the field samlidp
// named going into the reason ("" to keep samlidp's field).
func samlErr(err error, under string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, samlidp.ErrNotConfigured):
		return fmt.Errorf("%w: %w", store.ErrNotFound, err)
	case !errors.Is(err, samlidp.ErrInvalid):
		return err
	}
	fields := invalid.All(err)
	if len(fields) > 0 && under == "" {
		return err
	}
	if len(fields) == 0 {
		f := &invalid.Error{Reason: "not valid"}
		msg := err.Error()
		if i := strings.Index(msg, samlidp.ErrInvalid.Error()+": "); i >= 0 {
			if field, reason, ok := strings.Cut(msg[i+len(samlidp.ErrInvalid.Error())+2:], ": "); ok {
				f.Field, f.Reason = field, reason
			}
		}
		fields = []*invalid.Error{f}
	}
	out := make([]error, 0, len(fields))
	for _, f := range fields {
		field, reason := f.Field, f.Reason
		switch {
		case under == "" && field == "":
			field = "saml"
		case under != "" && field != under && field != "":
			field, reason = under, field+": "+reason
		case under != "":
			field = under
		}
		out = append(out, &invalid.Error{Field: field, Reason: reason})
	}
	// The refusals replace samlidp's: problem must not name both.
	return fmt.Errorf("%w: %w", samlidp.ErrInvalid, errors.Join(out...))
}

// samlApp checks that appID is an app of the tenant (404 otherwise) and
// returns its SAML settings, ok false when it has none.
func (a *API) samlApp(ctx context.Context, tx store.Tx, tenantID, appID string) (samlidp.App, bool, error) {
	if _, err := a.Tenants.App(ctx, tx, tenantID, appID); err != nil {
		return samlidp.App{}, false, err
	}
	app, err := a.SAML.App(ctx, tx, tenantID, appID)
	if errors.Is(err, samlidp.ErrNotConfigured) {
		return samlidp.App{}, false, nil
	}
	return app, err == nil, err
}

// putSAMLApp writes an app's SAML settings in tx with the event ev
// describes, and returns them with the tenant's site.
func (a *API) putSAMLApp(ctx context.Context, tx store.Tx, ev *events.Event, appID string, in samlidp.AppInput, created bool, under string) (samlAppAt, error) {
	tenantID := principal(ctx).Target.ID
	app, err := a.SAML.PutApp(ctx, tx, tenantID, appID, in)
	if err != nil {
		return samlAppAt{}, samlErr(err, under)
	}
	ev.Details = map[string]any{"created": created, "sp_entity_id": app.SPEntityID}
	site, err := a.siteBase(ctx, tx, tenantID)
	return samlAppAt{app, site}, err
}

// importedInput reads an import request's metadata document: the JSON
// body's metadata field, or the body itself as SAML metadata.
func importedInput(contentType string, body []byte) ([]byte, error) {
	mt := "application/json"
	if contentType != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(contentType); err != nil {
			return nil, huma.Error415UnsupportedMediaType("Content-Type: " + err.Error())
		}
	}
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		var b samlImportBody
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&b); err != nil {
			return nil, invalid.Field("metadata", "send a JSON object whose only member, metadata, is the document as a string")
		}
		if strings.TrimSpace(b.Metadata) == "" {
			return nil, invalid.Field("metadata", "required")
		}
		return []byte(b.Metadata), nil
	case mt == samlMetadataType || mt == "application/xml" || mt == "text/xml":
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, invalid.Field("metadata", "required")
		}
		return body, nil
	}
	return nil, huma.Error415UnsupportedMediaType("send the metadata as " + samlMetadataType + ", or as JSON in a metadata field")
}

// namesNameIDFormat reports whether SP metadata names a NameID format
// Lintel knows; when it names none, an import keeps the app's format
// (ImportSPMetadata then gives the default).
func namesNameIDFormat(doc []byte) bool {
	ed, err := samlsp.ParseMetadata(doc)
	if err != nil || len(ed.SPSSODescriptors) == 0 {
		return false
	}
	for _, f := range ed.SPSSODescriptors[0].NameIDFormats {
		switch saml.NameIDFormat(f) {
		case saml.EmailAddressNameIDFormat, saml.PersistentNameIDFormat, saml.TransientNameIDFormat:
			return true
		}
	}
	return false
}

// merged is the settings an import leaves: the service provider's fields
// from its metadata, Lintel's own (attributes, IdP-initiated sign-in, and
// the NameID format when the metadata names none) from the current ones.
func merged(imported samlidp.AppInput, cur samlidp.App, had, namesFormat bool) samlidp.AppInput {
	if !had {
		return imported
	}
	imported.Attributes, imported.OverrideEditable, imported.IdPInitiated = cur.Attributes, cur.OverrideEditable, cur.IdPInitiated
	if !namesFormat {
		imported.NameIDFormat = cur.NameIDFormat
	}
	return imported
}

func (a *API) registerSAMLApps() {
	if a.SAML == nil {
		return
	}
	const tag = "SAML apps"
	base := Prefix + "/tenants/{tenant}/apps/{app}/saml"
	register(a, Route{ID: "get-app-saml", Method: http.MethodGet, Path: base, Scope: ScopeAppsRead}, tag,
		"Get an app's SAML service-provider settings and the identity provider's endpoints to give its service provider",
		func(ctx context.Context, in *AppPath) (*Out[SAMLAppView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (samlAppAt, error) {
				tenantID := principal(ctx).Target.ID
				app, ok, err := a.samlApp(ctx, tx, tenantID, in.App)
				switch {
				case err != nil:
					return samlAppAt{}, err
				case !ok:
					return samlAppAt{}, fmt.Errorf("%w: %w: %s", store.ErrNotFound, samlidp.ErrNotConfigured, in.App)
				}
				site, err := a.siteBase(ctx, tx, tenantID)
				return samlAppAt{app, site}, err
			}, samlAppView)
		})
	put := Route{ID: "put-app-saml", Method: http.MethodPut, Path: base, Scope: ScopeAppsWrite, AlsoStatus: http.StatusCreated}
	register(a, put, tag,
		"Set or replace an app's SAML service-provider settings, making Lintel its SAML identity provider (201 when it had none); fields left out are cleared",
		func(ctx context.Context, in *struct {
			AppPath
			Body samlAppBody
		}) (*samlAppOut, error) {
			out := &samlAppOut{Status: http.StatusOK}
			err := a.change(ctx, "app.saml.updated", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "app", ID: in.App}
				_, had, err := a.samlApp(ctx, tx, principal(ctx).Target.ID, in.App)
				if err != nil {
					return err
				}
				x, err := a.putSAMLApp(ctx, tx, ev, in.App, in.Body.input(), !had, "")
				if !had {
					out.Status = http.StatusCreated
				}
				out.Body = samlAppView(x)
				return err
			})
			if err != nil {
				return nil, err
			}
			return out, nil
		})
	imp := Route{ID: "import-app-saml", Method: http.MethodPost, Path: base + "/import", Scope: ScopeAppsWrite, AlsoStatus: http.StatusCreated, MaxBody: maxIdPBody}
	register(a, imp, tag,
		"Import a service provider's metadata into an app's SAML settings (201 when it had none): its entity ID, assertion consumer services, signing certificate, signed-request wish, NameID format and single logout URL replace the app's; attributes and idp_initiated stay. Send the document as "+samlMetadataType+", or as JSON in a metadata field",
		func(ctx context.Context, in *struct {
			AppPath
			ContentType string `header:"Content-Type" doc:"application/samlmetadata+xml (or application/xml) for the document itself, application/json for {\"metadata\": \"…\"}"`
			RawBody     []byte `contentType:"application/samlmetadata+xml"`
		}) (*samlAppOut, error) {
			doc, err := importedInput(in.ContentType, in.RawBody)
			if err != nil {
				if invalid.Is(err) {
					return nil, a.problem(ctx, err)
				}
				return nil, err
			}
			imported, err := samlidp.ImportSPMetadata(doc)
			if err != nil {
				return nil, a.problem(ctx, samlErr(err, "metadata"))
			}
			namesFormat := namesNameIDFormat(doc)
			out := &samlAppOut{Status: http.StatusOK}
			err = a.change(ctx, "app.saml.imported", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "app", ID: in.App}
				cur, had, err := a.samlApp(ctx, tx, principal(ctx).Target.ID, in.App)
				if err != nil {
					return err
				}
				x, err := a.putSAMLApp(ctx, tx, ev, in.App, merged(imported, cur, had, namesFormat), !had, "metadata")
				if !had {
					out.Status = http.StatusCreated
				}
				out.Body = samlAppView(x)
				return err
			})
			if err != nil {
				return nil, err
			}
			return out, nil
		})
	if item := a.api.OpenAPI().Paths[imp.Path]; item != nil && item.Post != nil && item.Post.RequestBody != nil {
		// The document as it is, or in JSON: huma documents only the
		// first, and as binary (which OpenAPI 3.0 cannot say).
		item.Post.RequestBody.Content[samlMetadataType] = &huma.MediaType{Schema: &huma.Schema{Type: "string"}}
		item.Post.RequestBody.Content["application/json"] = &huma.MediaType{
			Schema: a.api.OpenAPI().Components.Schemas.Schema(reflect.TypeFor[samlImportBody](), true, "SAMLImportBody")}
	}
	register(a, Route{ID: "delete-app-saml", Method: http.MethodDelete, Path: base, Scope: ScopeAppsWrite, Status: http.StatusNoContent}, tag,
		"Remove an app's SAML settings: Lintel stops being its SAML identity provider (the app itself stays)",
		func(ctx context.Context, in *AppPath) (*struct{}, error) {
			err := a.change(ctx, "app.saml.deleted", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				ev.Target = events.Ref{Type: "app", ID: in.App}
				cur, had, err := a.samlApp(ctx, tx, tenantID, in.App)
				switch {
				case err != nil:
					return err
				case !had:
					return fmt.Errorf("%w: %w: %s", store.ErrNotFound, samlidp.ErrNotConfigured, in.App)
				}
				ev.Details = map[string]any{"sp_entity_id": cur.SPEntityID}
				return samlErr(a.SAML.DeleteApp(ctx, tx, tenantID, in.App), "")
			})
			return &struct{}{}, err
		})
	metadata := Route{ID: "get-app-saml-metadata", Method: http.MethodGet, Path: base + "/metadata", Scope: ScopeAppsRead}
	register(a, metadata, tag,
		"Get the identity provider's SAML metadata for an app, to import at its service provider: entity ID, single sign-on and logout endpoints, signing certificates (the next and recently retired ones too) and NameID format",
		func(ctx context.Context, in *AppPath) (*samlMetadataOut, error) {
			tenantID := principal(ctx).Target.ID
			var doc []byte
			// A read-write transaction: the tenant's signing key is made
			// on first use.
			err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				_, ok, err := a.samlApp(ctx, tx, tenantID, in.App)
				switch {
				case err != nil:
					return err
				case !ok:
					return fmt.Errorf("%w: %w: %s", store.ErrNotFound, samlidp.ErrNotConfigured, in.App)
				}
				site, err := a.siteBase(ctx, tx, tenantID)
				if err != nil || site == "" {
					return err
				}
				doc, err = a.SAML.Metadata(ctx, tx, tenantID, in.App, site)
				return samlErr(err, "")
			})
			switch {
			case err != nil:
				return nil, a.problem(ctx, err)
			case doc == nil:
				return nil, huma.Error404NotFound("the tenant has no sign-in site to name in SAML metadata")
			}
			return &samlMetadataOut{ContentType: samlMetadataType, NoSniff: "nosniff", Body: doc}, nil
		})
	documentContent(a.api.OpenAPI(), metadata, samlMetadataType, &huma.Schema{Type: "string"})
	register(a, Route{ID: "rotate-saml-keys", Method: http.MethodPost, Path: Prefix + "/tenants/{tenant}/saml/keys/rotate", Scope: ScopeAppsWrite, Status: http.StatusNoContent}, tag,
		"Rotate the tenant's SAML signing keys one step: the first call publishes a next key in every app's metadata without signing with it; the next call (after service providers refreshed their metadata, a day or more) makes it sign and retires the current key, which stays published for a week",
		func(ctx context.Context, in *TenantPath) (*struct{}, error) {
			err := a.change(ctx, "saml.keys.rotated", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				ev.Target = events.Ref{Type: "tenant", ID: tenantID}
				return a.SAML.Rotate(ctx, tx, tenantID)
			})
			return &struct{}{}, err
		})
}
