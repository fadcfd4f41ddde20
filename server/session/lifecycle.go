package session

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// Limits on what a session records; exceeding one is refused.
const (
	MaxAMR    = 10  // values in amr
	MaxAMRLen = 32  // characters of one amr value
	MaxACRLen = 255 // characters of acr
)

const sessionCols = `id, tenant_id, user_id, amr, acr, auth_time, created_at, last_seen_at, idle_expires_at, absolute_expires_at, ip, user_agent`

// Create starts a session of userID in tenantID, authenticated now with
// the methods amr (at least one, e.g. ["pwd"]) reaching the class acr
// (may be empty), recording the client's address and User-Agent from ctx.
// It returns the session and its cookie value, which is shown this once:
// only its MAC is stored.
func (s *Sessions) Create(ctx context.Context, tx store.Tx, tenantID, userID string, amr []string, acr string) (Session, string, error) {
	if err := errors.Join(checkIDs(tenantID, userID), checkAssurance(amr, acr)); err != nil {
		return Session{}, "", err
	}
	now := s.now()
	ses := Session{
		TenantID: tenantID, UserID: userID, AMR: slices.Clone(amr), ACR: acr,
		CreatedAt: now, AbsoluteExpiresAt: now.Add(s.opts.Absolute),
		IP: clientIP(ctx), UserAgent: userAgent(ctx),
	}
	return s.start(ctx, tx, ses, now)
}

// Lookup returns the live session of tenantID the cookie value stands
// for, or ErrNoSession. Each use moves the idle expiry to Idle from now
// (never past the absolute expiry), writing at most once a minute, so tx
// must be a read-write transaction.
func (s *Sessions) Lookup(ctx context.Context, tx store.Tx, tenantID, cookie string) (Session, error) {
	ses, now, err := s.live(ctx, tx, tenantID, cookie)
	if err != nil {
		return Session{}, err
	}
	if since := now.Sub(ses.LastSeenAt); since >= 0 && since < slideResolution {
		return ses, nil
	}
	ses.LastSeenAt, ses.IdleExpiresAt = now, s.idleExpiry(now, ses.AbsoluteExpiresAt)
	if _, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = ?, idle_expires_at = ? WHERE id = ?`,
		ses.LastSeenAt, ses.IdleExpiresAt, ses.ID); err != nil {
		return Session{}, fmt.Errorf("session: record use: %w", err)
	}
	return ses, nil
}

// Rotate replaces the live session the cookie value stands for with a new
// one (new ID and cookie value) of the same user, authenticated now with
// amr and acr: call it on every change of assurance, such as a step-up
// that adds a factor. The old value stops working at once. The new
// session keeps CreatedAt and the absolute expiry of the old one, so
// rotating never extends a session's life. It records the client's
// address and User-Agent from ctx, keeping the old session's where ctx
// carries none. A cookie that stands for no live session gives
// ErrNoSession.
func (s *Sessions) Rotate(ctx context.Context, tx store.Tx, tenantID, cookie string, amr []string, acr string) (Session, string, error) {
	if err := checkAssurance(amr, acr); err != nil {
		return Session{}, "", err
	}
	old, now, err := s.live(ctx, tx, tenantID, cookie)
	if err != nil {
		return Session{}, "", err
	}
	if _, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE id = ?`, now, old.ID); err != nil {
		return Session{}, "", fmt.Errorf("session: revoke rotated session: %w", err)
	}
	ses := old
	ses.AMR, ses.ACR = slices.Clone(amr), acr
	if ip := clientIP(ctx); ip != "" {
		ses.IP = ip
	}
	if ua := userAgent(ctx); ua != "" {
		ses.UserAgent = ua
	}
	return s.start(ctx, tx, ses, now)
}

// start stores ses, authenticated now, with a new ID and cookie value.
func (s *Sessions) start(ctx context.Context, tx store.Tx, ses Session, now time.Time) (Session, string, error) {
	ses.ID = ident.New("ses", now)
	ses.AuthTime, ses.LastSeenAt = now, now
	ses.IdleExpiresAt = s.idleExpiry(now, ses.AbsoluteExpiresAt)
	cookie := newCookie()
	mac, _ := s.mac(cookie)
	_, err := tx.Exec(ctx, `INSERT INTO sessions (`+sessionCols+`, secret_mac) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ses.ID, ses.TenantID, ses.UserID, encodeAMR(ses.AMR), ses.ACR, ses.AuthTime, ses.CreatedAt, ses.LastSeenAt,
		ses.IdleExpiresAt, ses.AbsoluteExpiresAt, ses.IP, ses.UserAgent, mac)
	if err != nil {
		return Session{}, "", fmt.Errorf("session: store session: %w", err)
	}
	return ses, cookie, nil
}

// live finds the unexpired, unrevoked session of tenantID a cookie value
// stands for, and returns it with the current time.
func (s *Sessions) live(ctx context.Context, tx store.Tx, tenantID, cookie string) (Session, time.Time, error) {
	mac, ok := s.mac(cookie)
	if !ok {
		return Session{}, time.Time{}, ErrNoSession
	}
	var revoked bool
	ses, err := scanSession(tx.QueryRow(ctx, `SELECT `+sessionCols+`, revoked_at IS NOT NULL FROM sessions WHERE secret_mac = ? AND tenant_id = ?`,
		mac, tenantID), &revoked)
	if errors.Is(err, store.ErrNotFound) {
		return Session{}, time.Time{}, ErrNoSession
	}
	if err != nil {
		return Session{}, time.Time{}, fmt.Errorf("session: find session: %w", err)
	}
	now := s.now()
	if revoked || !now.Before(ses.IdleExpiresAt) || !now.Before(ses.AbsoluteExpiresAt) {
		return Session{}, time.Time{}, ErrNoSession
	}
	return ses, now, nil
}

// scanSession reads the columns sessionCols names, then extra.
func scanSession(row store.Scanner, extra ...any) (Session, error) {
	var ses Session
	var amr []byte
	dest := append([]any{&ses.ID, &ses.TenantID, &ses.UserID, &amr, &ses.ACR, &ses.AuthTime, &ses.CreatedAt,
		&ses.LastSeenAt, &ses.IdleExpiresAt, &ses.AbsoluteExpiresAt, &ses.IP, &ses.UserAgent}, extra...)
	if err := row.Scan(dest...); err != nil {
		return Session{}, err
	}
	var err error
	ses.AMR, err = decodeAMR(amr)
	return ses, err
}

// Revoke ends the session of tenantID the cookie value stands for (sign
// out). A cookie that stands for no unrevoked session of the tenant gives
// ErrNoSession, which a sign-out may ignore.
func (s *Sessions) Revoke(ctx context.Context, tx store.Tx, tenantID, cookie string) error {
	mac, ok := s.mac(cookie)
	if !ok {
		return ErrNoSession
	}
	n, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ? WHERE secret_mac = ? AND tenant_id = ? AND revoked_at IS NULL`,
		s.now(), mac, tenantID)
	if err != nil {
		return fmt.Errorf("session: revoke: %w", err)
	}
	if n == 0 {
		return ErrNoSession
	}
	return nil
}

// RevokeUser ends every live session of a user of tenantID (after a
// password reset, a suspension, a recovery) and reports how many it ended.
// A user of another tenant keeps theirs.
func (s *Sessions) RevokeUser(ctx context.Context, tx store.Tx, tenantID, userID string) (int64, error) {
	if err := checkIDs(tenantID, userID); err != nil {
		return 0, err
	}
	now := s.now()
	n, err := tx.Exec(ctx, `UPDATE sessions SET revoked_at = ?
		WHERE tenant_id = ? AND user_id = ? AND revoked_at IS NULL AND idle_expires_at > ? AND absolute_expires_at > ?`,
		now, tenantID, userID, now, now)
	if err != nil {
		return 0, fmt.Errorf("session: revoke user's sessions: %w", err)
	}
	return n, nil
}

// Purge deletes the sessions of every tenant that have expired or were
// revoked, and reports how many. A periodic job calls it so that the
// table holds only live sessions; nothing else needs the ended ones.
func (s *Sessions) Purge(ctx context.Context, tx store.Tx) (int64, error) {
	now := s.now()
	n, err := tx.Exec(ctx, `DELETE FROM sessions WHERE revoked_at IS NOT NULL OR idle_expires_at <= ? OR absolute_expires_at <= ?`, now, now)
	if err != nil {
		return 0, fmt.Errorf("session: purge: %w", err)
	}
	return n, nil
}

// idleExpiry is when a session used at now ends if not used again.
func (s *Sessions) idleExpiry(now, absolute time.Time) time.Time {
	if t := now.Add(s.opts.Idle); t.Before(absolute) {
		return t
	}
	return absolute
}

// checkIDs refuses a missing tenant or user ID.
func checkIDs(tenantID, userID string) error {
	var errs []error
	if tenantID == "" {
		errs = append(errs, invalid.Field("tenant_id", "is required"))
	}
	if userID == "" {
		errs = append(errs, invalid.Field("user_id", "is required"))
	}
	return errors.Join(errs...)
}

// checkAssurance checks amr (1–MaxAMR distinct tokens) and acr (empty, or
// up to MaxACRLen printable ASCII characters without spaces, so that URIs
// fit).
func checkAssurance(amr []string, acr string) error {
	var errs []error
	switch {
	case len(amr) == 0:
		errs = append(errs, invalid.Field("amr", "needs at least one method"))
	case len(amr) > MaxAMR:
		errs = append(errs, invalid.Field("amr", "must have at most %d methods", MaxAMR))
	}
	for i, v := range amr {
		switch {
		case !isToken(v, MaxAMRLen, false):
			errs = append(errs, invalid.Field(fmt.Sprintf("amr[%d]", i), "must be 1–%d letters, digits, '-', '_', '.' or ':'", MaxAMRLen))
		case slices.Index(amr, v) < i:
			errs = append(errs, invalid.Field(fmt.Sprintf("amr[%d]", i), "repeats %q", v))
		}
	}
	if acr != "" && !isToken(acr, MaxACRLen, true) {
		errs = append(errs, invalid.Field("acr", "must be at most %d printable ASCII characters without spaces", MaxACRLen))
	}
	return errors.Join(errs...)
}

// isToken reports whether s is 1–max characters of [A-Za-z0-9._:-], or of
// any printable ASCII but space when wide.
func isToken(s string, max int, wide bool) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case wide && c > ' ' && c < 0x7f:
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return false
		}
	}
	return true
}
