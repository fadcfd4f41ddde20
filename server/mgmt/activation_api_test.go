package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/mail/mailtest"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// delivered sends the outbox to a real SMTP server on loopback and
// returns every message it holds.
func (w *world) delivered(t *testing.T) []mailtest.Message {
	t.Helper()
	if w.sink == nil {
		w.sink = mailtest.Start(t)
	}
	if _, _, err := w.outbox.Deliver(context.Background(), &mail.SMTP{Host: w.sink.Host, Port: w.sink.Port, TLS: mail.NoTLS, Timeout: 10 * time.Second}, 100); err != nil {
		t.Fatal(err)
	}
	return w.sink.Messages()
}

// activationLink finds the activation link of a message, checks that
// both bodies carry it and that the subject does not, and returns it.
var activationLinkRE = regexp.MustCompile(`https?://[^\s"<>]+` + regexp.QuoteMeta(ActivationPath) + `[^\s"<>]+`)

func activationLink(t *testing.T, m mailtest.Message) *url.URL {
	t.Helper()
	raw := activationLinkRE.FindString(m.Text)
	if raw == "" {
		t.Fatalf("no activation link in the text body:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, strings.ReplaceAll(raw, "&", "&amp;")) {
		t.Fatalf("the HTML body lacks the link %s", raw)
	}
	if strings.Contains(m.Subject, ActivationPath) {
		t.Fatalf("the subject holds the link: %q", m.Subject)
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// storedEvents returns every stored event row of a tenant as text,
// details and sealed personal data included, as they are at rest.
func (w *world) storedEvents(t *testing.T, tenantID string) string {
	t.Helper()
	var out strings.Builder
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		rows, err := tx.Query(ctx, `SELECT type, target_id, details, personal FROM events WHERE tenant_id = ?`, tenantID)
		_, err = store.Collect(rows, err, func(r store.Scanner) (struct{}, error) {
			var typ, target string
			var details []byte
			var personal []byte
			err := r.Scan(&typ, &target, &details, &personal)
			fmt.Fprintf(&out, "%s %s %s %s\n", typ, target, details, personal)
			return struct{}{}, err
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// activate uses a token as the hosted page will, and returns the user.
func (w *world) activate(t *testing.T, tenantID, token string) directory.User {
	t.Helper()
	var u directory.User
	if err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = w.dir.Activate(ctx, tx, tenantID, token)
		return err
	}); err != nil {
		t.Fatalf("activate: %v", err)
	}
	return u
}

// TestActivationByEmail issues activations that are mailed: the token
// travels only in the link, built on the tenant's site (its subdomain of
// the public URL, then its active custom domain) and never on the
// request's host; it is never answered nor logged. Refusals name the
// field and write nothing, and a tenant without mail gets 409.
func TestActivationByEmail(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin, desk := w.token[RoleTenantAdmin], w.token[RoleHelpDesk]
			base := "/api/v1/mgmt/tenants/" + w.a.ID
			staged := func(body string) UserView {
				t.Helper()
				return call[UserView](t, w, http.MethodPost, base+"/users", admin, body, http.StatusCreated)
			}
			jane := staged(`{"login":"jane","email":"jane.doe@example.com","given_name":"Jane","name":"Jane Doe","status":"STAGED"}`)
			layla := staged(`{"login":"layla","email":"layla@example.org","name":"Layla","locale":"ar","status":"PROVISIONED"}`)
			noMail := staged(`{"login":"no-mail","status":"STAGED"}`)
			activation := func(u UserView) string { return base + "/users/" + u.ID + "/activation" }

			// Apps: the fixture gets an initiate_login_uri by PATCH, a new
			// one on creation; a third has none.
			shop := w.fixture[w.a.ID]["app"]
			patched := call[AppView](t, w, http.MethodPatch, base+"/apps/"+shop, admin, `{"initiate_login_uri":"https://shop.example.com/login"}`, http.StatusOK)
			if patched.InitiateLoginURI != "https://shop.example.com/login" {
				t.Fatalf("patched %+v", patched)
			}
			portal := call[CreatedAppView](t, w, http.MethodPost, base+"/apps", admin,
				`{"name":"Portal","type":"spa","redirect_uris":["https://portal.example.com/cb"],"initiate_login_uri":"https://portal.example.com/start"}`, http.StatusCreated)
			if got := call[AppView](t, w, http.MethodGet, base+"/apps/"+portal.ID, admin, "", http.StatusOK); got.InitiateLoginURI != "https://portal.example.com/start" {
				t.Fatalf("read back %+v", got)
			}
			bare := call[CreatedAppView](t, w, http.MethodPost, base+"/apps", admin,
				`{"name":"Bare","type":"web","redirect_uris":["https://bare.example.com/cb"]}`, http.StatusCreated)
			if bare.InitiateLoginURI != "" {
				t.Fatalf("created %+v", bare)
			}

			// Before the tenant can send mail: 409, and nothing written.
			w.refuseWithout(t, refusal{"a tenant that cannot send mail", http.MethodPost, activation(jane), admin, `{"send_email":true}`, http.StatusConflict, "cannot send mail"})
			w.sink = mailtest.Start(t)
			call[MailSettingsView](t, w, http.MethodPut, base+"/mail", admin,
				fmt.Sprintf(`{"host":"127.0.0.1","port":%d,"tls":"none","from":"Acme <no-reply@acme.example>"}`, w.sink.Port), http.StatusOK)

			// Jane: mailed on the tenant's subdomain, for the shop. The
			// request names another host: links never come from it.
			req, err := http.NewRequest(http.MethodPost, w.srv.URL+activation(jane), strings.NewReader(`{"send_email":true,"app_id":"`+shop+`"}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Host = "evil.example.net"
			req.Header.Set("X-Forwarded-Host", "evil.example.net")
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+desk)
			resp, err := w.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			var sent ActivationView
			err = json.NewDecoder(resp.Body).Decode(&sent)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusAccepted {
				t.Fatalf("mail jane's activation: %d %v", resp.StatusCode, err)
			}
			if sent.Token != "" || sent.SentTo != "j•••@example.com" || !sent.ExpiresAt.Equal(w.clock.Now().Add(7*24*time.Hour)) {
				t.Fatalf("answer %+v", sent)
			}
			ms := w.delivered(t)
			if len(ms) != 1 || len(ms[0].To) != 1 || ms[0].To[0] != "jane.doe@example.com" || !strings.Contains(ms[0].Header.Get("From"), "no-reply@acme.example") {
				t.Fatalf("mail %+v", ms)
			}
			link := activationLink(t, ms[0])
			if link.Scheme != "https" || link.Host != "tenant-a.id.example.test" || link.Query().Get("app") != shop || len(link.Query()) != 1 {
				t.Fatalf("link %s", link)
			}
			token := strings.TrimPrefix(link.Path, ActivationPath)
			if !strings.HasPrefix(token, directory.ActivationPrefix) || !strings.Contains(ms[0].Text, "Hello Jane,") || !strings.Contains(ms[0].Text, "to use Fixture") ||
				!strings.Contains(ms[0].Subject, "Fixture") || !strings.Contains(ms[0].Text, "168 hours") {
				t.Fatalf("message %q:\n%s", ms[0].Subject, ms[0].Text)
			}
			if got := w.activate(t, w.a.ID, token); got.ID != jane.ID || got.Status != directory.StatusActive {
				t.Fatalf("activated %+v", got)
			}

			// Layla: an active custom domain is now the site; no app, a
			// short lifetime, her own language and name.
			err = w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
				_, err := w.tenants.SetDomainState(ctx, tx, w.fixture[w.a.ID]["domain"], tenant.DomainActive, "")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(time.Minute)
			sent = call[ActivationView](t, w, http.MethodPost, activation(layla), admin, `{"send_email":true,"expires_in":3600}`, http.StatusAccepted)
			if sent.SentTo != "l•••@example.org" || !sent.ExpiresAt.Equal(w.clock.Now().Add(time.Hour)) {
				t.Fatalf("answer %+v", sent)
			}
			ms = w.delivered(t)
			if len(ms) != 2 || ms[1].To[0] != "layla@example.org" {
				t.Fatalf("mail %+v", ms)
			}
			link = activationLink(t, ms[1])
			if link.String() != "https://login.tenant-a.example.com"+ActivationPath+strings.TrimPrefix(link.EscapedPath(), ActivationPath) || link.RawQuery != "" {
				t.Fatalf("link %s", link)
			}
			if ms[1].Subject == ms[0].Subject || !strings.Contains(ms[1].Text, "Layla") || !strings.Contains(ms[1].HTML, `lang="ar"`) {
				t.Fatalf("message %q:\n%s", ms[1].Subject, ms[1].Text)
			}
			laylaToken := strings.TrimPrefix(link.Path, ActivationPath)

			// Without send_email the token is answered, as before.
			w.clock.Advance(time.Second)
			tok := call[ActivationView](t, w, http.MethodPost, activation(noMail), desk, `{}`, http.StatusCreated)
			if !strings.HasPrefix(tok.Token, directory.ActivationPrefix) || tok.SentTo != "" {
				t.Fatalf("token answer %+v", tok)
			}

			other := w.fixture[w.b.ID]
			for _, c := range []refusal{
				{"a user without an address", http.MethodPost, activation(noMail), admin, `{"send_email":true}`, http.StatusUnprocessableEntity, "body.send_email"},
				{"an app without an initiate_login_uri", http.MethodPost, activation(layla), admin, `{"send_email":true,"app_id":"` + bare.ID + `"}`, http.StatusUnprocessableEntity, "body.app_id"},
				{"an unknown app", http.MethodPost, activation(layla), admin, `{"send_email":true,"app_id":"app_nope"}`, http.StatusUnprocessableEntity, "body.app_id"},
				{"another tenant's app", http.MethodPost, activation(layla), admin, `{"send_email":true,"app_id":"` + other["app"] + `"}`, http.StatusUnprocessableEntity, "body.app_id"},
				{"an app without send_email", http.MethodPost, activation(layla), admin, `{"app_id":"` + portal.ID + `"}`, http.StatusUnprocessableEntity, "body.app_id"},
				{"an active user", http.MethodPost, activation(jane), admin, `{"send_email":true}`, http.StatusUnprocessableEntity, "body.status"},
				{"a lifetime under 5 minutes", http.MethodPost, activation(layla), admin, `{"send_email":true,"expires_in":60}`, http.StatusUnprocessableEntity, "body.expires_in"},
				{"an unknown user", http.MethodPost, base + "/users/usr_nope/activation", admin, `{"send_email":true}`, http.StatusNotFound, ""},
				{"another tenant's user", http.MethodPost, base + "/users/" + other["user"] + "/activation", admin, `{"send_email":true}`, http.StatusNotFound, ""},
				{"another tenant", http.MethodPost, "/api/v1/mgmt/tenants/" + w.b.ID + "/users/" + other["user"] + "/activation", admin, `{"send_email":true}`, http.StatusForbidden, "tenant"},
				{"a read-only admin", http.MethodPost, activation(layla), w.token[RoleReadOnly], `{"send_email":true}`, http.StatusForbidden, "users:activate"},
			} {
				w.refuseWithout(t, c)
			}
			// Both problems of one request are named at once.
			status, _, body := w.do(t, http.MethodPost, activation(noMail), admin, `{"send_email":true,"app_id":"`+bare.ID+`"}`)
			var p problemBody
			if err := json.Unmarshal([]byte(body), &p); status != http.StatusUnprocessableEntity || err != nil || !p.names("body.send_email") || !p.names("body.app_id") {
				t.Fatalf("two problems: %d %s", status, body)
			}
			if n := len(w.delivered(t)); n != 2 {
				t.Fatalf("%d messages after the refusals", n)
			}

			// The log: one event per issued activation, by delivery, the
			// address sealed under the user's key, never a token.
			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"user.activation.issued"}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range evs {
				got = append(got, fmt.Sprint(ev.Target.ID, " ", ev.Details["delivery"], " ", ev.Details["app_id"], " ", ev.Personal["sent_to"]))
			}
			want := []string{jane.ID + " email " + shop + " jane.doe@example.com", layla.ID + " email <nil> layla@example.org", noMail.ID + " token <nil> "}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("events\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			stored := w.storedEvents(t, w.a.ID)
			if !strings.Contains(stored, `"delivery": "email"`) && !strings.Contains(stored, `"delivery":"email"`) {
				t.Fatalf("the stored events lack the activations:\n%s", stored)
			}
			for _, secret := range []string{token, laylaToken, tok.Token} {
				if strings.Contains(stored, secret) || strings.Contains(w.logs.String(), secret) {
					t.Fatal("an activation token reached the system log or the server log")
				}
			}
			if strings.Contains(stored, "jane.doe@example.com") || strings.Contains(stored, "layla@example.org") {
				t.Fatal("an address is stored in the system log in plaintext")
			}
		})
	}
}

// TestActivationLinksOnTheDefaultTenantAndTheDocument checks that the
// default tenant's links use the public URL's own host, scheme and port,
// and that the OpenAPI document lists both success answers.
func TestActivationLinksOnTheDefaultTenantAndTheDocument(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	w.tenants = tenant.New(w.sec, w.clock, tenant.Options{PublicURL: "http://localhost:8080", DefaultTenant: w.a.Slug})
	w.api.Tenants = w.tenants
	admin := w.token[RoleTenantAdmin]
	base := "/api/v1/mgmt/tenants/" + w.a.ID
	w.sink = mailtest.Start(t)
	call[MailSettingsView](t, w, http.MethodPut, base+"/mail", admin,
		fmt.Sprintf(`{"host":"127.0.0.1","port":%d,"tls":"none","from":"no-reply@acme.example"}`, w.sink.Port), http.StatusOK)
	u := call[UserView](t, w, http.MethodPost, base+"/users", admin, `{"login":"sam@example.com","email":"sam@example.com","status":"STAGED"}`, http.StatusCreated)
	call[ActivationView](t, w, http.MethodPost, base+"/users/"+u.ID+"/activation", admin, `{"send_email":true}`, http.StatusAccepted)
	ms := w.delivered(t)
	if len(ms) != 1 {
		t.Fatalf("%d messages", len(ms))
	}
	if link := activationLink(t, ms[0]); link.Scheme != "http" || link.Host != "localhost:8080" {
		t.Fatalf("link %s", link)
	}
	if strings.Contains(ms[0].Text, "Hello") {
		t.Fatalf("a greeting without a name:\n%s", ms[0].Text)
	}

	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]json.RawMessage `json:"responses"`
		} `json:"paths"`
	}
	_, _, body := w.do(t, http.MethodGet, Prefix+"/openapi.json", "", "")
	if err := json.Unmarshal([]byte(body), &doc); err != nil {
		t.Fatal(err)
	}
	rs := doc.Paths[Prefix+"/tenants/{tenant}/users/{user}/activation"]["post"].Responses
	content := func(raw json.RawMessage) string {
		var r struct {
			Content json.RawMessage `json:"content"`
		}
		_ = json.Unmarshal(raw, &r)
		return string(r.Content)
	}
	if content(rs["201"]) == "" || content(rs["201"]) != content(rs["202"]) {
		t.Fatalf("responses 201 %s, 202 %s", rs["201"], rs["202"])
	}
}
