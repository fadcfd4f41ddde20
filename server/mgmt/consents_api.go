package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
)

// Consents reads and revokes what users consented to share with
// third-party apps; the OpenID provider (*oidc.Provider) implements it.
// Both methods work inside the caller's transaction. RevokeConsent returns
// an error wrapping store.ErrNotFound when there is no live consent, and
// also revokes the app's grants (refresh and access tokens) for the user.
type Consents interface {
	Consents(ctx context.Context, tx store.Tx, tenantID, userID string) ([]oidc.Consent, error)
	RevokeConsent(ctx context.Context, tx store.Tx, tenantID, userID, clientID string) error
}

// ConsentView is a live consent of a user to an app.
type ConsentView struct {
	ClientID  string    `json:"client_id" doc:"The app's client ID"`
	Scopes    []string  `json:"scopes" doc:"Scope values consented to"`
	Version   int       `json:"version" doc:"Version of the consent texts agreed to; an older one than the server's no longer counts, so the person is asked again"`
	GrantedAt time.Time `json:"granted_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func consentView(c oidc.Consent) ConsentView {
	return ConsentView{ClientID: c.ClientID, Scopes: c.Scopes, Version: c.Version, GrantedAt: c.GrantedAt, UpdatedAt: c.UpdatedAt}
}

// registerConsents adds the consent routes when the API has a Consents
// dependency.
func (a *API) registerConsents() {
	if a.Consents == nil {
		return
	}
	const tag = "Users"
	base := Prefix + "/tenants/{tenant}/users/{user}/consents"
	register(a, Route{ID: "list-user-consents", Method: http.MethodGet, Path: base, Scope: ScopeUsersRead}, tag, "List the apps a user has consented to share data with",
		func(ctx context.Context, in *UserPath) (*Out[List[ConsentView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]oidc.Consent, string, error) {
				tenantID := principal(ctx).Target.ID
				if _, err := a.Directory.User(ctx, tx, tenantID, in.User); err != nil {
					return nil, "", err
				}
				cs, err := a.Consents.Consents(ctx, tx, tenantID, in.User)
				return cs, "", err
			}, consentView)
		})
	register(a, Route{ID: "revoke-user-consent", Method: http.MethodDelete, Path: base + "/{app}", Scope: ScopeUsersWrite, Status: http.StatusNoContent}, tag,
		"Revoke a user's consent to an app; the app's tokens for the user stop working and the next sign-in asks again",
		func(ctx context.Context, in *struct {
			UserPath
			App string `path:"app" maxLength:"128"`
		}) (*struct{}, error) {
			err := a.change(ctx, "user.consent.revoked", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				ev.Target = events.Ref{Type: "user", ID: in.User}
				ev.Subject = in.User
				ev.Details = map[string]any{"client": in.App}
				return a.Consents.RevokeConsent(ctx, tx, principal(ctx).Target.ID, in.User, in.App)
			})
			return &struct{}{}, err
		})
}

var _ Consents = (*oidc.Provider)(nil)
