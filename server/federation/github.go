package federation

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// GitHub: OAuth 2; the person is the numeric id of GET /user (the login
// can be renamed and then taken by someone else). The profile's public
// email is whatever the person typed; the address that counts is the
// primary one of GET /user/emails, verified only when GitHub says so.
// Config.UserinfoURL, when set, replaces https://api.github.com/user, and
// the emails are at the same URL + "/emails".

// githubHeader is what the REST API asks clients to send.
func githubHeader(accessToken string) http.Header {
	return http.Header{
		"Authorization":        {"Bearer " + accessToken},
		"Accept":               {"application/vnd.github+json"},
		"X-Github-Api-Version": {"2022-11-28"},
	}
}

// githubUserinfo GETs /user and /user/emails, and sets the claims' email
// and email_verified from the primary address.
func githubUserinfo(ctx context.Context, s *Service, _ IdP, endpoint, accessToken string) (map[string]any, error) {
	body, err := s.get(ctx, endpoint, githubHeader(accessToken))
	if err != nil {
		return nil, fmt.Errorf("github user: %w", err)
	}
	user, err := parseJSONObject(body)
	if err != nil {
		return nil, fmt.Errorf("%w: github user: %v", ErrUpstream, err)
	}
	delete(user, "email") // public, unverified: never the person's address
	user["email_verified"] = false
	body, err = s.get(ctx, strings.TrimSuffix(endpoint, "/")+"/emails", githubHeader(accessToken))
	var st statusError
	switch {
	case errors.As(err, &st) && (st.status == http.StatusForbidden || st.status == http.StatusNotFound):
		return user, nil // the token may not read emails (no user:email scope)
	case err != nil:
		return nil, fmt.Errorf("github emails: %w", err)
	}
	email, verified, err := githubPrimary(body)
	if err != nil {
		return nil, fmt.Errorf("%w: github emails: %v", ErrUpstream, err)
	}
	if email != "" {
		user["email"], user["email_verified"] = email, verified
	}
	return user, nil
}

// githubPrimary returns the primary address of a /user/emails answer and
// whether GitHub verified it; "" when none is primary.
func githubPrimary(body []byte) (string, bool, error) {
	v, err := parseJSON(body)
	if err != nil {
		return "", false, err
	}
	list, ok := v.([]any)
	if !ok {
		return "", false, errors.New("not a JSON array")
	}
	for _, e := range list {
		m, _ := e.(map[string]any)
		if m["primary"] == true {
			return stringClaim(m, "email"), m["verified"] == true, nil
		}
	}
	return "", false, nil
}

// identifyGitHub names the person by numeric id; email and email_verified
// are githubUserinfo's.
func identifyGitHub(_ Config, claims map[string]any) (identity, error) {
	if _, ok := claims["id"].(string); ok {
		return identity{}, fmt.Errorf("%w: github id is not a number", ErrInvalid)
	}
	return identity{
		subject:  idClaim(claims, "id"),
		email:    stringClaim(claims, "email"),
		verified: claims["email_verified"] == true,
	}, nil
}
