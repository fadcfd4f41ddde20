package oidc_test

import (
	"fmt"

	"github.com/lintel-id/lintel/server/oidc"
)

func ExampleSuccessRedirect() {
	iss := oidc.Issuer{TenantID: "ten_1", Server: oidc.DefaultServer, URL: "https://login.acme.com/oauth2/default"}
	req := oidc.AuthRequest{RedirectURI: "https://app.acme.com/callback", State: "xyz"}
	fmt.Println(oidc.SuccessRedirect(iss, req, "SplxlOBeZQQYbYS6WxSbIA"))
	// Output: https://app.acme.com/callback?code=SplxlOBeZQQYbYS6WxSbIA&iss=https%3A%2F%2Flogin.acme.com%2Foauth2%2Fdefault&state=xyz
}

func ExampleErrorRedirect() {
	iss := oidc.Issuer{TenantID: "ten_1", Server: oidc.DefaultServer, URL: "https://login.acme.com/oauth2/default"}
	req := oidc.AuthRequest{RedirectURI: "https://app.acme.com/callback", State: "xyz"}
	fmt.Println(oidc.ErrorRedirect(iss, req, oidc.ErrLoginRequired.WithDescription("no session")))
	// Output: https://app.acme.com/callback?error=login_required&error_description=no+session&iss=https%3A%2F%2Flogin.acme.com%2Foauth2%2Fdefault&state=xyz
}
