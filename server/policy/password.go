package policy

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/store"
)

// PasswordPolicy is a tenant's rules for passwords and account lockout.
type PasswordPolicy struct {
	// MinLength and MaxLength bound a new password, in characters;
	// MinLength is 8 to 128, MaxLength at least 64 and MinLength and at
	// most factor.MaxPasswordLen (which also bounds the password's bytes).
	MinLength, MaxLength int
	// Blocklist refuses common and breached passwords (see blocklist.go).
	Blocklist bool
	// History refuses the user's last History passwords, 0 to 24.
	History int
	// LockoutThreshold is how many failed sign-ins in a row lock the
	// account, 0 to 100; 0 never locks.
	LockoutThreshold int
	// LockoutDuration is how long a lock lasts, whole seconds up to 7
	// days; 0 locks until an admin unlocks.
	LockoutDuration time.Duration
	// NotifyLockout tells the person by email when their account locks.
	NotifyLockout bool
}

// Bounds of a password policy.
const (
	MinMinLength        = 8
	MaxMinLength        = 128
	MinMaxLength        = 64
	MaxHistory          = 24
	MaxLockoutThreshold = 100
	MaxLockoutDuration  = 7 * 24 * time.Hour
	// maxHashLen bounds a remembered hash, as the directory bounds a
	// credential's secret.
	maxHashLen = 4096
)

// DefaultPasswordPolicy is the policy of a tenant that has set none.
func DefaultPasswordPolicy() PasswordPolicy {
	return PasswordPolicy{
		MinLength: 8, MaxLength: factor.MaxPasswordLen, Blocklist: true, History: 4,
		LockoutThreshold: 10, LockoutDuration: 30 * time.Minute, NotifyLockout: true,
	}
}

const passwordCols = `min_length, max_length, blocklist, history, lockout_threshold, lockout_duration, notify_lockout`

// Password returns the tenant's password policy, DefaultPasswordPolicy
// when it has set none.
func (s *Service) Password(ctx context.Context, tx store.Tx, tenantID string) (PasswordPolicy, error) {
	var p PasswordPolicy
	var secs int64
	err := tx.QueryRow(ctx, `SELECT `+passwordCols+` FROM password_policies WHERE tenant_id = ?`, tenantID).
		Scan(&p.MinLength, &p.MaxLength, &p.Blocklist, &p.History, &p.LockoutThreshold, &secs, &p.NotifyLockout)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return DefaultPasswordPolicy(), nil
	case err != nil:
		return PasswordPolicy{}, fmt.Errorf("policy: password policy: %w", err)
	}
	p.LockoutDuration = time.Duration(secs) * time.Second
	return p, nil
}

// SetPasswordPolicy sets the tenant's password policy, replacing the one
// it had. Every field is checked against the bounds documented on
// PasswordPolicy and every problem reported at once (*invalid.Error
// naming min_length, max_length, history, lockout_threshold or
// lockout_duration); nothing is written then. Lowering History forgets
// the older passwords at each user's next change.
func (s *Service) SetPasswordPolicy(ctx context.Context, tx store.Tx, tenantID string, p PasswordPolicy) (PasswordPolicy, error) {
	if err := checkPasswordPolicy(p); err != nil {
		return PasswordPolicy{}, err
	}
	now := s.now()
	_, err := tx.Exec(ctx, `INSERT INTO password_policies (tenant_id, `+passwordCols+`, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (tenant_id) DO UPDATE SET min_length = excluded.min_length, max_length = excluded.max_length,
			blocklist = excluded.blocklist, history = excluded.history, lockout_threshold = excluded.lockout_threshold,
			lockout_duration = excluded.lockout_duration, notify_lockout = excluded.notify_lockout, updated_at = excluded.updated_at`,
		tenantID, p.MinLength, p.MaxLength, p.Blocklist, p.History, p.LockoutThreshold, int64(p.LockoutDuration/time.Second),
		p.NotifyLockout, now, now)
	if err != nil {
		return PasswordPolicy{}, fmt.Errorf("policy: set password policy: %w", err)
	}
	return p, nil
}

// checkPasswordPolicy checks a policy's bounds.
func checkPasswordPolicy(p PasswordPolicy) error {
	var errs []error
	if p.MinLength < MinMinLength || p.MinLength > MaxMinLength {
		errs = append(errs, invalid.Field("min_length", "must be %d to %d", MinMinLength, MaxMinLength))
	}
	switch {
	case p.MaxLength < MinMaxLength || p.MaxLength > factor.MaxPasswordLen:
		errs = append(errs, invalid.Field("max_length", "must be %d to %d", MinMaxLength, factor.MaxPasswordLen))
	case p.MaxLength < p.MinLength:
		errs = append(errs, invalid.Field("max_length", "must be at least min_length (%d)", p.MinLength))
	}
	if p.History < 0 || p.History > MaxHistory {
		errs = append(errs, invalid.Field("history", "must be 0 to %d", MaxHistory))
	}
	if p.LockoutThreshold < 0 || p.LockoutThreshold > MaxLockoutThreshold {
		errs = append(errs, invalid.Field("lockout_threshold", "must be 0 (never lock) to %d", MaxLockoutThreshold))
	}
	switch d := p.LockoutDuration; {
	case d < 0 || d > MaxLockoutDuration:
		errs = append(errs, invalid.Field("lockout_duration", "must be 0 (until an admin unlocks) to %d seconds (7 days)", int64(MaxLockoutDuration/time.Second)))
	case d%time.Second != 0:
		errs = append(errs, invalid.Field("lockout_duration", "must be whole seconds"))
	}
	return errors.Join(errs...)
}

// refuse is one reason to refuse a password: its sentinel and a field
// error that never quotes the password.
func refuse(sentinel error, format string, args ...any) error {
	return errors.Join(sentinel, invalid.Field("password", format, args...))
}

// CheckPassword checks a new password of a user of the tenant against
// the tenant's password policy. A refused password returns an error
// matching ErrPasswordRefused and, for each reason, its sentinel
// (ErrPasswordTooShort, ErrPasswordTooLong, ErrPasswordCommon,
// ErrPasswordReused) with an *invalid.Error naming "password". Length is
// counted in characters; the blocklist is compared ignoring case. The
// history (the user's last History passwords, verified with argon2id) is
// checked only when every other check passed and userID is not "" (""
// is a person who has no account yet). Neither the password nor its
// hash is ever logged or quoted.
func (s *Service) CheckPassword(ctx context.Context, tx store.Tx, tenantID, userID, password string) error {
	p, err := s.Password(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	var reasons []error
	switch n := utf8.RuneCountInString(password); {
	case n < p.MinLength:
		reasons = append(reasons, refuse(ErrPasswordTooShort, "must be at least %d characters", p.MinLength))
	case n > p.MaxLength:
		reasons = append(reasons, refuse(ErrPasswordTooLong, "must be at most %d characters", p.MaxLength))
	case len(password) > factor.MaxPasswordLen:
		reasons = append(reasons, refuse(ErrPasswordTooLong, "must be at most %d bytes", factor.MaxPasswordLen))
	}
	if p.Blocklist && s.common(password) {
		reasons = append(reasons, refuse(ErrPasswordCommon, "is too common: it is on lists of breached passwords"))
	}
	if len(reasons) == 0 && userID != "" && p.History > 0 {
		reused, err := s.reused(ctx, tx, tenantID, userID, password, p.History)
		if err != nil {
			return err
		}
		if reused {
			reasons = append(reasons, refuse(ErrPasswordReused, "was used recently: choose one not among the last %d", p.History))
		}
	}
	if len(reasons) > 0 {
		return fmt.Errorf("%w: %w", ErrPasswordRefused, errors.Join(reasons...))
	}
	return nil
}

// HashPassword checks a new password of a user of the tenant with
// CheckPassword and returns its argon2id hash (a PHC string) for the
// directory's password credential. Store it and call RememberPassword in
// the same transaction.
func (s *Service) HashPassword(ctx context.Context, tx store.Tx, tenantID, userID, password string) (string, error) {
	if err := s.CheckPassword(ctx, tx, tenantID, userID, password); err != nil {
		return "", err
	}
	hash, err := s.d.Passwords.Hash(ctx, password)
	if err != nil {
		return "", fmt.Errorf("policy: hash password: %w", err)
	}
	return hash, nil
}

// reused reports whether password matches one of the user's last n
// remembered hashes. A stored hash that cannot be verified is skipped
// (and logged without its value).
func (s *Service) reused(ctx context.Context, tx store.Tx, tenantID, userID, password string, n int) (bool, error) {
	rows, err := tx.Query(ctx, `SELECT hash FROM password_history WHERE tenant_id = ? AND user_id = ?
		ORDER BY seq DESC LIMIT ?`, tenantID, userID, n)
	hashes, err := store.Collect(rows, err, func(r store.Scanner) (string, error) {
		var h string
		return h, r.Scan(&h)
	})
	if err != nil {
		return false, fmt.Errorf("policy: password history: %w", err)
	}
	for _, h := range hashes {
		ok, err := s.d.Passwords.Verify(ctx, h, password)
		switch {
		case errors.Is(err, factor.ErrMalformedHash):
			s.d.Logger.WarnContext(ctx, "policy: a remembered password hash cannot be verified; skipped",
				"tenant_id", tenantID, "user_id", userID)
			continue
		case err != nil:
			return false, fmt.Errorf("policy: password history: %w", err)
		case ok:
			return true, nil
		}
	}
	return false, nil
}

// RememberPassword adds the hash (a PHC string) of a user's new password
// to their history and forgets all but the newest History hashes of the
// tenant's policy; with History 0 it forgets them all and keeps none.
// Call it in the transaction that sets the password.
func (s *Service) RememberPassword(ctx context.Context, tx store.Tx, tenantID, userID, hash string) error {
	switch {
	case userID == "":
		return invalid.Field("user_id", "is required")
	case hash == "":
		return invalid.Field("hash", "is required")
	case len(hash) > maxHashLen:
		return invalid.Field("hash", "must be at most %d bytes", maxHashLen)
	}
	p, err := s.Password(ctx, tx, tenantID)
	if err != nil {
		return err
	}
	if p.History == 0 {
		if _, err := tx.Exec(ctx, `DELETE FROM password_history WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
			return fmt.Errorf("policy: password history: %w", err)
		}
		return nil
	}
	var last int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) FROM password_history WHERE tenant_id = ? AND user_id = ?`,
		tenantID, userID).Scan(&last); err != nil {
		return fmt.Errorf("policy: password history: %w", err)
	}
	seq := last + 1
	if _, err := tx.Exec(ctx, `INSERT INTO password_history (tenant_id, user_id, seq, hash, created_at) VALUES (?, ?, ?, ?, ?)`,
		tenantID, userID, seq, hash, s.now()); err != nil {
		return fmt.Errorf("policy: password history: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM password_history WHERE tenant_id = ? AND user_id = ? AND seq <= ?`,
		tenantID, userID, seq-int64(p.History)); err != nil {
		return fmt.Errorf("policy: password history: %w", err)
	}
	return nil
}
