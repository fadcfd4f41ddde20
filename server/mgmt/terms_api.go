package mgmt

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/terms"
)

// TermsDocumentView is one published version of a tenant's terms of
// service or privacy policy.
type TermsDocumentView struct {
	ID          string    `json:"id"`
	TenantID    string    `json:"tenant_id"`
	Kind        string    `json:"kind" enum:"terms,privacy"`
	Version     string    `json:"version"`
	Title       string    `json:"title" doc:"What the consent checkbox shows, linking to url"`
	URL         string    `json:"url" doc:"Where the document is read"`
	Required    bool      `json:"required" doc:"Must be accepted to register or sign in"`
	PublishedAt time.Time `json:"published_at"`
	Current     bool      `json:"current" doc:"The newest version of its kind: the one people are asked to accept"`
}

func termsDocumentView(d terms.Document, current bool) TermsDocumentView {
	return TermsDocumentView{ID: d.ID, TenantID: d.TenantID, Kind: d.Kind, Version: d.Version, Title: d.Title, URL: d.URL,
		Required: d.Required, PublishedAt: d.PublishedAt, Current: current}
}

// TermsAcceptanceView records that a user accepted one version of a
// document.
type TermsAcceptanceView struct {
	DocumentID string    `json:"document_id"`
	Kind       string    `json:"kind" enum:"terms,privacy"`
	Version    string    `json:"version"`
	AcceptedAt time.Time `json:"accepted_at"`
}

// termsBody is a new version to publish.
type termsBody struct {
	Kind     string `json:"kind" enum:"terms,privacy"`
	Version  string `json:"version" maxLength:"50" doc:"Your name of the version (2026-03, v2); unique within the kind, surrounding spaces trimmed"`
	Title    string `json:"title" maxLength:"200" doc:"What the consent checkbox shows, linking to url"`
	URL      string `json:"url" maxLength:"2048" doc:"Where the document is read: https (http only on localhost), printable ASCII"`
	Required bool   `json:"required,omitempty" doc:"People must accept it to register, and again to sign in when this version is new to them"`
}

// registerTerms serves the tenant's terms documents and users'
// acceptances when the API has a Terms dependency.
func (a *API) registerTerms() {
	if a.Terms == nil {
		return
	}
	const tag = "Terms"
	base := Prefix + "/tenants/{tenant}/terms"
	register(a, Route{ID: "publish-terms", Method: http.MethodPost, Path: base, Scope: ScopeTermsWrite, Status: http.StatusCreated}, tag,
		"Publish a new version of the terms of service or the privacy policy; it becomes the current one of its kind, and when required everyone is asked to accept it at their next sign-in",
		func(ctx context.Context, in *struct {
			TenantPath
			Body termsBody
		}) (*Out[TermsDocumentView], error) {
			b := in.Body
			var d terms.Document
			// Publish records terms.published itself, in this transaction.
			err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				d, err = a.Terms.Publish(ctx, tx, principal(ctx).Target.ID, terms.DocumentInput{
					Kind: b.Kind, Version: b.Version, Title: b.Title, URL: b.URL, Required: b.Required, Actor: actor(ctx),
				})
				return err
			})
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			return &Out[TermsDocumentView]{Body: termsDocumentView(d, true)}, nil
		})
	register(a, Route{ID: "list-terms", Method: http.MethodGet, Path: base, Scope: ScopeTermsRead}, tag,
		"List every published version of the tenant's documents, newest first, marking the current one of each kind",
		func(ctx context.Context, in *TenantPath) (*Out[List[TermsDocumentView]], error) {
			var current []string
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]terms.Document, string, error) {
				tenantID := principal(ctx).Target.ID
				cur, err := a.Terms.Current(ctx, tx, tenantID)
				if err != nil {
					return nil, "", err
				}
				for _, d := range cur {
					current = append(current, d.ID)
				}
				docs, err := a.Terms.Documents(ctx, tx, tenantID)
				return docs, "", err
			}, func(d terms.Document) TermsDocumentView { return termsDocumentView(d, slices.Contains(current, d.ID)) })
		})
	register(a, Route{ID: "list-user-terms-acceptances", Method: http.MethodGet, Path: Prefix + "/tenants/{tenant}/users/{user}/terms-acceptances", Scope: ScopeUsersRead}, "Users",
		"List the versions of the tenant's documents a user accepted, and when, oldest first",
		func(ctx context.Context, in *UserPath) (*Out[List[TermsAcceptanceView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]terms.Acceptance, string, error) {
				tenantID := principal(ctx).Target.ID
				if _, err := a.Directory.User(ctx, tx, tenantID, in.User); err != nil {
					return nil, "", err
				}
				acc, err := a.Terms.Acceptances(ctx, tx, tenantID, in.User)
				return acc, "", err
			}, func(x terms.Acceptance) TermsAcceptanceView {
				return TermsAcceptanceView{DocumentID: x.DocumentID, Kind: x.Kind, Version: x.Version, AcceptedAt: x.AcceptedAt}
			})
		})
}
