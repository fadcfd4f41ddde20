package policy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// What self-service recovery demands besides the emailed code or link
// (Recovery.Factor).
const (
	// RecoveryFactorNone: the emailed code or link alone recovers the
	// account.
	RecoveryFactorNone = "none"
	// RecoveryFactorIfEnrolled: a person with an enrolled recovery factor
	// (one of Recovery.Factors) must prove it too.
	RecoveryFactorIfEnrolled = "if_enrolled"
	// RecoveryFactorRequired: every person must prove an enrolled
	// recovery factor; without one, self-service recovery is refused and
	// the person is sent to the help desk.
	RecoveryFactorRequired = "required"
)

// RecoverySecurityAnswer is the recovery factor of a security question
// and its answer: a directory credential of that type.
const RecoverySecurityAnswer = directory.CredentialSecurityAnswer

// RecoveryFactors lists the enrolled authenticators Recovery.Factors may
// name. Later issues add TOTP, passkeys and phones.
var RecoveryFactors = []string{RecoverySecurityAnswer}

// Bounds of a recovery policy.
const (
	MinRecoveryTokenTTL = 5 * time.Minute
	MaxRecoveryTokenTTL = 24 * time.Hour
)

// Recovery is a tenant's policy for self-service account recovery.
type Recovery struct {
	TenantID string
	// Enabled turns self-service recovery by email on.
	Enabled bool
	// Factor is RecoveryFactorNone, RecoveryFactorIfEnrolled or
	// RecoveryFactorRequired.
	Factor string
	// Factors are the enrolled authenticators that count as a recovery
	// factor, from RecoveryFactors, each once; at least one unless Factor
	// is RecoveryFactorNone.
	Factors []string
	// TokenTTL is the life of the emailed code and link, whole seconds
	// from MinRecoveryTokenTTL to MaxRecoveryTokenTTL.
	TokenTTL time.Duration
	// Notify mails the person when a recovery completes.
	Notify bool
	// UpdatedAt is when the policy was last set; zero for the default.
	UpdatedAt time.Time
}

// DefaultRecovery is the recovery policy of a tenant that has set none:
// enabled, a security answer proven when the person has one, codes and
// links valid 30 minutes, the person notified.
func DefaultRecovery() Recovery {
	return Recovery{Enabled: true, Factor: RecoveryFactorIfEnrolled, Factors: []string{RecoverySecurityAnswer},
		TokenTTL: 30 * time.Minute, Notify: true}
}

// Recovery returns the tenant's recovery policy, DefaultRecovery (with
// TenantID set) when it has set none.
func (s *Service) Recovery(ctx context.Context, tx store.Tx, tenantID string) (Recovery, error) {
	r := Recovery{TenantID: tenantID}
	var factors []byte
	var secs int64
	err := tx.QueryRow(ctx, `SELECT enabled, factor, factors, token_ttl, notify, updated_at FROM recovery_policies WHERE tenant_id = ?`,
		tenantID).Scan(&r.Enabled, &r.Factor, &factors, &secs, &r.Notify, &r.UpdatedAt)
	switch {
	case errors.Is(err, store.ErrNotFound):
		d := DefaultRecovery()
		d.TenantID = tenantID
		return d, nil
	case err != nil:
		return Recovery{}, fmt.Errorf("policy: recovery policy: %w", err)
	}
	if err := store.ParseJSONList(factors, &r.Factors); err != nil {
		return Recovery{}, fmt.Errorf("policy: recovery policy: %w", err)
	}
	r.TokenTTL = time.Duration(secs) * time.Second
	return r, nil
}

// SetRecovery sets the tenant's recovery policy, replacing the one it
// had; in's TenantID and UpdatedAt are ignored. The caller records the
// change. Every field is checked against the bounds documented on
// Recovery and every problem reported at once (*invalid.Error naming
// factor, factors[i] or token_ttl); nothing is written then.
func (s *Service) SetRecovery(ctx context.Context, tx store.Tx, tenantID string, in Recovery) (Recovery, error) {
	r, err := checkRecovery(in)
	if err != nil {
		return Recovery{}, err
	}
	r.TenantID, r.UpdatedAt = tenantID, s.now()
	_, err = tx.Exec(ctx, `INSERT INTO recovery_policies (tenant_id, enabled, factor, factors, token_ttl, notify, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET enabled = excluded.enabled, factor = excluded.factor, factors = excluded.factors,
			token_ttl = excluded.token_ttl, notify = excluded.notify, updated_at = excluded.updated_at`,
		tenantID, r.Enabled, r.Factor, store.JSONList(r.Factors), int64(r.TokenTTL/time.Second), r.Notify, r.UpdatedAt, r.UpdatedAt)
	if err != nil {
		return Recovery{}, fmt.Errorf("policy: set recovery policy: %w", err)
	}
	return r, nil
}

// checkRecovery checks a recovery policy and returns it with its list
// copied.
func checkRecovery(in Recovery) (Recovery, error) {
	r := in
	r.Factors = slices.Clone(in.Factors)
	if r.Factors == nil {
		r.Factors = []string{}
	}
	var errs []error
	switch r.Factor {
	case RecoveryFactorNone, RecoveryFactorIfEnrolled, RecoveryFactorRequired:
		if r.Factor != RecoveryFactorNone && len(r.Factors) == 0 {
			errs = append(errs, invalid.Field("factors", "must name at least one of %s when factor is %q",
				strings.Join(RecoveryFactors, ", "), r.Factor))
		}
	default:
		errs = append(errs, invalid.Field("factor", "must be %q, %q or %q", RecoveryFactorNone, RecoveryFactorIfEnrolled, RecoveryFactorRequired))
	}
	for i, f := range r.Factors {
		field := fmt.Sprintf("factors[%d]", i)
		switch {
		case !slices.Contains(RecoveryFactors, f):
			errs = append(errs, invalid.Field(field, "must be one of %s", strings.Join(RecoveryFactors, ", ")))
		case slices.Index(r.Factors, f) < i:
			errs = append(errs, invalid.Field(field, "names %q twice", f))
		}
	}
	switch d := r.TokenTTL; {
	case d < MinRecoveryTokenTTL || d > MaxRecoveryTokenTTL:
		errs = append(errs, invalid.Field("token_ttl", "must be %d to %d seconds (5 minutes to 24 hours)",
			int64(MinRecoveryTokenTTL/time.Second), int64(MaxRecoveryTokenTTL/time.Second)))
	case d%time.Second != 0:
		errs = append(errs, invalid.Field("token_ttl", "must be whole seconds"))
	}
	return r, errors.Join(errs...)
}
