package idptest

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// routes serves p's kind at the paths the real provider uses (or close
// to them).
func (p *Provider) routes() *http.ServeMux {
	mux := http.NewServeMux()
	switch p.Kind {
	case OIDC, Google, LinkedIn, Apple:
		mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
		mux.HandleFunc("GET /authorize", p.authorize)
		mux.HandleFunc("POST /token", p.token)
		mux.HandleFunc("GET /jwks", p.jwks)
		if p.Kind != Apple {
			mux.HandleFunc("GET /userinfo", p.userinfo)
		}
	case Microsoft:
		mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", p.discovery)
		mux.HandleFunc("GET /{tenant}/oauth2/v2.0/authorize", p.authorize)
		mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", p.token)
		mux.HandleFunc("GET /{tenant}/discovery/v2.0/keys", p.jwks)
	case OAuth2:
		mux.HandleFunc("GET /authorize", p.authorize)
		mux.HandleFunc("POST /token", p.token)
		mux.HandleFunc("GET /userinfo", p.userinfo)
	case GitHub:
		mux.HandleFunc("GET /login/oauth/authorize", p.authorize)
		mux.HandleFunc("POST /login/oauth/access_token", p.token)
		mux.HandleFunc("GET /user", p.userinfo)
		mux.HandleFunc("GET /user/emails", p.githubEmails)
	case Facebook:
		mux.HandleFunc("GET /dialog/oauth", p.authorize)
		mux.HandleFunc("POST /oauth/access_token", p.token)
		mux.HandleFunc("GET /me", p.userinfo)
	default:
		panic("idptest: unknown kind " + p.Kind)
	}
	return mux
}

// discovery serves the OpenID Connect discovery document. A
// multi-tenant Microsoft authority names an issuer template.
func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	base, iss := p.URL, p.URL
	if p.Kind == Microsoft {
		t := r.PathValue("tenant")
		base = p.URL + "/" + t
		switch t {
		case "common", "organizations":
			iss = p.URL + "/{tenantid}/v2.0"
		case "consumers":
			iss = p.URL + "/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
		default:
			iss = p.URL + "/" + t + "/v2.0"
		}
	}
	doc := map[string]any{
		"issuer":                                iss,
		"authorization_endpoint":                base + "/authorize",
		"token_endpoint":                        base + "/token",
		"jwks_uri":                              base + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
	}
	switch p.Kind {
	case Microsoft:
		doc["authorization_endpoint"] = base + "/oauth2/v2.0/authorize"
		doc["token_endpoint"] = base + "/oauth2/v2.0/token"
		doc["jwks_uri"] = base + "/discovery/v2.0/keys"
	case Apple:
		doc["response_modes_supported"] = []string{"query", "fragment", "form_post"}
	default:
		doc["userinfo_endpoint"] = base + "/userinfo"
	}
	if p.Kind == LinkedIn {
		doc["token_endpoint_auth_methods_supported"] = []string{"client_secret_post"}
	}
	writeJSON(w, http.StatusOK, doc)
}

// authorize checks an authorization request and signs the current user
// in at once (or declines, after Deny).
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	challenge := q.Get("code_challenge")
	switch ru, err := url.Parse(redirect); {
	case q.Get("client_id") != p.ClientID:
		http.Error(w, "unknown client_id", http.StatusBadRequest)
		return
	case err != nil || !ru.IsAbs() || ru.Fragment != "" || p.opts.RedirectURI != "" && redirect != p.opts.RedirectURI:
		http.Error(w, "redirect_uri is not registered", http.StatusBadRequest)
		return
	case q.Get("response_type") != "code":
		http.Error(w, "response_type must be code", http.StatusBadRequest)
		return
	case q.Get("code_challenge_method") != "S256" || len(challenge) != 43:
		http.Error(w, "PKCE with S256 is required", http.StatusBadRequest)
		return
	}
	scope := strings.Fields(q.Get("scope"))
	formPost := q.Get("response_mode") == "form_post"
	if p.Kind == Apple && (slices.Contains(scope, "name") || slices.Contains(scope, "email")) && !formPost {
		http.Error(w, "response_mode must be form_post when name or email is requested", http.StatusBadRequest)
		return
	}
	if p.oidc() && p.Kind != Apple && !slices.Contains(scope, "openid") {
		http.Error(w, "scope must include openid", http.StatusBadRequest)
		return
	}

	p.mu.Lock()
	deny, u := p.deny, p.user
	p.deny = false
	out := url.Values{"state": {q.Get("state")}}
	switch {
	case deny && p.Kind == Apple:
		out.Set("error", "user_cancelled_authorize")
	case deny:
		out.Set("error", "access_denied")
		out.Set("error_description", "The user declined.")
	default:
		code := random()
		p.codes[code] = grant{redirectURI: redirect, challenge: challenge, nonce: q.Get("nonce"), user: u}
		out.Set("code", code)
	}
	sendName := p.Kind == Apple && !deny && !p.seen[u.Subject]
	if sendName {
		p.seen[u.Subject] = true // Apple sends the name on the first authorization only
	}
	p.mu.Unlock()

	if !formPost {
		http.Redirect(w, r, redirect+sep(redirect)+out.Encode(), http.StatusFound)
		return
	}
	if out.Has("code") && p.Kind == Apple {
		// Apple also posts the ID token; a client should prefer the
		// token endpoint's.
		out.Set("id_token", p.idToken(u, q.Get("nonce")))
		if sendName {
			out.Set("user", appleUserField(u))
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	formPage.Execute(w, struct {
		Action string
		Fields url.Values
	}{redirect, out})
}

// formPage posts the authorization response to the redirect URI, as
// response_mode=form_post does: at once with script, by button without.
var formPage = template.Must(template.New("form").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Signing in…</title></head>
<body><form method="post" action="{{.Action}}">
{{range $k, $vs := .Fields}}{{range $vs}}<input type="hidden" name="{{$k}}" value="{{.}}">
{{end}}{{end}}<button type="submit">Continue</button>
</form>
<script>document.forms[0].submit()</script>
</body></html>
`))

// sep is what joins a query to u.
func sep(u string) string {
	if strings.Contains(u, "?") {
		return "&"
	}
	return "?"
}

// oidc reports whether p's kind issues ID tokens.
func (p *Provider) oidc() bool {
	switch p.Kind {
	case OIDC, Google, Microsoft, Apple, LinkedIn:
		return true
	}
	return false
}
