package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/store"
)

// BrandSenderView is a brand's sender address with the DKIM key that
// signs its mail and the DNS records to publish. The private key is never
// shown.
type BrandSenderView struct {
	TenantID string `json:"tenant_id"`
	BrandID  string `json:"brand_id"`
	Address  string `json:"address" doc:"The sender address, local@domain"`
	Name     string `json:"name,omitempty" doc:"The display name, absent when none"`
	From     string `json:"from" doc:"The From header the brand's mail carries"`
	Domain   string `json:"domain" doc:"The address's domain, which signs the mail (DKIM d=)"`
	// Selector names the key that signs.
	Selector     string `json:"selector" doc:"The DKIM selector of the key that signs"`
	NextSelector string `json:"next_selector,omitempty" doc:"The selector of a rotation's new key, which signs once its record is verified"`
	Algorithm    string `json:"algorithm" enum:"rsa-sha256,ed25519-sha256"`
	Status       string `json:"status" enum:"pending,verified,failed" doc:"pending until DNS is checked; verified when the last check found the signing key's record; failed when it did not (see last_error)"`
	// VerifiedAt is nil while the record was never found.
	VerifiedAt *time.Time      `json:"verified_at,omitempty" doc:"When the signing key's DKIM record was last found in DNS"`
	CheckedAt  *time.Time      `json:"checked_at,omitempty" doc:"When DNS was last checked"`
	LastError  string          `json:"last_error,omitempty" doc:"What the last check found wrong"`
	DNSRecords []DNSRecordView `json:"dns_records" doc:"The records to publish at the domain's DNS provider"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
}

// DNSRecordView is a DNS record to publish.
type DNSRecordView struct {
	Type    string `json:"type" enum:"TXT"`
	Name    string `json:"name" doc:"The owner name, without a trailing dot"`
	Value   string `json:"value" doc:"The record's text; empty when Lintel cannot suggest one (note says why). A DKIM value over 255 bytes is entered as several strings of one record"`
	Purpose string `json:"purpose" enum:"dkim,dkim-next,dkim-retired,spf,dmarc" doc:"dkim: the key that signs; dkim-next: a rotation's key, to publish then verify; dkim-retired: a replaced key that may be removed; spf; dmarc"`
	Note    string `json:"note" doc:"What the record is for"`
}

func brandSenderView(s mail.BrandSender) BrandSenderView {
	v := BrandSenderView{TenantID: s.TenantID, BrandID: s.BrandID, Address: s.Address, Name: s.Name, From: s.From(), Domain: s.Domain,
		Selector: s.Selector, NextSelector: s.NextSelector, Algorithm: s.Algorithm, Status: string(s.Status), LastError: s.LastError,
		DNSRecords: []DNSRecordView{}, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	if !s.VerifiedAt.IsZero() {
		v.VerifiedAt = &s.VerifiedAt
	}
	if !s.CheckedAt.IsZero() {
		v.CheckedAt = &s.CheckedAt
	}
	for _, r := range s.Records {
		v.DNSRecords = append(v.DNSRecords, DNSRecordView{Type: r.Type, Name: r.Name, Value: r.Value, Purpose: r.Purpose, Note: r.Note})
	}
	return v
}

// brandSenderBody is a brand's sender as written.
type brandSenderBody struct {
	Address string `json:"address" minLength:"3" maxLength:"320" doc:"One address, local@domain, on a domain the tenant controls (not an IP address): no-reply@mail.acme.example. The first time, and whenever the domain changes, a new DKIM key is made"`
	Name    string `json:"name,omitempty" maxLength:"100" doc:"Display name: Acme"`
}

func (a *API) registerBrandSender() {
	if a.BrandSenders == nil {
		return
	}
	const tag = "Mail"
	base := Prefix + "/tenants/{tenant}/brands/{brand}/sender"
	evRef := func(id string) func(mail.BrandSender) events.Ref { return ref[mail.BrandSender]("brand_sender", id) }
	register(a, Route{ID: "get-brand-sender", Method: http.MethodGet, Path: base, Scope: ScopeMailRead}, tag,
		"Get the brand's sender address, its DKIM status and the DNS records to publish (404 when the brand uses the tenant's sender)",
		func(ctx context.Context, in *BrandPath) (*Out[BrandSenderView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (mail.BrandSender, error) {
				return a.BrandSenders.GetBrandSender(ctx, tx, principal(ctx).Target.ID, in.Brand)
			}, brandSenderView)
		})
	register(a, Route{ID: "put-brand-sender", Method: http.MethodPut, Path: base, Scope: ScopeMailWrite}, tag,
		"Set the brand's sender address; the first time (and on a new domain) a DKIM key is made, whose record must be published",
		func(ctx context.Context, in *struct {
			BrandPath
			Body brandSenderBody
		}) (*Out[BrandSenderView], error) {
			return changed(a, ctx, "mail.brand_sender.updated", evRef(in.Brand),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (mail.BrandSender, error) {
					s, err := a.BrandSenders.PutBrandSender(ctx, tx, principal(ctx).Target.ID, in.Brand,
						mail.BrandSenderInput{Address: in.Body.Address, Name: in.Body.Name})
					ev.Details = map[string]any{"selector": s.Selector}
					return s, err
				}, brandSenderView)
		})
	register(a, Route{ID: "rotate-brand-sender-key", Method: http.MethodPost, Path: base + "/rotate", Scope: ScopeMailWrite}, tag,
		"Make a new DKIM key for the brand's sender: publish its record (purpose dkim-next), then verify; the current key signs until then",
		func(ctx context.Context, in *BrandPath) (*Out[BrandSenderView], error) {
			return changed(a, ctx, "mail.brand_sender.rotated", evRef(in.Brand),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (mail.BrandSender, error) {
					s, err := a.BrandSenders.RotateBrandSender(ctx, tx, principal(ctx).Target.ID, in.Brand)
					ev.Details = map[string]any{"next_selector": s.NextSelector}
					return s, err
				}, brandSenderView)
		})
	register(a, Route{ID: "verify-brand-sender", Method: http.MethodPost, Path: base + "/verify", Scope: ScopeMailWrite}, tag,
		"Look up the brand's DKIM records now; a rotation's key whose record is found signs from then on. A failed check answers status failed with last_error",
		func(ctx context.Context, in *BrandPath) (*Out[BrandSenderView], error) {
			tenantID := principal(ctx).Target.ID
			var s mail.BrandSender
			if err := a.read(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				s, err = a.BrandSenders.GetBrandSender(ctx, tx, tenantID, in.Brand)
				return err
			}); err != nil {
				return nil, err
			}
			c := a.BrandSenders.CheckBrandSender(ctx, s)
			return changed(a, ctx, "mail.brand_sender.verified", evRef(in.Brand),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (mail.BrandSender, error) {
					s, err := a.BrandSenders.RecordCheck(ctx, tx, tenantID, in.Brand, c)
					ev.Details = map[string]any{"status": string(s.Status), "selector": s.Selector}
					return s, err
				}, brandSenderView)
		})
	register(a, Route{ID: "delete-brand-sender", Method: http.MethodDelete, Path: base, Scope: ScopeMailWrite, Status: http.StatusNoContent}, tag,
		"Remove the brand's sender and its DKIM keys: its mail goes out from the tenant's sender",
		func(ctx context.Context, in *BrandPath) (*struct{}, error) {
			return deleted(a, ctx, "mail.brand_sender.deleted", events.Ref{Type: "brand_sender", ID: in.Brand}, func(ctx context.Context, tx store.Tx) error {
				return a.BrandSenders.DeleteBrandSender(ctx, tx, principal(ctx).Target.ID, in.Brand)
			})
		})
}
