package branding

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/themes"
)

func TestPublishRollbackSequence(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		scope := e.a.ID
		// Each version brings its page colour, page text and email.
		doc := func(color, n string) themes.Document {
			d := primary(color)
			d.Texts = map[string]map[string]string{"en": {"identify.title": "Welcome " + n}}
			d.Emails = map[string]map[string]themes.EmailTemplate{"en": {"verify-email": {Subject: "Verify " + n, Text: n, HTML: "<p>" + n}}}
			return d
		}
		shows := func(color, n string) {
			t.Helper()
			r := e.resolve(t, e.svc, "", "", "en")
			if r.Tokens["color-primary"] != color || r.Texts["identify.title"] != "Welcome "+n || r.Emails["verify-email"].Subject != "Verify "+n {
				t.Fatalf("resolved %s %q %+v, want %s of %s", r.Tokens["color-primary"], r.Texts["identify.title"], r.Emails["verify-email"], color, n)
			}
		}
		v1 := e.saveAndPublish(t, scope, doc("#123456", "v1"))
		if v1.Number != 1 || v1.State != StatePublished || !v1.Live || v1.PublishedAt == nil {
			t.Fatalf("v1 = %+v", v1)
		}
		shows("#123456", "v1")
		e.clk.Advance(time.Minute)
		v2 := e.saveAndPublish(t, scope, doc("#654321", "v2"))
		if v2.Number != 2 {
			t.Fatalf("v2 number %d", v2.Number)
		}
		shows("#654321", "v2")
		e.clk.Advance(time.Minute)
		back := get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) {
			return e.svc.Rollback(ctx, tx, e.a.ID, scope, 1)
		})
		if back.Number != 1 || !back.Live || !back.PublishedAt.Equal(e.clk.Now()) {
			t.Fatalf("rollback = %+v", back)
		}
		shows("#123456", "v1") // pages and emails of v1 again
		list, next := versions(t, e, scope, tenant.Page{})
		if got := states(list); got != "2:retired 1:published" || next != "" {
			t.Fatalf("versions %s next %q", got, next)
		}
		// A new draft is numbered after every version, and is listed.
		if d := e.save(t, scope, primary("#000000")); d.Number != 3 || d.State != StateDraft || d.Live {
			t.Fatalf("draft = %+v", d)
		}
		list, next = versions(t, e, scope, tenant.Page{Limit: 2})
		if got := states(list); got != "3:draft 2:retired" || next != "2" {
			t.Fatalf("first page %s next %q", got, next)
		}
		list, next = versions(t, e, scope, tenant.Page{Limit: 2, After: next})
		if got := states(list); got != "1:published" || next != "" {
			t.Fatalf("second page %s next %q", got, next)
		}
		// Rolling back to the live version or to the draft is refused.
		err := e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.Rollback(ctx, tx, e.a.ID, scope, 1)
			return err
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("rollback to live: %v", err)
		}
		wantFields(t, err, "number")
		err = e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.Rollback(ctx, tx, e.a.ID, scope, 3)
			return err
		})
		wantFields(t, err, "number")
		err = e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.Rollback(ctx, tx, e.a.ID, scope, 9)
			return err
		})
		if !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("rollback to a missing version: %v", err)
		}
	})
}

func versions(t *testing.T, e *env, scope string, p tenant.Page) ([]Version, string) {
	t.Helper()
	var list []Version
	var next string
	if err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		list, next, err = e.svc.Versions(ctx, tx, e.a.ID, scope, p)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return list, next
}

// states writes versions as "number:state", newest first.
func states(list []Version) string {
	var out []string
	for _, v := range list {
		out = append(out, strconv.Itoa(v.Number)+":"+v.State)
	}
	return strings.Join(out, " ")
}

func TestOneDraftPerScope(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		first := e.save(t, e.a.ID, primary("#111111"))
		e.clk.Advance(time.Second)
		second := e.save(t, e.a.ID, primary("#222222"))
		if second.ID != first.ID || second.Number != 1 || !second.UpdatedAt.After(first.UpdatedAt) {
			t.Fatalf("second save %+v, first %+v", second, first)
		}
		d := get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) { return e.svc.Draft(ctx, tx, e.a.ID, e.a.ID) })
		if d.Document.Tokens["color-primary"] != "#222222" {
			t.Fatalf("draft holds %v", d.Document.Tokens)
		}
		// The schema refuses a second draft whoever writes it.
		err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO theme_versions (id, tenant_id, scope_id, number, document, state, created_at, updated_at)
				VALUES ('thv_x', ?, ?, 7, '{}', 'draft', ?, ?)`, e.a.ID, e.a.ID, t0, t0)
			return err
		})
		if !errors.Is(err, store.ErrConflict) {
			t.Fatalf("second draft row: %v", err)
		}
		// Other scopes have their own drafts.
		if v := e.save(t, e.brand[e.a.ID], primary("#333333")); v.Number != 1 || v.ID == first.ID {
			t.Fatalf("brand draft %+v", v)
		}
		if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DiscardDraft(ctx, tx, e.a.ID, e.a.ID) }); err != nil {
			t.Fatal(err)
		}
		err = e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DiscardDraft(ctx, tx, e.a.ID, e.a.ID) })
		if !errors.Is(err, ErrNoDraft) || !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("discard twice: %v", err)
		}
		err = e.do(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.Publish(ctx, tx, e.a.ID, e.a.ID, PublishInput{})
			return err
		})
		if !errors.Is(err, ErrNoDraft) {
			t.Fatalf("publish without a draft: %v", err)
		}
	})
}

func TestSaveDraftRefusesAndChangesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		foreign := get(t, e, func(ctx context.Context, tx store.Tx) (Asset, error) {
			a, _, err := e.svc.PutAsset(ctx, tx, e.b.ID, "image/png", pngOf(t, blue, 4, 4))
			return a, err
		})
		e.save(t, e.a.ID, primary("#123456"))
		before := e.rows(t)
		for _, tc := range []struct {
			name   string
			scope  string
			doc    themes.Document
			fields []string
			kind   error
		}{
			{"refuses a token value of the wrong kind", e.a.ID, themes.Document{Tokens: themes.Tokens{"radius": "red"}}, []string{"tokens.radius"}, themes.ErrValue},
			{"refuses an unknown token", e.a.ID, themes.Document{Tokens: themes.Tokens{"colour": "#fff"}}, []string{"tokens.colour"}, themes.ErrUnknownToken},
			{"refuses an asset that does not exist", e.a.ID, themes.Document{Tokens: themes.Tokens{"logo": "ast_01jd0000000000000000000000"}}, []string{"tokens.logo"}, nil},
			{"refuses another tenant's asset", e.a.ID, themes.Document{Tokens: themes.Tokens{"favicon": foreign.ID}}, []string{"tokens.favicon"}, nil},
			{"refuses a missing asset in a locale", e.a.ID, themes.Document{Locales: map[string]themes.Tokens{"de": {"logo": "ast_01jd0000000000000000000000"}}}, []string{"locales.de.logo"}, nil},
			{"refuses a bad locale tag", e.a.ID, themes.Document{Locales: map[string]themes.Tokens{"not a tag": {"radius": "2px"}}}, []string{"locales.not a tag"}, nil},
			{"reports every problem at once", e.a.ID, themes.Document{Base: "neon", Tokens: themes.Tokens{"radius": "red"}}, []string{"base", "tokens.radius"}, nil},
			{"refuses a document too large to store", e.a.ID, themes.Document{Texts: map[string]map[string]string{"en": big()}}, []string{"document"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, _, err := e.svc.SaveDraft(ctx, tx, e.a.ID, tc.scope, tc.doc)
					return err
				})
				wantFields(t, err, tc.fields...)
				if tc.kind != nil && !errors.Is(err, tc.kind) {
					t.Fatalf("error %v is not %v", err, tc.kind)
				}
			})
		}
		for _, tc := range []struct{ name, scope string }{
			{"refuses another tenant's brand as not found", e.brand[e.b.ID]},
			{"refuses another tenant's app as not found", e.app[e.b.ID]},
			{"refuses another tenant as not found", e.b.ID},
			{"refuses an ID of no scope kind as not found", "usr_01jd0000000000000000000000"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, _, err := e.svc.SaveDraft(ctx, tx, e.a.ID, tc.scope, primary("#000000"))
					return err
				})
				if !errors.Is(err, store.ErrNotFound) {
					t.Fatalf("got %v", err)
				}
			})
		}
		if after := e.rows(t); after["theme_versions"] != before["theme_versions"] || after["theme_live"] != 0 {
			t.Fatalf("rows %v, before %v", after, before)
		}
		d := get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) { return e.svc.Draft(ctx, tx, e.a.ID, e.a.ID) })
		if d.Document.Tokens["color-primary"] != "#123456" || len(d.Document.Tokens) != 1 {
			t.Fatalf("draft changed: %v", d.Document.Tokens)
		}
	})
}

// big returns texts whose JSON passes MaxDocumentBytes.
func big() map[string]string {
	m := map[string]string{}
	for i := range 700 {
		m["id."+strings.Repeat("x", 4)+string(rune('a'+i%26))+strings.Repeat("y", i/26)] = strings.Repeat("z", themes.MaxText)
	}
	return m
}
