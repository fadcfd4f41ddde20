package policy

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// recovery reads the tenant's recovery policy.
func (e *env) recovery(t *testing.T, tenantID string) Recovery {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Recovery, error) { return e.svc.Recovery(ctx, tx, tenantID) })
}

func TestRecoveryDefaults(t *testing.T) {
	d := DefaultRecovery()
	want := Recovery{Enabled: true, Factor: RecoveryFactorIfEnrolled, Factors: []string{"security_answer"}, TokenTTL: 30 * time.Minute, Notify: true}
	if !reflect.DeepEqual(d, want) {
		t.Fatalf("DefaultRecovery() = %+v, want %+v", d, want)
	}
	if RecoverySecurityAnswer != directory.CredentialSecurityAnswer {
		t.Fatal("the security-answer factor is not the directory's credential type")
	}
	if _, err := checkRecovery(d); err != nil {
		t.Fatalf("the default does not pass its own checks: %v", err)
	}
}

func TestRecoveryPolicy(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten, other := e.tenant(t, "acme"), e.tenant(t, "other")
		t.Run("is the default until set", func(t *testing.T) {
			want := DefaultRecovery()
			want.TenantID = ten.ID
			if got := e.recovery(t, ten.ID); !reflect.DeepEqual(got, want) {
				t.Fatalf("got %+v, want %+v", got, want)
			}
		})
		set := Recovery{TenantID: "ignored", Enabled: false, Factor: RecoveryFactorRequired, Factors: []string{RecoverySecurityAnswer},
			TokenTTL: 2 * time.Hour, Notify: false}
		e.clk.Advance(time.Minute)
		stored := get(t, e, func(ctx context.Context, tx store.Tx) (Recovery, error) {
			return e.svc.SetRecovery(ctx, tx, ten.ID, set)
		})
		t.Run("reads back what was set", func(t *testing.T) {
			want := set
			want.TenantID, want.UpdatedAt = ten.ID, t0.Add(time.Minute)
			for _, got := range []Recovery{stored, e.recovery(t, ten.ID)} {
				if !got.UpdatedAt.Equal(want.UpdatedAt) {
					t.Fatalf("UpdatedAt %v, want %v", got.UpdatedAt, want.UpdatedAt)
				}
				got.UpdatedAt = want.UpdatedAt
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("got %+v, want %+v", got, want)
				}
			}
		})
		t.Run("replaces the policy", func(t *testing.T) {
			next := Recovery{Enabled: true, Factor: RecoveryFactorNone, TokenTTL: MinRecoveryTokenTTL, Notify: true}
			get(t, e, func(ctx context.Context, tx store.Tx) (Recovery, error) {
				return e.svc.SetRecovery(ctx, tx, ten.ID, next)
			})
			got := e.recovery(t, ten.ID)
			if got.Factor != RecoveryFactorNone || got.Factors == nil || len(got.Factors) != 0 || got.TokenTTL != MinRecoveryTokenTTL {
				t.Fatalf("got %+v", got)
			}
		})
		t.Run("keeps tenants apart", func(t *testing.T) {
			if got := e.recovery(t, other.ID); got.TenantID != other.ID || got.Factor != RecoveryFactorIfEnrolled || !got.UpdatedAt.IsZero() {
				t.Fatalf("other tenant has %+v", got)
			}
		})
		valid := DefaultRecovery()
		with := func(f func(*Recovery)) Recovery {
			r := valid
			r.Factors = append([]string(nil), valid.Factors...)
			f(&r)
			return r
		}
		for _, tc := range []struct {
			name   string
			in     Recovery
			fields []string
		}{
			{"refuses an unknown factor mode", with(func(r *Recovery) { r.Factor = "sometimes" }), []string{"factor"}},
			{"refuses an empty factor mode", with(func(r *Recovery) { r.Factor = "" }), []string{"factor"}},
			{"refuses an authenticator not yet usable for recovery", with(func(r *Recovery) { r.Factors = []string{"totp"} }), []string{"factors[0]"}},
			{"refuses an authenticator twice", with(func(r *Recovery) { r.Factors = []string{"security_answer", "security_answer"} }), []string{"factors[1]"}},
			{"refuses demanding a factor without naming one", with(func(r *Recovery) { r.Factor, r.Factors = RecoveryFactorRequired, nil }), []string{"factors"}},
			{"refuses a token life under five minutes", with(func(r *Recovery) { r.TokenTTL = 4 * time.Minute }), []string{"token_ttl"}},
			{"refuses a token life over a day", with(func(r *Recovery) { r.TokenTTL = 25 * time.Hour }), []string{"token_ttl"}},
			{"refuses a token life in fractions of a second", with(func(r *Recovery) { r.TokenTTL = 10*time.Minute + time.Millisecond }), []string{"token_ttl"}},
			{"reports every problem at once", with(func(r *Recovery) { r.Factor, r.Factors, r.TokenTTL = "x", []string{"sms"}, 0 }),
				[]string{"factor", "factors[0]", "token_ttl"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := e.recovery(t, other.ID)
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.SetRecovery(ctx, tx, other.ID, tc.in)
					return err
				}), tc.fields...)
				if after := e.recovery(t, other.ID); !reflect.DeepEqual(after, before) {
					t.Fatalf("a refused policy was written: %+v", after)
				}
			})
		}
		t.Run("accepts the bounds", func(t *testing.T) {
			for _, ttl := range []time.Duration{MinRecoveryTokenTTL, MaxRecoveryTokenTTL} {
				if err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, err := e.svc.SetRecovery(ctx, tx, other.ID, with(func(r *Recovery) { r.TokenTTL = ttl }))
					return err
				}); err != nil {
					t.Fatalf("TTL %v: %v", ttl, err)
				}
			}
		})
	})
}
