package authserver

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// TestTokenBudget is the must-show: a configuration refused for
// token size, and one accepted just under the limit.
func TestTokenBudget(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		const limit = 2048
		srv := e.server(t, tenantA, ServerInput{Name: "orders", MaxTokenBytes: limit})
		// The worst case of a new server's access token, by hand:
		base := TokenBaseBytes // 1024, the registered and protocol claims
		// "scope":"…", with every scope name of the server and a space:
		scopeClaim := len(`"scope":"",`) + len("openid profile email address phone offline_access ") // 11 + 50
		claim := len(`"big":,`)                                                                      // name + 4
		fits := limit - base - scopeClaim - claim                                                    // 2048 - 1024 - 61 - 7 = 956
		if fits != 956 {
			t.Fatalf("arithmetic: %d", fits)
		}
		big := ClaimInput{Name: "big", Target: TargetAccess, Expression: "groups", MaxBytes: fits + 1}

		_, err := e.createClaim(t, srv.ID, big)
		wantFields(t, err, "max_bytes")
		if msg := invalid.All(err)[0].Reason; !strings.Contains(msg, "access token is 2049 bytes") || !strings.Contains(msg, "2048") {
			t.Fatalf("message %q does not state worst case and limit", msg)
		}

		big.MaxBytes = fits - 1 // 2047 bytes: just under the limit
		c, err := e.createClaim(t, srv.ID, big)
		if err != nil {
			t.Fatalf("just under the limit: %v", err)
		}
		big.MaxBytes = fits // 2048 bytes: the limit itself
		e.ok(t, func(ctx context.Context, tx store.Tx) error {
			_, err := e.svc.UpdateClaim(ctx, tx, tenantA, srv.ID, c.ID, big)
			return err
		})

		t.Run("refuses a smaller max_token_bytes", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				n := limit - 1
				_, err := e.svc.UpdateServer(ctx, tx, tenantA, srv.ID, ServerPatch{MaxTokenBytes: &n})
				return err
			})
			wantFields(t, err, "max_token_bytes")
		})
		t.Run("refuses a scope that lengthens the scope claim", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.CreateScope(ctx, tx, tenantA, srv.ID, ScopeInput{Name: "a", Kinds: []string{KindDelegated}})
				return err
			})
			wantFields(t, err, "max_token_bytes")
		})
		t.Run("counts each target on its own", func(t *testing.T) {
			in := big
			in.Target = TargetID
			if _, err := e.createClaim(t, srv.ID, in); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("counts only active claims", func(t *testing.T) {
			in := ClaimInput{Name: "later", Target: TargetAccess, Expression: `"x"`, Inactive: true}
			c, err := e.createClaim(t, srv.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			in.Inactive = false
			err = e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.svc.UpdateClaim(ctx, tx, tenantA, srv.ID, c.ID, in)
				return err
			})
			wantFields(t, err, "expression") // derived, so the expression is at fault
		})
		if n := e.count(t, "auth_claims"); n != 3 {
			t.Fatalf("%d claims, want 3", n)
		}
	})
}

func TestWorstCase(t *testing.T) {
	scopes := []Scope{{Name: "a"}, {Name: "b<c"}}
	claims := []Claim{
		{Name: "x", Target: TargetAccess, MaxBytes: 10, Active: true},
		{Name: "yy", Target: TargetAccess, MaxBytes: 20, Active: true},
		{Name: "z", Target: TargetID, MaxBytes: 30, Active: true},
		{Name: "off", Target: TargetID, MaxBytes: 1000},
	}
	got := worstCase(scopes, claims)
	// "a" + space, "b\u003cc" (HTML-escaped as encoding/json does) + space.
	sc := scopeClaimOverhead + 2 + len(`b\u003cc`) + 1
	if want := (tokenSize{TokenBaseBytes, sc, (1 + 4 + 10) + (2 + 4 + 20)}); got[TargetAccess] != want {
		t.Errorf("access %+v, want %+v", got[TargetAccess], want)
	}
	if want := (tokenSize{TokenBaseBytes, sc, 1 + 4 + 30}); got[TargetID] != want {
		t.Errorf("id %+v, want %+v", got[TargetID], want)
	}
}

func TestCheckTokenSize(t *testing.T) {
	srv := Server{MaxTokenBytes: 1024}
	claims := map[string]any{"pad": strings.Repeat("x", 1024-len(`{"pad":""}`))}
	if err := CheckTokenSize(srv, claims); err != nil {
		t.Fatalf("exactly the limit: %v", err)
	}
	claims["pad"] = claims["pad"].(string) + "x"
	if err := CheckTokenSize(srv, claims); !errors.Is(err, ErrTokenTooLarge) {
		t.Fatalf("one byte over: %v", err)
	}
	if err := CheckTokenSize(Server{}, map[string]any{"pad": strings.Repeat("x", DefaultMaxTokenBytes)}); !errors.Is(err, ErrTokenTooLarge) {
		t.Fatalf("the default limit: %v", err)
	}
}
