package federation

import (
	"context"
	"fmt"

	"github.com/lintel-id/lintel/server/store"
)

// InitiateLoginURI returns where a sign-in that a SAML identity provider
// started (IdP-initiated) goes on: the initiate_login_uri of the app the
// IdP names (Config.SAMLInitiateApp), which starts an ordinary sign-in
// there that finds the new session. An app without one is ErrConfig.
func (s *Service) InitiateLoginURI(ctx context.Context, tx store.Tx, idp IdP) (string, error) {
	if idp.Config.SAMLInitiateApp == "" {
		return "", fmt.Errorf("%w: identity provider %s names no app for IdP-initiated sign-in", ErrConfig, idp.ID)
	}
	app, err := s.d.Tenants.App(ctx, tx, idp.TenantID, idp.Config.SAMLInitiateApp)
	if err != nil {
		return "", fmt.Errorf("%w: the app of IdP-initiated sign-in: %w", ErrConfig, err)
	}
	if app.InitiateLoginURI == "" {
		return "", fmt.Errorf("%w: app %s has no initiate_login_uri", ErrConfig, app.ID)
	}
	return app.InitiateLoginURI, nil
}
