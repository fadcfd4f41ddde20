package terms

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// Tenants and users of the tests; the package does not check they exist.
const (
	tenantA = "ten_a"
	tenantB = "ten_b"
	alice   = "usr_alice"
	bob     = "usr_bob"
)

// env is one fresh database with a Service over it.
type env struct {
	st  store.Store
	svc *Service
	ev  *events.Log
	clk *clock.Fake
}

// eachBackend runs fn on a fresh database of every dialect.
func eachBackend(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) { fn(t, newEnv(t, b.Open(t))) })
	}
}

func newEnv(t testing.TB, st store.Store) *env {
	t.Helper()
	clk := clock.NewFake(t0)
	kek, err := secrets.GenerateKEK(t0)
	if err != nil {
		t.Fatal(err)
	}
	sec, err := secrets.New(context.Background(), st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		t.Fatal(err)
	}
	ev := events.New(st, sec, clk)
	return &env{st: st, svc: New(clk, ev), ev: ev, clk: clk}
}

// do runs fn in a transaction that commits whatever fn returns, so a
// refused call that wrote something would leave it behind.
func (e *env) do(t *testing.T, fn func(ctx context.Context, tx store.Tx) error) error {
	t.Helper()
	return storetest.Commit(t, e.st, fn)
}

// get runs fn in a transaction and returns its value, failing on an error.
func get[T any](t *testing.T, e *env, fn func(ctx context.Context, tx store.Tx) (T, error)) T {
	t.Helper()
	return storetest.Get(t, e.st, fn)
}

func (e *env) publish(t *testing.T, tenantID string, in DocumentInput) Document {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Document, error) { return e.svc.Publish(ctx, tx, tenantID, in) })
}

func (e *env) accept(t *testing.T, tenantID, userID string, ids ...string) error {
	t.Helper()
	return e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.Accept(ctx, tx, tenantID, userID, ids) })
}

func (e *env) pending(t *testing.T, tenantID, userID string) []string {
	t.Helper()
	docs := get(t, e, func(ctx context.Context, tx store.Tx) ([]Document, error) {
		return e.svc.Pending(ctx, tx, tenantID, userID)
	})
	return versions(docs)
}

func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
		var n int
		return n, tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n)
	})
}

// eventsOf returns the events of a type of a tenant.
func (e *env) eventsOf(t *testing.T, tenantID, typ string) []events.Event {
	t.Helper()
	evs, _, err := e.ev.Query(context.Background(), events.Query{TenantID: tenantID, Types: []string{typ}})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// versions names documents as "kind:version".
func versions(docs []Document) []string {
	out := []string{}
	for _, d := range docs {
		out = append(out, d.Kind+":"+d.Version)
	}
	return out
}

func terms(version string, required bool) DocumentInput {
	return DocumentInput{Kind: KindTerms, Version: version, Title: "Terms of service", URL: "https://acme.example/terms/" + version, Required: required}
}

func privacy(version string, required bool) DocumentInput {
	return DocumentInput{Kind: KindPrivacy, Version: version, Title: "Privacy policy", URL: "https://acme.example/privacy/" + version, Required: required}
}

// wantFields checks that err holds field errors naming exactly fields.
func wantFields(t *testing.T, err error, fields ...string) {
	t.Helper()
	var got []string
	for _, e := range invalid.All(err) {
		got = append(got, e.Field)
	}
	if err == nil || !slices.Equal(got, fields) {
		t.Fatalf("error %v names fields %q, want %q", err, got, fields)
	}
}

func TestPublishValidates(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ok := terms("1", true)
		with := func(f func(*DocumentInput)) DocumentInput { in := ok; f(&in); return in }
		for _, tc := range []struct {
			name   string
			in     DocumentInput
			fields []string
		}{
			{"refuses an unknown kind", with(func(in *DocumentInput) { in.Kind = "cookies" }), []string{"kind"}},
			{"refuses an empty version", with(func(in *DocumentInput) { in.Version = "  " }), []string{"version"}},
			{"refuses a version over the limit", with(func(in *DocumentInput) { in.Version = strings.Repeat("v", MaxVersionLen+1) }), []string{"version"}},
			{"refuses an unprintable version", with(func(in *DocumentInput) { in.Version = "v\x001" }), []string{"version"}},
			{"refuses an empty title", with(func(in *DocumentInput) { in.Title = "" }), []string{"title"}},
			{"refuses a title over the limit", with(func(in *DocumentInput) { in.Title = strings.Repeat("é", MaxTitleLen+1) }), []string{"title"}},
			{"refuses an empty URL", with(func(in *DocumentInput) { in.URL = "" }), []string{"url"}},
			{"refuses plain http", with(func(in *DocumentInput) { in.URL = "http://acme.example/terms" }), []string{"url"}},
			{"refuses another scheme", with(func(in *DocumentInput) { in.URL = "javascript:alert(1)" }), []string{"url"}},
			{"refuses a relative URL", with(func(in *DocumentInput) { in.URL = "/terms" }), []string{"url"}},
			{"refuses a URL without a host", with(func(in *DocumentInput) { in.URL = "https:///terms" }), []string{"url"}},
			{"refuses userinfo", with(func(in *DocumentInput) { in.URL = "https://user:pw@acme.example/terms" }), []string{"url"}},
			{"refuses spaces in a URL", with(func(in *DocumentInput) { in.URL = "https://acme.example/our terms" }), []string{"url"}},
			{"refuses non-ASCII in a URL", with(func(in *DocumentInput) { in.URL = "https://acme.example/cond\u00e9" }), []string{"url"}},
			{"refuses a URL over the limit", with(func(in *DocumentInput) { in.URL = "https://acme.example/" + strings.Repeat("a", MaxURLLen) }), []string{"url"}},
			{"refuses http on a host that only looks local", with(func(in *DocumentInput) { in.URL = "http://localhost.acme.example/t" }), []string{"url"}},
			{"reports every problem at once", DocumentInput{Kind: "x", URL: "ftp://a"}, []string{"kind", "version", "title", "url"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.Publish(ctx, tx, tenantA, tc.in)
					return err
				}), tc.fields...)
				if n := e.count(t, "terms_documents"); n != 0 {
					t.Fatalf("a refused document was written: %d rows", n)
				}
				if n := e.count(t, "events"); n != 0 {
					t.Fatalf("a refused document was recorded: %d events", n)
				}
			})
		}
		for i, u := range []string{"http://localhost:8080/terms", "http://127.0.0.1/terms", "http://[::1]:8080/terms", "https://acme.example/terms?v=2#top"} {
			t.Run("accepts "+u, func(t *testing.T) {
				in := terms("url-"+string(rune('a'+i)), false)
				in.URL = u
				if d := e.publish(t, tenantA, in); d.URL != u {
					t.Fatalf("URL %q, want %q", d.URL, u)
				}
			})
		}
	})
}

func TestPublishVersions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		in := terms(" 2026-01 ", true)
		in.Title, in.URL, in.Actor = "  Terms  ", " https://acme.example/terms/2026-01\n", events.Ref{Type: "mgmt_token", ID: "tok_1"}
		t1 := e.publish(t, tenantA, in)
		t.Run("stores the document trimmed", func(t *testing.T) {
			want := Document{ID: t1.ID, TenantID: tenantA, Kind: KindTerms, Version: "2026-01", Title: "Terms",
				URL: "https://acme.example/terms/2026-01", Required: true, PublishedAt: t0}
			if !ident.Valid("tdoc", t1.ID) || !reflect.DeepEqual(t1, want) {
				t.Fatalf("published %+v, want %+v", t1, want)
			}
			read := get(t, e, func(ctx context.Context, tx store.Tx) (Document, error) {
				return e.svc.Document(ctx, tx, tenantA, t1.ID)
			})
			if !read.PublishedAt.Equal(t0) {
				t.Fatalf("read back %+v", read)
			}
		})
		t.Run("records terms.published by the actor", func(t *testing.T) {
			evs := e.eventsOf(t, tenantA, "terms.published")
			if len(evs) != 1 || evs[0].Actor.ID != "tok_1" || evs[0].Target != (events.Ref{Type: "terms_document", ID: t1.ID}) ||
				evs[0].Details["kind"] != KindTerms || evs[0].Details["version"] != "2026-01" || evs[0].Details["required"] != true {
				t.Fatalf("events %+v", evs)
			}
		})
		t.Run("refuses a version the kind already has", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Publish(ctx, tx, tenantA, terms("2026-01", false))
				return err
			})
			if !errors.Is(err, store.ErrConflict) {
				t.Fatalf("got %v, want ErrConflict", err)
			}
			wantFields(t, err, "version")
		})
		e.clk.Advance(time.Hour)
		p1 := e.publish(t, tenantA, privacy("2026-01", true))
		e.clk.Advance(time.Hour)
		t2 := e.publish(t, tenantA, terms("2026-02", true))
		e.publish(t, tenantB, terms("9", true))
		t.Run("lists the current version of each kind, in kind order", func(t *testing.T) {
			cur := get(t, e, func(ctx context.Context, tx store.Tx) ([]Document, error) { return e.svc.Current(ctx, tx, tenantA) })
			if got := versions(cur); !slices.Equal(got, []string{"terms:2026-02", "privacy:2026-01"}) || cur[0].ID != t2.ID || cur[1].ID != p1.ID {
				t.Fatalf("current %q", got)
			}
		})
		t.Run("lists every version, newest first", func(t *testing.T) {
			all := get(t, e, func(ctx context.Context, tx store.Tx) ([]Document, error) { return e.svc.Documents(ctx, tx, tenantA) })
			if got := versions(all); !slices.Equal(got, []string{"terms:2026-02", "privacy:2026-01", "terms:2026-01"}) {
				t.Fatalf("documents %q", got)
			}
		})
		t.Run("orders by publication, not by the clock", func(t *testing.T) {
			e.clk.Set(t0.Add(-time.Hour)) // a node with a slow clock
			e.publish(t, tenantA, terms("2026-03", false))
			cur := get(t, e, func(ctx context.Context, tx store.Tx) ([]Document, error) { return e.svc.Current(ctx, tx, tenantA) })
			if got := versions(cur); !slices.Equal(got, []string{"terms:2026-03", "privacy:2026-01"}) {
				t.Fatalf("current %q", got)
			}
		})
		t.Run("keeps tenants apart", func(t *testing.T) {
			cur := get(t, e, func(ctx context.Context, tx store.Tx) ([]Document, error) { return e.svc.Current(ctx, tx, tenantB) })
			if got := versions(cur); !slices.Equal(got, []string{"terms:9"}) {
				t.Fatalf("current %q", got)
			}
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.Document(ctx, tx, tenantB, t1.ID)
				return err
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
		t.Run("has nothing current for a tenant without documents", func(t *testing.T) {
			cur := get(t, e, func(ctx context.Context, tx store.Tx) ([]Document, error) { return e.svc.Current(ctx, tx, "ten_none") })
			if len(cur) != 0 {
				t.Fatalf("current %v", cur)
			}
		})
	})
}

func TestPendingAndAcceptance(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		t.Run("has nothing pending before anything is published", func(t *testing.T) {
			if got := e.pending(t, tenantA, alice); len(got) != 0 {
				t.Fatalf("pending %q", got)
			}
		})
		t1 := e.publish(t, tenantA, terms("1", true))
		p1 := e.publish(t, tenantA, privacy("1", true))
		t.Run("asks for every current required document", func(t *testing.T) {
			if got := e.pending(t, tenantA, alice); !slices.Equal(got, []string{"terms:1", "privacy:1"}) {
				t.Fatalf("pending %q", got)
			}
		})
		e.clk.Advance(time.Minute)
		if err := e.accept(t, tenantA, alice, t1.ID, p1.ID, t1.ID); err != nil {
			t.Fatal(err)
		}
		t.Run("asks nothing once accepted", func(t *testing.T) {
			if got := e.pending(t, tenantA, alice); len(got) != 0 {
				t.Fatalf("pending %q", got)
			}
			if got := e.pending(t, tenantA, bob); len(got) != 2 {
				t.Fatalf("bob's pending %q: acceptances leak between users", got)
			}
		})
		t.Run("records one event with the kinds and versions", func(t *testing.T) {
			evs := e.eventsOf(t, tenantA, "user.terms.accepted")
			if len(evs) != 1 {
				t.Fatalf("%d events", len(evs))
			}
			ev := evs[0]
			if ev.Actor != (events.Ref{Type: "user", ID: alice}) || ev.Target != ev.Actor ||
				!reflect.DeepEqual(ev.Details["kinds"], []any{"terms", "privacy"}) || !reflect.DeepEqual(ev.Details["versions"], []any{"1", "1"}) ||
				!reflect.DeepEqual(ev.Details["document_ids"], []any{t1.ID, p1.ID}) {
				t.Fatalf("event %+v", ev)
			}
		})
		e.clk.Advance(time.Hour)
		t2 := e.publish(t, tenantA, terms("2", true))
		t.Run("asks again for a new version", func(t *testing.T) {
			if got := e.pending(t, tenantA, alice); !slices.Equal(got, []string{"terms:2"}) {
				t.Fatalf("pending %q", got)
			}
		})
		e.clk.Advance(time.Minute)
		if err := e.accept(t, tenantA, alice, t2.ID); err != nil {
			t.Fatal(err)
		}
		t.Run("keeps the acceptances of earlier versions", func(t *testing.T) {
			got := get(t, e, func(ctx context.Context, tx store.Tx) ([]Acceptance, error) {
				return e.svc.Acceptances(ctx, tx, tenantA, alice)
			})
			want := []Acceptance{
				{DocumentID: t1.ID, Kind: KindTerms, Version: "1", UserID: alice, AcceptedAt: t0.Add(time.Minute)},
				{DocumentID: p1.ID, Kind: KindPrivacy, Version: "1", UserID: alice, AcceptedAt: t0.Add(time.Minute)},
				{DocumentID: t2.ID, Kind: KindTerms, Version: "2", UserID: alice, AcceptedAt: t0.Add(time.Hour + 2*time.Minute)},
			}
			if len(got) != len(want) {
				t.Fatalf("acceptances %+v", got)
			}
			for i := range want {
				if !got[i].AcceptedAt.Equal(want[i].AcceptedAt) {
					t.Fatalf("acceptance %d at %v, want %v", i, got[i].AcceptedAt, want[i].AcceptedAt)
				}
				got[i].AcceptedAt = want[i].AcceptedAt
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("acceptances %+v, want %+v", got, want)
			}
			if pending := e.pending(t, tenantA, alice); len(pending) != 0 {
				t.Fatalf("pending %q", pending)
			}
		})
		t.Run("keeps the first acceptance and records nothing when accepted again", func(t *testing.T) {
			e.clk.Advance(time.Hour)
			if err := e.accept(t, tenantA, alice, t1.ID); err != nil {
				t.Fatal(err)
			}
			got := get(t, e, func(ctx context.Context, tx store.Tx) ([]Acceptance, error) {
				return e.svc.Acceptances(ctx, tx, tenantA, alice)
			})
			if len(got) != 3 || !got[0].AcceptedAt.Equal(t0.Add(time.Minute)) {
				t.Fatalf("acceptances %+v", got)
			}
			if n := len(e.eventsOf(t, tenantA, "user.terms.accepted")); n != 2 {
				t.Fatalf("%d events, want 2", n)
			}
		})
		t.Run("asks nothing for a current document that is optional", func(t *testing.T) {
			e.publish(t, tenantA, privacy("2", false))
			if got := e.pending(t, tenantA, alice); len(got) != 0 {
				t.Fatalf("pending %q", got)
			}
			if got := e.pending(t, tenantA, bob); !slices.Equal(got, []string{"terms:2"}) {
				t.Fatalf("bob's pending %q", got)
			}
		})
		other := e.publish(t, tenantB, terms("1", true))
		for _, tc := range []struct {
			name   string
			user   string
			ids    []string
			check  func(error) bool
			reason string
		}{
			{"refuses an unknown document", bob, []string{t2.ID, "tdoc_nope"}, func(err error) bool { return errors.Is(err, store.ErrNotFound) }, "ErrNotFound"},
			{"refuses a document of another tenant", bob, []string{other.ID}, func(err error) bool { return errors.Is(err, store.ErrNotFound) }, "ErrNotFound"},
			{"refuses an empty list", bob, nil, invalid.Is, "an *invalid.Error"},
			{"refuses too long a list", bob, slices.Repeat([]string{t2.ID}, MaxAccept+1), invalid.Is, "an *invalid.Error"},
			{"refuses an empty user", "", []string{t2.ID}, invalid.Is, "an *invalid.Error"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.count(t, "terms_acceptances")
				if err := e.accept(t, tenantA, tc.user, tc.ids...); !tc.check(err) {
					t.Fatalf("got %v, want %s", err, tc.reason)
				}
				if n := e.count(t, "terms_acceptances"); n != before {
					t.Fatalf("a refused acceptance wrote %d rows", n-before)
				}
			})
		}
		t.Run("accepts an earlier version without satisfying the current one", func(t *testing.T) {
			if err := e.accept(t, tenantA, bob, t1.ID); err != nil {
				t.Fatal(err)
			}
			if got := e.pending(t, tenantA, bob); !slices.Equal(got, []string{"terms:2"}) {
				t.Fatalf("bob's pending %q", got)
			}
		})
		t.Run("forgets a user's acceptances only", func(t *testing.T) {
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ForgetUser(ctx, tx, tenantA, alice) }); err != nil {
				t.Fatal(err)
			}
			if got := e.pending(t, tenantA, alice); !slices.Equal(got, []string{"terms:2"}) {
				t.Fatalf("pending after forgetting %q", got)
			}
			if n := e.count(t, "terms_acceptances"); n != 1 {
				t.Fatalf("%d acceptances left, want bob's 1", n)
			}
		})
		t.Run("forgets a tenant's documents and acceptances", func(t *testing.T) {
			if err := e.accept(t, tenantB, alice, other.ID); err != nil {
				t.Fatal(err)
			}
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.ForgetTenant(ctx, tx, tenantA) }); err != nil {
				t.Fatal(err)
			}
			if d, a := e.count(t, "terms_documents"), e.count(t, "terms_acceptances"); d != 1 || a != 1 {
				t.Fatalf("%d documents and %d acceptances left, want tenant B's 1 and 1", d, a)
			}
		})
	})
}
