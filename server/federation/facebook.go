package federation

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
)

// Facebook Login: OAuth 2 only; the person comes from the Graph API's
// /me, and every Graph call carries appsecret_proof, the HMAC-SHA256 of
// the access token under the app secret, so a stolen token is useless
// without the secret. Facebook never says whether the email is verified,
// so it never is.

// facebookFields are the /me fields asked for.
const facebookFields = "id,name,email,first_name,last_name"

// facebookUserinfo GETs /me with the fields and the appsecret_proof.
func facebookUserinfo(ctx context.Context, s *Service, idp IdP, endpoint, accessToken string) (map[string]any, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo_url: %v", ErrConfig, err)
	}
	q := u.Query()
	q.Set("fields", facebookFields)
	q.Set("appsecret_proof", appsecretProof(idp.Secret, accessToken))
	u.RawQuery = q.Encode()
	return fetchUserinfo(ctx, s, idp, u.String(), accessToken)
}

// appsecretProof is hex(HMAC-SHA256(app secret, access token)).
func appsecretProof(secret, accessToken string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(accessToken))
	return hex.EncodeToString(m.Sum(nil))
}

// identifyFacebook names the person by their app-scoped id; the email is
// never verified.
func identifyFacebook(_ Config, claims map[string]any) (identity, error) {
	return identity{subject: idClaim(claims, "id"), email: stringClaim(claims, "email")}, nil
}
