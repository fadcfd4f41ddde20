package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/mail/mailtest"
)

// TestActivationMailLinksToTheTenantSite runs the binary with the
// instance's SMTP relay on a loopback sink, has the management API mail
// activations to users of two tenants, and reads the links that arrive:
// the default tenant's on the public URL's host, another tenant's on its
// subdomain, both keeping the public URL's scheme and port, whatever host
// the API was called on.
func TestActivationMailLinksToTheTenantSite(t *testing.T) {
	sink := mailtest.Start(t)
	port := freePort(t)
	public := fmt.Sprintf("http://localhost:%d", port)
	env := []string{"LINTEL_DATA_DIR=" + filepath.Join(t.TempDir(), "data"), "LINTEL_PUBLIC_URL=" + public, "LINTEL_DEFAULT_TENANT=acme",
		"LINTEL_MAIL_SMTP_HOST=127.0.0.1", "LINTEL_MAIL_SMTP_PORT=" + strconv.Itoa(sink.Port), "LINTEL_MAIL_SMTP_TLS=none",
		"LINTEL_MAIL_FROM=Lintel <no-reply@lintel.example>", "LINTEL_EGRESS_ALLOW=127.0.0.0/8"}
	out, errOut, code := lintel(t, env, "admin", "token", "create", "--tenant", "system", "--role", "instance-admin", "--name", "bootstrap", "--expires", "10m")
	admin := strings.TrimSpace(out)
	if code != 0 || !tokenPattern.MatchString(admin) {
		t.Fatalf("admin token: exit %d %q", code, errOut)
	}
	s := startCommand(t, exec.Command(binary, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", port)), env)
	api := s.base + "/api/v1/mgmt/tenants/"

	var app struct {
		ID string `json:"id"`
	}
	call(t, http.MethodPost, api[:len(api)-1], admin, map[string]any{"slug": "acme", "name": "Acme"}, http.StatusCreated)
	call(t, http.MethodPost, api[:len(api)-1], admin, map[string]any{"slug": "globex", "name": "Globex"}, http.StatusCreated)
	body := call(t, http.MethodPost, api+"acme/apps", admin, map[string]any{"name": "Acme Shop", "type": "spa",
		"redirect_uris": []string{"https://shop.acme.example/cb"}, "initiate_login_uri": "https://shop.acme.example/login"}, http.StatusCreated)
	if err := json.Unmarshal(body, &app); err != nil || app.ID == "" {
		t.Fatalf("app %s: %v", body, err)
	}
	activate := func(slug, email, appID string) {
		t.Helper()
		var u struct {
			ID string `json:"id"`
		}
		body := call(t, http.MethodPost, api+slug+"/users", admin, map[string]any{"login": email, "email": email, "status": "STAGED"}, http.StatusCreated)
		if err := json.Unmarshal(body, &u); err != nil {
			t.Fatal(err)
		}
		req := map[string]any{"send_email": true}
		if appID != "" {
			req["app_id"] = appID
		}
		body = call(t, http.MethodPost, api+slug+"/users/"+u.ID+"/activation", admin, req, http.StatusAccepted)
		if strings.Contains(string(body), "lact_") || !strings.Contains(string(body), `"sent_to"`) {
			t.Fatalf("answer %s", body)
		}
	}
	activate("acme", "ana@example.com", app.ID)
	activate("globex", "gus@example.com", "")

	links := map[string]*url.URL{}
	linkRE := regexp.MustCompile(`http://[^\s"<>]+/activate/[^\s"<>]+`)
	for _, m := range sink.Wait(t, 2, 30*time.Second) {
		raw := linkRE.FindString(m.Text)
		u, err := url.Parse(raw)
		if raw == "" || err != nil || len(m.To) != 1 {
			t.Fatalf("no activation link in the message to %v:\n%s", m.To, m.Text)
		}
		links[m.To[0]] = u
	}
	if u := links["ana@example.com"]; u == nil || u.Host != fmt.Sprintf("localhost:%d", port) || !strings.HasPrefix(u.Path, "/activate/lact_") || u.Query().Get("app") != app.ID {
		t.Fatalf("the default tenant's link %v", u)
	}
	if u := links["gus@example.com"]; u == nil || u.Host != fmt.Sprintf("globex.localhost:%d", port) || !strings.HasPrefix(u.Path, "/activate/lact_") || u.RawQuery != "" {
		t.Fatalf("globex's link %v", u)
	}
	if strings.Contains(s.stderr.String(), "lact_") {
		t.Fatal("an activation token reached the server's log")
	}
}
