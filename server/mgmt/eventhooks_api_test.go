package mgmt

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	stdlog "log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/hooksig"
	"github.com/lintel-id/lintel/server/eventhooks"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// hookReceiver is a tenant's endpoint on loopback TLS for both kinds of
// hook. It checks every request's signature with the secret it was told
// for the hook the request names (at the world's clock), echoes
// handshakes, answers inline hooks {} and deliveries with answer.
type hookReceiver struct {
	t   *testing.T
	clk clock.Clock
	srv *httptest.Server

	mu      sync.Mutex
	secrets map[string]string // hook ID → secret
	// answer is the status of deliveries' answers (204 when 0); badEcho
	// answers handshakes with another challenge.
	answer  int
	badEcho bool
	got     []received
}

// received is one request a hookReceiver got.
type received struct {
	hookID, eventID string
	handshake       bool
	body            []byte
	// signature is hooksig.Verify's verdict with the hook's secret.
	signature error
}

func startHookReceiver(t *testing.T, clk clock.Clock) *hookReceiver {
	t.Helper()
	rx := &hookReceiver{t: t, clk: clk, secrets: map[string]string{}}
	rx.srv = httptest.NewUnstartedServer(http.HandlerFunc(rx.serve))
	// Refused signatures and 500s are the point of some tests.
	rx.srv.Config.ErrorLog = stdlog.New(io.Discard, "", 0)
	rx.srv.StartTLS()
	t.Cleanup(rx.srv.Close)
	return rx
}

// url is where hooks reach the receiver (path tells kinds apart).
func (rx *hookReceiver) url(path string) string { return rx.srv.URL + path }

func (rx *hookReceiver) trust(hookID, secret string) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.secrets[hookID] = secret
}

func (rx *hookReceiver) set(answer int, badEcho bool) {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	rx.answer, rx.badEcho = answer, badEcho
}

func (rx *hookReceiver) serve(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(rw, "body", http.StatusBadRequest)
		return
	}
	rx.mu.Lock()
	defer rx.mu.Unlock()
	id := r.Header.Get(eventhooks.HookIDHeader)
	sig := hooksig.ErrMismatch
	if secret, ok := rx.secrets[id]; ok {
		sig = hooksig.Verify(r.Header.Get(hooksig.Header), body, []byte(secret), rx.clk.Now(), 0)
	}
	challenge := r.Header.Get(eventhooks.ChallengeHeader)
	rx.got = append(rx.got, received{hookID: id, eventID: r.Header.Get(eventhooks.EventIDHeader), handshake: challenge != "", body: body, signature: sig})
	switch {
	case sig != nil:
		http.Error(rw, "bad signature", http.StatusUnauthorized)
	case challenge != "":
		if rx.badEcho {
			challenge = "not-" + challenge
		}
		rw.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(rw).Encode(map[string]string{"verification": challenge})
	case r.URL.Path == "/inline":
		rw.Header().Set("Content-Type", "application/json")
		_, _ = rw.Write([]byte(`{}`))
	case rx.answer != 0:
		http.Error(rw, "unavailable", rx.answer)
	default:
		rw.WriteHeader(http.StatusNoContent)
	}
}

// requests returns what the receiver got, in order.
func (rx *hookReceiver) requests() []received {
	rx.mu.Lock()
	defer rx.mu.Unlock()
	return slices.Clone(rx.got)
}

// hookState is every hook and delivery row as text: what a refused
// request must leave as it was.
func (w *world) hookState(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		for _, q := range []string{
			`SELECT id, name, point, url, module_sha256, timeout_ms, enabled, priority, secret_sealed, updated_at FROM hooks ORDER BY id`,
			`SELECT sha256, size, '', '', '', '', '', '', '', created_at FROM hook_modules ORDER BY sha256`,
			`SELECT id, name, url, event_types, status, cursor, '', '', secret_sealed, updated_at FROM event_hooks ORDER BY id`,
			`SELECT id, status, attempts, last_status, last_error, '', '', '', '', next_attempt_at FROM event_deliveries ORDER BY id`,
		} {
			rows, err := tx.Query(ctx, q)
			lines, err := store.Collect(rows, err, func(r store.Scanner) (string, error) {
				var c [9]any
				var at time.Time
				err := r.Scan(&c[0], &c[1], &c[2], &c[3], &c[4], &c[5], &c[6], &c[7], &c[8], &at)
				return fmt.Sprint(c, at.UnixMicro()), err
			})
			if err != nil {
				return err
			}
			b.WriteString(strings.Join(lines, "\n") + "\n--\n")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// checkHookRefusals sends each request and expects its status, a problem
// naming where and holding none of the secrets, and no change to any
// hook or delivery.
func (w *world) checkHookRefusals(t *testing.T, cases []refusal, secrets ...string) {
	t.Helper()
	for _, c := range cases {
		t.Run("refuses "+c.name, func(t *testing.T) {
			before := w.hookState(t)
			status, h, body := w.do(t, c.method, c.path, c.token, c.body)
			if status != c.status {
				t.Fatalf("status %d, want %d: %.2000s", status, c.status, body)
			}
			var p problemBody
			if err := json.Unmarshal([]byte(body), &p); err != nil || h.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("not a problem document: %.2000s", body)
			}
			if c.where != "" && !p.names(c.where) {
				t.Fatalf("problem does not name %q: %.2000s", c.where, body)
			}
			if len(body) > 4096 {
				t.Fatalf("the problem echoes the input: %d bytes", len(body))
			}
			for _, s := range secrets {
				if strings.Contains(body, s) {
					t.Fatalf("answer shows a secret: %s", body)
				}
			}
			if after := w.hookState(t); after != before {
				t.Fatalf("hooks changed from\n%s\nto\n%s", before, after)
			}
		})
	}
}

// noSecret fails when a secret shows in an answer, the server's log or
// tenant A's events.
func (w *world) noSecret(t *testing.T, secrets ...string) {
	t.Helper()
	evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	logged, err := json.Marshal(evs)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(w.logs.String(), s) || strings.Contains(string(logged), s) {
			t.Fatalf("secret %.8s… is in the log or the events", s)
		}
	}
}

// deliver enqueues what the log holds for active event hooks and sends
// what is due, as the server's runner does on each tick.
func (w *world) deliver(t *testing.T) {
	t.Helper()
	w.clock.Advance(eventhooks.DefaultSettle + time.Second)
	if _, err := w.eventHooks.Enqueue(context.Background()); err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	if _, err := w.eventHooks.RunOnce(context.Background()); err != nil {
		t.Fatalf("RunOnce: %v", err)
	}
}

// TestEventHooksAPI creates, verifies, reads, lists, changes, rotates and
// deletes event hooks through the API, against a receiver on loopback
// TLS; checks that the secret is shown only at creation and rotation,
// that refused input names the field and changes nothing, that a failed
// handshake says why, and that dead letters are listed by pages and
// redelivered.
func TestEventHooksAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			rx := startHookReceiver(t, w.clock)
			admin, reader := w.token[RoleTenantAdmin], w.token[RoleReadOnly]
			api := "/api/v1/mgmt/tenants/" + w.a.ID
			base := api + "/event-hooks"

			// The fixtures' events happened before the hook was made.
			w.clock.Advance(time.Second)
			created := call[EventHookSecretView](t, w, http.MethodPost, base, admin,
				`{"name":"SIEM","url":"`+rx.url("/events")+`","types":["user.*","mgmt.access.denied","user.*"]}`, http.StatusCreated)
			if !strings.HasPrefix(created.ID, "evh_") || created.TenantID != w.a.ID || created.Name != "SIEM" || created.Status != "unverified" ||
				!slices.Equal(created.Types, []string{"mgmt.access.denied", "user.*"}) || created.VerifiedAt != nil || !strings.HasPrefix(created.Secret, "lev_") {
				t.Fatalf("created %+v", created)
			}
			secret := created.Secret
			rx.trust(created.ID, secret)
			for _, path := range []string{base + "/" + created.ID, base} {
				status, _, body := w.do(t, http.MethodGet, path, reader, "")
				if status != http.StatusOK || strings.Contains(body, secret) || strings.Contains(body, `"secret"`) {
					t.Fatalf("GET %s: %d %s", path, status, body)
				}
			}
			if list := call[List[EventHookView]](t, w, http.MethodGet, base, reader, "", http.StatusOK); len(list.Items) != 1 || list.Items[0].ID != created.ID {
				t.Fatalf("listed %+v", list)
			}

			// A receiver that does not echo the challenge: 422 naming
			// the URL, the hook stays unverified, the attempt is logged.
			rx.set(0, true)
			w.clock.Advance(time.Second)
			status, _, body := w.do(t, http.MethodPost, base+"/"+created.ID+"/verify", admin, "")
			var p problemBody
			if err := json.Unmarshal([]byte(body), &p); status != http.StatusUnprocessableEntity || err != nil || !p.names("url") ||
				!strings.Contains(body, "did not verify") {
				t.Fatalf("failed handshake: %d %s", status, body)
			}
			if got := call[EventHookView](t, w, http.MethodGet, base+"/"+created.ID, reader, "", http.StatusOK); got.Status != "unverified" {
				t.Fatalf("after a failed handshake %+v", got)
			}
			rx.set(0, false)
			w.clock.Advance(time.Second)
			verified := call[EventHookView](t, w, http.MethodPost, base+"/"+created.ID+"/verify", admin, "", http.StatusOK)
			if verified.Status != "active" || verified.VerifiedAt == nil || !verified.VerifiedAt.Equal(w.clock.Now()) {
				t.Fatalf("verified %+v", verified)
			}
			reqs := rx.requests()
			if len(reqs) != 2 || !reqs[0].handshake || !reqs[1].handshake || reqs[1].signature != nil {
				t.Fatalf("the receiver got %+v", reqs)
			}

			// An event the hook selects is delivered, signed.
			w.clock.Advance(time.Second)
			user := call[UserView](t, w, http.MethodPost, api+"/users", admin, `{"login":"ann@example.com"}`, http.StatusCreated)
			w.deliver(t)
			reqs = rx.requests()
			if len(reqs) != 3 || reqs[2].handshake || reqs[2].signature != nil {
				t.Fatalf("the receiver got %+v", reqs)
			}
			var payload eventhooks.Payload
			if err := json.Unmarshal(reqs[2].body, &payload); err != nil || payload.Type != "user.created" || payload.Target.ID != user.ID ||
				payload.ID != reqs[2].eventID || payload.TenantID != w.a.ID {
				t.Fatalf("delivered %s (%v)", reqs[2].body, err)
			}

			// A rotation shows the new secret once; both sign for a day.
			w.clock.Advance(time.Second)
			rotated := call[EventHookSecretView](t, w, http.MethodPost, base+"/"+created.ID+"/secret/rotate", admin, "", http.StatusOK)
			if !strings.HasPrefix(rotated.Secret, "lev_") || rotated.Secret == secret || rotated.PreviousSecretUntil == nil ||
				!rotated.PreviousSecretUntil.Equal(w.clock.Now().Add(eventhooks.DefaultRotationGrace)) || rotated.Status != "active" {
				t.Fatalf("rotated %+v", rotated)
			}
			rx.trust(created.ID, rotated.Secret)

			// Two deliveries die (MaxAttempts is 2 in the world), are
			// listed by pages, and one is redelivered.
			rx.set(http.StatusInternalServerError, false)
			w.clock.Advance(time.Second)
			call[UserView](t, w, http.MethodPost, api+"/users", admin, `{"login":"bob@example.com"}`, http.StatusCreated)
			w.clock.Advance(time.Second)
			call[UserView](t, w, http.MethodPost, api+"/users", admin, `{"login":"cat@example.com"}`, http.StatusCreated)
			w.deliver(t)
			w.clock.Advance(eventhooks.DefaultMaxBackoff)
			w.deliver(t)
			dead := base + "/" + created.ID + "/dead-letters"
			first := call[List[DeliveryView]](t, w, http.MethodGet, dead+"?limit=1", reader, "", http.StatusOK)
			if len(first.Items) != 1 || first.Next == "" {
				t.Fatalf("first page %+v", first)
			}
			second := call[List[DeliveryView]](t, w, http.MethodGet, dead+"?limit=1&after="+first.Next, reader, "", http.StatusOK)
			if len(second.Items) != 1 || second.Next != "" || second.Items[0].ID == first.Items[0].ID {
				t.Fatalf("second page %+v", second)
			}
			for _, d := range append(first.Items, second.Items...) {
				if d.Status != "dead" || d.Attempts != 2 || d.LastStatus != http.StatusInternalServerError || d.HookID != created.ID ||
					d.EventType != "user.created" || d.FinishedAt == nil || d.DeliveredAt != nil || !strings.HasPrefix(d.ID, "evd_") {
					t.Fatalf("dead letter %+v", d)
				}
			}
			rx.set(0, false)
			w.clock.Advance(time.Second)
			again := call[DeliveryView](t, w, http.MethodPost, base+"/deliveries/"+first.Items[0].ID+"/redeliver", admin, "", http.StatusOK)
			if again.Status != "pending" || again.Attempts != 0 || again.ID != first.Items[0].ID {
				t.Fatalf("redelivered %+v", again)
			}
			w.deliver(t)
			reqs = rx.requests()
			if last := reqs[len(reqs)-1]; last.eventID != first.Items[0].EventID || last.signature != nil {
				t.Fatalf("the redelivery came as %+v", last)
			}
			if left := call[List[DeliveryView]](t, w, http.MethodGet, dead, reader, "", http.StatusOK); len(left.Items) != 1 || left.Items[0].ID != second.Items[0].ID {
				t.Fatalf("dead letters left %+v", left)
			}

			// A new URL makes the hook unverified; disabled, it cannot be
			// verified.
			w.clock.Advance(time.Second)
			moved := call[EventHookView](t, w, http.MethodPut, base+"/"+created.ID, admin,
				`{"name":"SIEM 2","url":"`+rx.url("/events/v2")+`","types":["*"]}`, http.StatusOK)
			if moved.Status != "unverified" || moved.VerifiedAt != nil || moved.Name != "SIEM 2" || !slices.Equal(moved.Types, []string{"*"}) {
				t.Fatalf("moved %+v", moved)
			}
			w.clock.Advance(time.Second)
			if got := call[EventHookView](t, w, http.MethodPut, base+"/"+created.ID, admin,
				`{"name":"SIEM 2","url":"`+rx.url("/events/v2")+`","types":["*"],"disabled":true}`, http.StatusOK); got.Status != "disabled" {
				t.Fatalf("disabled %+v", got)
			}

			other := w.createEventHook(t, w.b.ID, rx.url("/b"))
			w.checkHookRefusals(t, []refusal{
				{"an http URL outside loopback", http.MethodPost, base, admin, `{"name":"X","url":"http://siem.acme.example/in","types":["*"]}`, http.StatusUnprocessableEntity, "body.url"},
				{"a URL with credentials", http.MethodPost, base, admin, `{"name":"X","url":"https://u:p@siem.acme.example/in","types":["*"]}`, http.StatusUnprocessableEntity, "body.url"},
				{"no types", http.MethodPost, base, admin, `{"name":"X","url":"https://siem.acme.example/in","types":[]}`, http.StatusUnprocessableEntity, "body.types"},
				{"a type that is no pattern", http.MethodPost, base, admin, `{"name":"X","url":"https://siem.acme.example/in","types":["user.*","User Created"]}`, http.StatusUnprocessableEntity, "body.types[0]"},
				{"an empty name", http.MethodPost, base, admin, `{"name":"","url":"https://siem.acme.example/in","types":["*"]}`, http.StatusUnprocessableEntity, "body.name"},
				{"an unknown field", http.MethodPost, base, admin, `{"name":"X","url":"https://siem.acme.example/in","types":["*"],"secret":"lev_x"}`, http.StatusUnprocessableEntity, "body.secret"},
				{"a bad change", http.MethodPut, base + "/" + created.ID, admin, `{"name":"X","url":"ftp://siem.acme.example/in","types":["*"]}`, http.StatusUnprocessableEntity, "body.url"},
				{"verifying a disabled hook", http.MethodPost, base + "/" + created.ID + "/verify", admin, "", http.StatusConflict, "disabled"},
				{"redelivering what is not dead", http.MethodPost, base + "/deliveries/" + first.Items[0].ID + "/redeliver", admin, "", http.StatusConflict, "dead"},
				{"redelivering an unknown delivery", http.MethodPost, base + "/deliveries/evd_nope/redeliver", admin, "", http.StatusNotFound, ""},
				{"a cursor that is no delivery", http.MethodGet, dead + "?after=nope", admin, "", http.StatusUnprocessableEntity, "query.after"},
				{"a change of an unknown hook", http.MethodPut, base + "/evh_nope", admin, `{"name":"X","url":"https://siem.acme.example/in","types":["*"]}`, http.StatusNotFound, ""},
				{"a read-only admin writing", http.MethodPost, base, reader, `{"name":"X","url":"https://siem.acme.example/in","types":["*"]}`, http.StatusForbidden, "hooks:write"},
				{"a read-only admin rotating", http.MethodPost, base + "/" + created.ID + "/secret/rotate", reader, "", http.StatusForbidden, "hooks:write"},
				{"a read-only admin redelivering", http.MethodPost, base + "/deliveries/" + second.Items[0].ID + "/redeliver", reader, "", http.StatusForbidden, "hooks:write"},
				{"a help-desk admin reading", http.MethodGet, base, w.token[RoleHelpDesk], "", http.StatusForbidden, "hooks:read"},
				{"a help-desk admin reading dead letters", http.MethodGet, dead, w.token[RoleHelpDesk], "", http.StatusForbidden, "hooks:read"},
				{"another tenant's hook", http.MethodGet, base + "/" + other, admin, "", http.StatusNotFound, ""},
				{"verifying another tenant's hook", http.MethodPost, base + "/" + other + "/verify", admin, "", http.StatusNotFound, ""},
				{"another tenant's dead letters", http.MethodGet, base + "/" + other + "/dead-letters", admin, "", http.StatusNotFound, ""},
				{"redelivering through another tenant", http.MethodPost, "/api/v1/mgmt/tenants/" + w.b.ID + "/event-hooks/deliveries/" + second.Items[0].ID + "/redeliver", w.token[RoleInstanceAdmin], "", http.StatusNotFound, ""},
				{"another tenant", http.MethodGet, "/api/v1/mgmt/tenants/" + w.b.ID + "/event-hooks/" + other, admin, "", http.StatusForbidden, ""},
			}, secret, rotated.Secret)

			w.clock.Advance(time.Second)
			if status, _, body := w.do(t, http.MethodDelete, base+"/"+created.ID, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", status, body)
			}
			for _, m := range []string{http.MethodGet, http.MethodDelete} {
				if status, _, body := w.do(t, m, base+"/"+created.ID, admin, ""); status != http.StatusNotFound {
					t.Fatalf("%s after delete: %d %s", m, status, body)
				}
			}
			if status, _, body := w.do(t, http.MethodGet, dead, admin, ""); status != http.StatusNotFound {
				t.Fatalf("dead letters after delete: %d %s", status, body)
			}

			if got, want := w.hookEvents(t, "event_hook.*"), []string{"event_hook.created", "event_hook.verified", "event_hook.verified",
				"event_hook.secret.rotated", "event_hook.delivery.redelivered", "event_hook.updated", "event_hook.updated", "event_hook.deleted"}; !slices.Equal(got, want) {
				t.Fatalf("logged %q, want %q", got, want)
			}
			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"event_hook.verified"}})
			if err != nil || len(evs) != 2 || evs[0].Outcome != events.Failure || !strings.Contains(fmt.Sprint(evs[0].Details["reason"]), "did not verify") ||
				evs[1].Outcome != events.Success || evs[1].Details["status"] != "active" {
				t.Fatalf("verification events %+v %v", evs, err)
			}
			w.noSecret(t, secret, rotated.Secret)
		})
	}
}

// hookEvents returns the types of tenant A's events matching pattern,
// oldest first, checking that the tenant admin is their actor and that
// they name their target.
func (w *world) hookEvents(t *testing.T, pattern string) []string {
	t.Helper()
	evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{pattern}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range evs {
		if ev.Target.ID == "" || ev.Actor.ID != w.tokenRec[RoleTenantAdmin].ID {
			t.Errorf("event %+v", ev)
		}
		got = append(got, ev.Type)
	}
	return got
}

// createEventHook makes an event hook in a tenant past the API and
// returns its ID.
func (w *world) createEventHook(t *testing.T, tenantID, url string) string {
	t.Helper()
	var h eventhooks.Hook
	err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		h, _, err = w.eventHooks.Create(ctx, tx, tenantID, eventhooks.Input{Name: "Other", URL: url, Types: []string{"*"}})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return h.ID
}
