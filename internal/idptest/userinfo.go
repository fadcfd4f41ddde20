package idptest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// userinfo answers the person an access token belongs to, in the shape of
// p's kind.
func (p *Provider) userinfo(w http.ResponseWriter, r *http.Request) {
	u, token, ok := p.bearer(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
		return
	}
	switch p.Kind {
	case GitHub:
		var email any // null when the person keeps it private
		if u.PublicEmail != "" {
			email = u.PublicEmail
		}
		writeJSON(w, http.StatusOK, map[string]any{"id": u.ID, "login": u.Login, "name": u.Name, "email": email})
	case Facebook:
		p.facebookMe(w, r, u, token)
	default:
		m := p.profile(u)
		if u.Subject != "" || p.Kind != OAuth2 {
			m["sub"] = or(p.opts.UserinfoSubject, u.Subject)
		}
		if p.Kind == OAuth2 && u.ID != 0 {
			m["id"] = u.ID
		}
		writeJSON(w, http.StatusOK, m)
	}
}

// githubEmails answers GitHub's /user/emails.
func (p *Provider) githubEmails(w http.ResponseWriter, r *http.Request) {
	u, _, ok := p.bearer(r)
	if !ok {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
		return
	}
	emails := u.Emails
	if emails == nil {
		emails = []GitHubEmail{}
	}
	writeJSON(w, http.StatusOK, emails)
}

// facebookMe answers the Graph API's /me with the fields asked for, once
// appsecret_proof proves the caller holds the app secret.
func (p *Provider) facebookMe(w http.ResponseWriter, r *http.Request, u User, token string) {
	m := hmac.New(sha256.New, []byte(p.ClientSecret))
	m.Write([]byte(token))
	proof, err := hex.DecodeString(r.URL.Query().Get("appsecret_proof"))
	if err != nil || !hmac.Equal(proof, m.Sum(nil)) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{
			"message": "Invalid appsecret_proof provided in the API argument", "type": "GraphMethodException", "code": 100,
		}})
		return
	}
	all := map[string]string{
		"id": strconv.FormatInt(u.ID, 10), "name": u.Name, "email": u.Email,
		"first_name": u.GivenName, "last_name": u.FamilyName,
	}
	out := map[string]string{"id": all["id"]}
	for _, f := range strings.Split(r.URL.Query().Get("fields"), ",") {
		if v := all[f]; v != "" {
			out[f] = v
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// bearer returns the user and the access token of the request's
// Authorization header (GitHub also takes "token …", Facebook an
// access_token parameter).
func (p *Provider) bearer(r *http.Request) (User, string, bool) {
	h := r.Header.Get("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok && p.Kind == GitHub {
		token, ok = strings.CutPrefix(h, "token ")
	}
	if !ok && p.Kind == Facebook {
		token, ok = r.URL.Query().Get("access_token"), true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	u, known := p.tokens[token]
	return u, token, ok && known
}

// appleUserField is the user field Apple posts on a first authorization.
func appleUserField(u User) string {
	var v struct {
		Name struct {
			FirstName string `json:"firstName,omitempty"`
			LastName  string `json:"lastName,omitempty"`
		} `json:"name"`
		Email string `json:"email,omitempty"`
	}
	v.Name.FirstName, v.Name.LastName, v.Email = u.GivenName, u.FamilyName, u.Email
	b, _ := json.Marshal(v)
	return string(b)
}
