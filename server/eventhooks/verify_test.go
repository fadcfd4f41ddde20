package eventhooks

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/lintel-id/lintel/server/store"
)

func TestVerify(t *testing.T) {
	eachWorld(t, Options{}, func(t *testing.T, w *world) {
		ctx := context.Background()
		cases := []struct {
			name string
			// setup prepares the receiver.
			setup func(rx *receiver)
			// want is the error kind, nil for success.
			want error
		}{
			{"the challenge echoed makes the hook active", func(*receiver) {}, nil},
			{"a wrong echo leaves it unverified", func(rx *receiver) { rx.echo = func(c string) string { return c + "x" } }, ErrVerification},
			{"an empty echo leaves it unverified", func(rx *receiver) { rx.echo = func(string) string { return "" } }, ErrVerification},
			{"a receiver that does not know the secret leaves it unverified", func(rx *receiver) { rx.secrets = map[string]string{} }, ErrVerification},
			{"a receiver that is down leaves it unverified", func(rx *receiver) { rx.stop() }, ErrVerification},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				rx := startReceiver(t, w.clk)
				h, secret := w.create(t, w.a, Input{Name: "r", URL: rx.url(), Types: []string{"*"}})
				rx.trust(h.ID, secret)
				c.setup(rx)
				err := w.svc.Verify(ctx, w.a, h.ID)
				got := w.get(t, w.a, h.ID)
				if c.want != nil {
					if !errors.Is(err, c.want) {
						t.Fatalf("Verify: %v, want %v", err, c.want)
					}
					if got.Status != Unverified || !got.VerifiedAt.IsZero() {
						t.Errorf("after a failed handshake: %+v", got)
					}
					return
				}
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if got.Status != Active || !got.VerifiedAt.Equal(t0) {
					t.Errorf("after the handshake: %+v", got)
				}
				reqs := rx.requests()
				if len(reqs) != 1 {
					t.Fatalf("receiver got %d requests", len(reqs))
				}
				r := reqs[0]
				var body verificationBody
				if err := json.Unmarshal(r.body, &body); err != nil {
					t.Fatal(err)
				}
				if r.method != http.MethodPost || r.signature != nil || body.Type != "verification" || body.HookID != h.ID ||
					body.TenantID != w.a || body.Challenge == "" || body.Challenge != r.header.Get(ChallengeHeader) {
					t.Errorf("handshake request %s %q, signature %v", r.method, r.body, r.signature)
				}
			})
		}
		t.Run("a disabled hook is not verified", func(t *testing.T) {
			rx := startReceiver(t, w.clk)
			h, secret := w.create(t, w.a, Input{Name: "r", URL: rx.url(), Types: []string{"*"}, Disabled: true})
			rx.trust(h.ID, secret)
			if err := w.svc.Verify(ctx, w.a, h.ID); !errors.Is(err, ErrDisabled) {
				t.Errorf("Verify: %v", err)
			}
			if n := len(rx.requests()); n != 0 {
				t.Errorf("receiver got %d requests", n)
			}
		})
		t.Run("another tenant's hook is not found", func(t *testing.T) {
			rx := startReceiver(t, w.clk)
			h, _ := w.create(t, w.a, Input{Name: "r", URL: rx.url(), Types: []string{"*"}})
			if err := w.svc.Verify(ctx, w.b, h.ID); !errors.Is(err, ErrNotFound) {
				t.Errorf("Verify: %v", err)
			}
		})
		t.Run("a redirect is not followed", func(t *testing.T) {
			rx := startReceiver(t, w.clk)
			redirect := httptest.NewTLSServer(http.RedirectHandler(rx.url(), http.StatusTemporaryRedirect))
			defer redirect.Close()
			h, secret := w.create(t, w.a, Input{Name: "r", URL: redirect.URL + "/hook", Types: []string{"*"}})
			rx.trust(h.ID, secret)
			if err := w.svc.Verify(ctx, w.a, h.ID); !errors.Is(err, ErrVerification) {
				t.Errorf("Verify: %v", err)
			}
			if n := len(rx.requests()); n != 0 {
				t.Errorf("the redirect's target got %d requests", n)
			}
		})
		t.Run("a URL changed during the handshake is not activated", func(t *testing.T) {
			rx := startReceiver(t, w.clk)
			h, secret := w.create(t, w.a, Input{Name: "r", URL: rx.url(), Types: []string{"*"}})
			rx.trust(h.ID, secret)
			rx.echo = func(c string) string {
				// The receiver answers while an admin points the hook
				// elsewhere (rx.mu is held: update the row directly).
				if err := w.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
					_, err := tx.Exec(ctx, `UPDATE event_hooks SET url = 'https://other.example/' WHERE id = ?`, h.ID)
					return err
				}); err != nil {
					t.Error(err)
				}
				return c
			}
			if err := w.svc.Verify(ctx, w.a, h.ID); !errors.Is(err, ErrVerification) {
				t.Errorf("Verify: %v", err)
			}
			if got := w.get(t, w.a, h.ID); got.Status != Unverified {
				t.Errorf("status %s", got.Status)
			}
		})
	})
}
