package federation

import (
	"context"
	"fmt"
	"net/url"
)

// preset is what Lintel knows of one kind of OpenID Connect or OAuth 2
// provider: its endpoints, defaults and the quirks it needs. A value set
// in Config overrides the preset's endpoint or issuer (tests point presets
// at emulators this way).
type preset struct {
	// oidc: the provider issues ID tokens (verified with its JWKS, bound
	// by a nonce); the endpoints Config does not set come from discovery
	// of the issuer. Otherwise the provider is plain OAuth 2 and the
	// person is known from the userinfo endpoint only.
	oidc bool
	// issuer is the default Config.Issuer.
	issuer string
	// authURL, tokenURL and userinfoURL are the default endpoints of the
	// OAuth 2 presets.
	authURL, tokenURL, userinfoURL string
	// scopes are the default scopes.
	scopes []string
	// tokenAuth is how the token endpoint takes the client's credentials;
	// "" lets Config.TokenAuth decide (the generic kinds). Presets fix it:
	// a provider accepts what it accepts.
	tokenAuth string
	// loginHint: the provider understands login_hint.
	loginHint bool
	// formPost: ask for response_mode=form_post (the callback is a POST).
	formPost bool
	// noUserinfo: the ID token carries everything; no userinfo call.
	noUserinfo bool

	// authority returns the URL whose discovery document names the
	// endpoints when the issuer differs per token (Microsoft); the
	// discovered issuer is then not compared with it and checkIssuer
	// must be set. nil: discovery of Config.Issuer, issuer checked.
	authority func(c Config) (string, error)
	// checkIssuer checks the ID token's iss itself (go-oidc's check is
	// skipped). nil: iss must equal the issuer exactly.
	checkIssuer func(c Config, ep endpoints, claims map[string]any) error
	// clientSecret returns the secret sent to the token endpoint. nil:
	// IdP.Secret.
	clientSecret func(s *Service, idp IdP) (string, error)
	// userinfo fetches the person's profile. nil: GET the userinfo
	// endpoint with the access token (fetchUserinfo).
	userinfo func(ctx context.Context, s *Service, idp IdP, endpoint, accessToken string) (map[string]any, error)
	// fromCallback adds what the callback itself carries to the claims
	// (Apple's user field). nil: nothing.
	fromCallback func(cb url.Values, claims map[string]any)
	// identify says who the claims name. Required.
	identify func(c Config, claims map[string]any) (identity, error)
}

// The ways a token endpoint takes client credentials (Config.TokenAuth).
const (
	authBasic = "client_secret_basic"
	authPost  = "client_secret_post"
)

// presets holds every OpenID Connect and OAuth 2 kind. Endpoints are the
// providers' documented ones; the OIDC presets discover theirs.
var presets = map[Kind]preset{
	KindOIDC: {
		oidc:      true,
		scopes:    []string{"openid", "email", "profile"},
		loginHint: true,
		identify:  identifyOIDC,
	},
	KindOAuth2: {
		identify: identifyOAuth2,
	},
	KindGoogle: {
		oidc:        true,
		issuer:      "https://accounts.google.com",
		scopes:      []string{"openid", "email", "profile"},
		tokenAuth:   authBasic,
		loginHint:   true,
		checkIssuer: checkGoogleIssuer,
		identify:    identifyOIDC,
	},
	KindMicrosoft: {
		oidc:      true,
		issuer:    microsoftIssuer,
		scopes:    []string{"openid", "email", "profile"},
		tokenAuth: authPost,
		loginHint: true,
		// The ID token has oid, tid, email and name; Microsoft's userinfo
		// lives on Graph and adds nothing the subject could rest on.
		noUserinfo:  true,
		authority:   microsoftAuthority,
		checkIssuer: checkMicrosoftIssuer,
		identify:    identifyMicrosoft,
	},
	KindApple: {
		oidc:         true,
		issuer:       appleIssuer,
		scopes:       []string{"name", "email"},
		tokenAuth:    authPost,
		formPost:     true,
		noUserinfo:   true,
		clientSecret: appleClientSecret,
		fromCallback: appleFromCallback,
		identify:     identifyApple,
	},
	KindFacebook: {
		authURL:     "https://www.facebook.com/v23.0/dialog/oauth",
		tokenURL:    "https://graph.facebook.com/v23.0/oauth/access_token",
		userinfoURL: "https://graph.facebook.com/v23.0/me",
		scopes:      []string{"email", "public_profile"},
		tokenAuth:   authPost,
		userinfo:    facebookUserinfo,
		identify:    identifyFacebook,
	},
	KindLinkedIn: {
		oidc:   true,
		issuer: "https://www.linkedin.com/oauth",
		scopes: []string{"openid", "email", "profile"},
		// LinkedIn refuses client credentials in a Basic header.
		tokenAuth: authPost,
		identify:  identifyOIDC,
	},
	KindGitHub: {
		authURL:     "https://github.com/login/oauth/authorize",
		tokenURL:    "https://github.com/login/oauth/access_token",
		userinfoURL: "https://api.github.com/user",
		scopes:      []string{"read:user", "user:email"},
		tokenAuth:   authPost,
		userinfo:    githubUserinfo,
		identify:    identifyGitHub,
	},
}

// presetOf returns the preset of idp's kind; SAML and unknown kinds are
// ErrConfig.
func presetOf(idp IdP) (preset, error) {
	p, ok := presets[idp.Kind]
	if !ok {
		return preset{}, fmt.Errorf("%w: kind %q is not an OpenID Connect or OAuth 2 provider", ErrConfig, idp.Kind)
	}
	return p, nil
}

// identity is who the provider says the person is.
type identity struct {
	subject string
	email   string
	// verified: the provider vouches for email.
	verified bool
}

// identifyOIDC reads sub, email and an email_verified that is JSON true.
func identifyOIDC(_ Config, claims map[string]any) (identity, error) {
	return identity{
		subject:  stringClaim(claims, "sub"),
		email:    stringClaim(claims, "email"),
		verified: claims["email_verified"] == true,
	}, nil
}

// identifyOAuth2 reads the subject from Config.SubjectClaim (default
// "sub", then "id"; a number is formatted without exponent), and takes
// the email as verified only when Config.EmailVerifiedClaim names a member
// that is JSON true.
func identifyOAuth2(c Config, claims map[string]any) (identity, error) {
	var sub string
	if c.SubjectClaim != "" {
		sub = idClaim(claims, c.SubjectClaim)
	} else if sub = idClaim(claims, "sub"); sub == "" {
		sub = idClaim(claims, "id")
	}
	return identity{
		subject:  sub,
		email:    stringClaim(claims, "email"),
		verified: c.EmailVerifiedClaim != "" && claims[c.EmailVerifiedClaim] == true,
	}, nil
}

// checkGoogleIssuer accepts Google's ID tokens whose iss lacks the scheme
// ("accounts.google.com"): exactly the issuer, or the issuer without
// "https://", and nothing else.
func checkGoogleIssuer(_ Config, ep endpoints, claims map[string]any) error {
	iss := stringClaim(claims, "iss")
	if iss != "" && (iss == ep.issuer || "https://"+iss == ep.issuer) {
		return nil
	}
	return fmt.Errorf("%w: ID token issued by %q, not %q", ErrInvalid, clip(iss, 100), ep.issuer)
}
