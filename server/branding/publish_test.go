package branding

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
)

func TestPublishRefusesFailingContrastAndChangesNothing(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.saveAndPublish(t, e.a.ID, primary("#123456"))
		before := e.resolve(t, e.svc, "", "", "")
		for _, tc := range []struct {
			name   string
			scope  string
			doc    themes.Document
			locale string
		}{
			{"refuses unreadable base tokens", e.a.ID, unreadable, ""},
			{"refuses a locale override that fails", e.a.ID,
				themes.Document{Locales: map[string]themes.Tokens{"de": {"color-text": "#fafafa"}}}, "de"},
			{"refuses a brand that fails on top of the tenant", e.brand[e.a.ID],
				themes.Document{Tokens: themes.Tokens{"color-surface": "#1b1d24"}}, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				draft := e.save(t, tc.scope, tc.doc)
				gen := generationOf(t, e)
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.Publish(ctx, tx, e.a.ID, tc.scope, PublishInput{})
					return err
				})
				var ce *ContrastError
				if !errors.Is(err, ErrContrast) || !errors.Is(err, themes.ErrContrast) || !errors.As(err, &ce) || len(ce.Failures) == 0 {
					t.Fatalf("publish: %v", err)
				}
				for _, f := range ce.Failures {
					if f.Pass() || f.Locale != tc.locale {
						t.Errorf("failure %+v, want failing pairs of locale %q", f, tc.locale)
					}
				}
				// The draft is still the draft, the live version unchanged,
				// and no node is told to drop its cache.
				d := get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) { return e.svc.Draft(ctx, tx, e.a.ID, tc.scope) })
				if d.ID != draft.ID || d.State != StateDraft {
					t.Fatalf("draft after refusal %+v", d)
				}
				if g := generationOf(t, e); g != gen {
					t.Fatalf("generation %d → %d", gen, g)
				}
				if r := e.resolve(t, e.service(t, e.st), e.brand[e.a.ID], "", tc.locale); r.Tokens["color-primary"] != "#123456" ||
					r.Tokens["color-text"] != before.Tokens["color-text"] || r.Tokens["color-surface"] != before.Tokens["color-surface"] {
					t.Fatalf("resolved after refusal %v", r.Tokens)
				}
				e.discard(t, tc.scope)
			})
		}
	})
}

func (e *env) discard(t *testing.T, scope string) {
	t.Helper()
	if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.svc.DiscardDraft(ctx, tx, e.a.ID, scope) }); err != nil {
		t.Fatal(err)
	}
}

func generationOf(t *testing.T, e *env) int64 {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (int64, error) { return e.svc.generation(ctx, tx, e.a.ID) })
}

func TestPublishOverride(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.save(t, e.a.ID, unreadable)
		for _, tc := range []struct {
			name, reason string
		}{
			{"refuses an override without a reason", "  "},
			{"refuses an override with a reason too long", strings.Repeat("x", MaxReason+1)},
			{"refuses an override with control characters", "fine\x00"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.Publish(ctx, tx, e.a.ID, e.a.ID, PublishInput{OverrideContrast: true, Reason: tc.reason, By: "mgmt_token:tok_1"})
					return err
				})
				wantFields(t, err, "reason")
			})
		}
		if n := e.count(t, "theme_live"); n != 0 {
			t.Fatalf("%d live rows after refusals", n)
		}
		v := get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) {
			return e.svc.Publish(ctx, tx, e.a.ID, e.a.ID, PublishInput{OverrideContrast: true, Reason: " print-only campaign page ", By: "mgmt_token:tok_1"})
		})
		if v.OverrideReason != "print-only campaign page" || v.OverrideBy != "mgmt_token:tok_1" || !v.Live {
			t.Fatalf("published %+v", v)
		}
		read := get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) {
			return e.svc.Version(ctx, tx, e.a.ID, e.a.ID, 1)
		})
		if read.OverrideReason != v.OverrideReason || read.OverrideBy != v.OverrideBy {
			t.Fatalf("stored %+v", read)
		}
		if got := e.resolve(t, e.svc, "", "", "").Tokens["color-text"]; got != "#ffffff" {
			t.Fatalf("overridden version not live: color-text %q", got)
		}
		// An override that was not needed records nothing.
		e.save(t, e.a.ID, primary("#123456"))
		v2 := get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) {
			return e.svc.Publish(ctx, tx, e.a.ID, e.a.ID, PublishInput{OverrideContrast: true, Reason: "just in case", By: "x"})
		})
		if v2.OverrideReason != "" || v2.OverrideBy != "" {
			t.Fatalf("passing publish recorded an override: %+v", v2)
		}
	})
}

// TestLiveFollowsPublishAndRollback checks Live and the generation.
func TestLiveFollowsPublishAndRollback(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		live := func() (Version, error) {
			var v Version
			err := e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
				var err error
				v, err = e.svc.Live(ctx, tx, e.a.ID, e.app[e.a.ID])
				return err
			})
			return v, err
		}
		if _, err := live(); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("live before publishing: %v", err)
		}
		e.saveAndPublish(t, e.app[e.a.ID], primary("#123456"))
		e.saveAndPublish(t, e.app[e.a.ID], primary("#654321"))
		if v, err := live(); err != nil || v.Number != 2 {
			t.Fatalf("live %+v %v", v, err)
		}
		get(t, e, func(ctx context.Context, tx store.Tx) (Version, error) {
			return e.svc.Rollback(ctx, tx, e.a.ID, e.app[e.a.ID], 1)
		})
		if v, err := live(); err != nil || v.Number != 1 {
			t.Fatalf("live after rollback %+v %v", v, err)
		}
		if g := generationOf(t, e); g != 3 {
			t.Fatalf("generation %d after two publishes and a rollback", g)
		}
	})
}
