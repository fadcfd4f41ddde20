package main

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
)

// The Okta Sign-In Widget's least bundle for Okta Identity Engine orgs, as
// its npm package ships it.
const (
	oktaPackage = "@okta/okta-signin-widget"
	oktaJS      = "dist/js/okta-sign-in.oie.min.js"
	oktaCSS     = "dist/css/okta-sign-in.min.css"
)

// oktaWidget is the npm package unpacked into a temporary directory.
type oktaWidget struct {
	version string
	// dir holds the package's dist/ (the bundle, its CSS, fonts and
	// images), as npm's tarball has it under package/.
	dir string
}

// fetchOkta downloads the package with `npm pack` (the registry's
// ordinary client) and unpacks what a page needs: dist/js (the OIE bundle
// only), dist/css, dist/font, dist/img and package.json. Nothing of it is
// kept outside tmp.
func fetchOkta(ctx context.Context, tmp, spec string) (*oktaWidget, error) {
	dir := filepath.Join(tmp, "okta")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var tgz string
	var errs []error
	for _, s := range []string{spec, "7"} {
		cmd := exec.CommandContext(ctx, "npm", "pack", oktaPackage+"@"+s, "--pack-destination", dir, "--silent")
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			errs = append(errs, fmt.Errorf("npm pack %s@%s: %w", oktaPackage, s, err))
			continue
		}
		lines := strings.Fields(strings.TrimSpace(string(out)))
		if len(lines) == 0 {
			errs = append(errs, fmt.Errorf("npm pack %s@%s printed no file name", oktaPackage, s))
			continue
		}
		tgz = filepath.Join(dir, lines[len(lines)-1])
		break
	}
	if tgz == "" {
		return nil, errors.Join(errs...)
	}
	if err := untar(tgz, dir, func(name string) bool {
		return name == "package.json" || name == oktaJS || strings.HasPrefix(name, "dist/css/") ||
			strings.HasPrefix(name, "dist/font/") || strings.HasPrefix(name, "dist/img/")
	}); err != nil {
		return nil, fmt.Errorf("unpack %s: %w", tgz, err)
	}
	var pkg struct {
		Version string `json:"version"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err == nil {
		err = json.Unmarshal(b, &pkg)
	}
	if err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	for _, f := range []string{oktaJS, oktaCSS} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("%s %s does not ship %s", oktaPackage, pkg.Version, f)
		}
	}
	return &oktaWidget{version: pkg.Version, dir: dir}, nil
}

// untar writes the files of a gzipped npm tarball whose names (without
// the leading package/) keep says, under dir.
func untar(tgz, dir string, keep func(string) bool) error {
	f, err := os.Open(tgz)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name, ok := strings.CutPrefix(path.Clean(h.Name), "package/")
		if !ok || h.Typeflag != tar.TypeReg || !keep(name) || !filepath.IsLocal(name) {
			continue
		}
		dst := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		out, err := os.Create(dst)
		if err != nil {
			return err
		}
		_, err = io.Copy(out, tr)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
}

// oktaOrg answers, on loopback, the requests the widget makes of an Okta
// org before it renders its first form, with responses written after the
// shapes of Okta's public IDX documentation (interaction code flow):
// discovery, /v1/interact and /idp/idx/introspect returning the identify
// remediation. Any other request is answered 404 and counted, so the
// report can say the widget asked for nothing else.
type oktaOrg struct {
	origin string // https://host, as the browser sees it
	mu     sync.Mutex
	// answered and other count the requests answered and refused, by
	// method and path.
	answered, other map[string]int
}

func newOktaOrg(origin string) *oktaOrg {
	return &oktaOrg{origin: origin, answered: map[string]int{}, other: map[string]int{}}
}

func (o *oktaOrg) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if origin := r.Header.Get("Origin"); origin != "" {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Vary", "Origin")
	}
	h.Set("Timing-Allow-Origin", "*")
	if r.Method == http.MethodOptions {
		h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
		if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
			h.Set("Access-Control-Allow-Headers", req)
		}
		h.Set("Access-Control-Max-Age", "86400")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var body, ctype string
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/.well-known/openid-configuration"):
		body, ctype = oktaDiscovery, "application/json"
	case r.Method == http.MethodPost && r.URL.Path == "/oauth2/default/v1/interact":
		body, ctype = oktaInteract, "application/json"
	case r.Method == http.MethodPost && r.URL.Path == "/idp/idx/introspect":
		body, ctype = oktaIdentify, "application/ion+json; okta-version=1.0.0"
	default:
		o.mu.Lock()
		o.other[r.Method+" "+r.URL.Path]++
		o.mu.Unlock()
		http.NotFound(w, r)
		return
	}
	o.mu.Lock()
	o.answered[r.Method+" "+r.URL.Path]++
	o.mu.Unlock()
	h.Set("Content-Type", ctype)
	h.Set("Cache-Control", "no-store")
	_, _ = io.WriteString(w, strings.ReplaceAll(body, "{org}", o.origin))
}

// requests returns the requests answered and those answered 404, with
// their counts.
func (o *oktaOrg) requests() (answered, other map[string]int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.answered), maps.Clone(o.other)
}

// The org's answers; {org} is replaced by its origin.
const (
	oktaDiscovery = `{"issuer":"{org}/oauth2/default","authorization_endpoint":"{org}/oauth2/default/v1/authorize",` +
		`"token_endpoint":"{org}/oauth2/default/v1/token","userinfo_endpoint":"{org}/oauth2/default/v1/userinfo",` +
		`"jwks_uri":"{org}/oauth2/default/v1/keys","end_session_endpoint":"{org}/oauth2/default/v1/logout",` +
		`"revocation_endpoint":"{org}/oauth2/default/v1/revoke","introspection_endpoint":"{org}/oauth2/default/v1/introspect",` +
		`"response_types_supported":["code"],"response_modes_supported":["query","fragment","form_post","okta_post_message"],` +
		`"grant_types_supported":["authorization_code","refresh_token","interaction_code"],"subject_types_supported":["public"],` +
		`"id_token_signing_alg_values_supported":["RS256"],"scopes_supported":["openid","profile","email","offline_access"],` +
		`"token_endpoint_auth_methods_supported":["client_secret_basic","client_secret_post","private_key_jwt","none"],` +
		`"code_challenge_methods_supported":["S256"],"request_parameter_supported":true}`

	oktaInteract = `{"interaction_handle":"ih1.bench-7Yq2cXb0pLr4Kz9WmN3e"}`

	// oktaIdentify is the first IDX state of a sign-in: identify by user
	// name (with "keep me signed in"), or sign up.
	oktaIdentify = `{"version":"1.0.0","stateHandle":"02.id.bench-Qx8vN2mZr5Lt7Kp3Wy9Hs4Jd6Fb1Gc0","expiresAt":"2030-01-01T00:00:00.000Z",` +
		`"intent":"LOGIN","remediation":{"type":"array","value":[` +
		`{"rel":["create-form"],"name":"identify","href":"{org}/idp/idx/identify","method":"POST","produces":"application/ion+json; okta-version=1.0.0",` +
		`"value":[{"name":"identifier","label":"Username","required":true},{"name":"rememberMe","type":"boolean","label":"Keep me signed in"},` +
		`{"name":"stateHandle","required":true,"value":"02.id.bench-Qx8vN2mZr5Lt7Kp3Wy9Hs4Jd6Fb1Gc0","visible":false,"mutable":false}],` +
		`"accepts":"application/json; okta-version=1.0.0"},` +
		`{"rel":["create-form"],"name":"select-enroll-profile","href":"{org}/idp/idx/enroll","method":"POST","produces":"application/ion+json; okta-version=1.0.0",` +
		`"value":[{"name":"stateHandle","required":true,"value":"02.id.bench-Qx8vN2mZr5Lt7Kp3Wy9Hs4Jd6Fb1Gc0","visible":false,"mutable":false}],` +
		`"accepts":"application/json; okta-version=1.0.0"}]},` +
		`"cancel":{"rel":["create-form"],"name":"cancel","href":"{org}/idp/idx/cancel","method":"POST","produces":"application/ion+json; okta-version=1.0.0",` +
		`"value":[{"name":"stateHandle","required":true,"value":"02.id.bench-Qx8vN2mZr5Lt7Kp3Wy9Hs4Jd6Fb1Gc0","visible":false,"mutable":false}],` +
		`"accepts":"application/json; okta-version=1.0.0"},` +
		`"app":{"type":"object","value":{"name":"oidc_client","label":"Acme Shop","id":"0oabenchshop0000000"}}}`
)
