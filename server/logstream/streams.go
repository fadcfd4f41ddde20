package logstream

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// IDPrefix is the prefix of stream IDs.
const IDPrefix = "lst"

// SecretPrefix starts every signing secret, so that one found in the wild
// is recognisable.
const SecretPrefix = "lss_"

const (
	maxNameLen = 100
	maxURLLen  = 2048
	// secretPurpose binds sealed secrets to their use.
	secretPurpose = "logstream.secret"
)

const streamCols = `id, tenant_id, name, kind, url, secret_sealed, types, personal, cursor, status, last_error, created_at, updated_at`

// scanStream reads a stream and its sealed secret.
func scanStream(r store.Scanner) (Stream, []byte, error) {
	var s Stream
	var tenant sql.NullString
	var kind, status string
	var types, sealed []byte
	if err := r.Scan(&s.ID, &tenant, &s.Name, &kind, &s.URL, &sealed, &types, &s.Personal, &s.Cursor, &status,
		&s.LastError, &s.CreatedAt, &s.UpdatedAt); err != nil {
		return Stream{}, nil, err
	}
	s.TenantID = tenant.String
	s.Kind, s.Status = Kind(kind), Status(status)
	if err := store.ParseJSONList(types, &s.Types); err != nil {
		return Stream{}, nil, fmt.Errorf("logstream: stream %s: %w", s.ID, err)
	}
	return s, sealed, nil
}

// tenantArg is tenantID as the tenant_id column holds it: NULL for the
// instance.
func tenantArg(tenantID string) any {
	if tenantID == "" {
		return nil
	}
	return tenantID
}

// ofTenant is the condition selecting the streams of tenantID ("" for the
// instance's), with its argument.
func ofTenant(tenantID string) (string, []any) {
	if tenantID == "" {
		return "tenant_id IS NULL", nil
	}
	return "tenant_id = ?", []any{tenantID}
}

func binding(tenantID, id string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: secretPurpose, Row: id}
}

func notFound(id string) error {
	return fmt.Errorf("%w: %w: log stream %q", ErrNotFound, store.ErrNotFound, id)
}

// now is the current time as the store reads it back.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// Create adds a webhook stream for tenantID ("" for an instance-wide one;
// a tenant ID must exist) in the caller's transaction, and returns it with
// its signing secret, which is shown only this once: the receiver checks
// the Lintel-Signature header with it (internal/hooksig). The stream
// starts at the beginning of the tenant's log. Bad input returns errors
// from internal/invalid naming each field, joined; a tenant at MaxStreams
// returns ErrTooMany.
func (s *Service) Create(ctx context.Context, tx store.Tx, tenantID string, in Input) (Stream, string, error) {
	in, err := s.validate(in)
	if err != nil {
		return Stream{}, "", err
	}
	cond, args := ofTenant(tenantID)
	var n int
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM log_streams WHERE `+cond, args...).Scan(&n); err != nil {
		return Stream{}, "", fmt.Errorf("logstream: create: %w", err)
	}
	if n >= MaxStreams {
		return Stream{}, "", fmt.Errorf("%w: at most %d per tenant", ErrTooMany, MaxStreams)
	}
	now := s.now()
	st := Stream{ID: ident.New(IDPrefix, now), TenantID: tenantID, Name: in.Name, Kind: KindWebhook, URL: in.URL,
		Types: in.Types, Personal: in.Personal, Status: in.Status, CreatedAt: now, UpdatedAt: now}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return Stream{}, "", fmt.Errorf("logstream: secret: %w", err)
	}
	secret := SecretPrefix + base64.RawURLEncoding.EncodeToString(raw)
	sealed, err := s.d.Secrets.Seal(binding(tenantID, st.ID), []byte(secret))
	if err != nil {
		return Stream{}, "", fmt.Errorf("logstream: seal secret: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO log_streams (`+streamCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		st.ID, tenantArg(tenantID), st.Name, string(st.Kind), st.URL, sealed, store.JSONList(st.Types), st.Personal,
		"", string(st.Status), "", st.CreatedAt, st.UpdatedAt)
	if err != nil {
		return Stream{}, "", fmt.Errorf("logstream: create: %w", err)
	}
	return st, secret, nil
}

// Get returns a stream of tenantID ("" for the instance's); one of
// another tenant is ErrNotFound.
func (s *Service) Get(ctx context.Context, tx store.Tx, tenantID, id string) (Stream, error) {
	cond, args := ofTenant(tenantID)
	st, _, err := scanStream(tx.QueryRow(ctx, `SELECT `+streamCols+` FROM log_streams WHERE id = ? AND `+cond, append([]any{id}, args...)...))
	if errors.Is(err, store.ErrNotFound) {
		return Stream{}, notFound(id)
	}
	if err != nil {
		return Stream{}, fmt.Errorf("logstream: get: %w", err)
	}
	return st, nil
}

// List returns the streams of tenantID ("" for the instance's), oldest
// first.
func (s *Service) List(ctx context.Context, tx store.Tx, tenantID string) ([]Stream, error) {
	cond, args := ofTenant(tenantID)
	rows, err := tx.Query(ctx, `SELECT `+streamCols+` FROM log_streams WHERE `+cond+` ORDER BY id`, args...)
	out, err := store.Collect(rows, err, func(r store.Scanner) (Stream, error) {
		st, _, err := scanStream(r)
		return st, err
	})
	if err != nil {
		return nil, fmt.Errorf("logstream: list: %w", err)
	}
	return out, nil
}

// Update replaces a stream's settings with in, in the caller's
// transaction; the cursor and the secret stay. A running stream restarts
// with the new settings at Run's next tick. Errors are those of Create
// and Get.
func (s *Service) Update(ctx context.Context, tx store.Tx, tenantID, id string, in Input) (Stream, error) {
	in, err := s.validate(in)
	if err != nil {
		return Stream{}, err
	}
	st, err := s.Get(ctx, tx, tenantID, id)
	if err != nil {
		return Stream{}, err
	}
	st.Name, st.URL, st.Types, st.Personal, st.Status = in.Name, in.URL, in.Types, in.Personal, in.Status
	// updated_at moves on every update, even within one tick of the
	// clock: Run restarts a stream whose updated_at changed.
	now := s.now()
	if !now.After(st.UpdatedAt) {
		now = st.UpdatedAt.Add(time.Microsecond)
	}
	st.LastError, st.UpdatedAt = "", now
	_, err = tx.Exec(ctx, `UPDATE log_streams SET name = ?, url = ?, types = ?, personal = ?, status = ?, last_error = '',
		updated_at = ? WHERE id = ?`, st.Name, st.URL, store.JSONList(st.Types), st.Personal, string(st.Status), st.UpdatedAt, st.ID)
	if err != nil {
		return Stream{}, fmt.Errorf("logstream: update: %w", err)
	}
	return st, nil
}

// Delete removes a stream of tenantID ("" for the instance's) in the
// caller's transaction; Run stops following it at its next tick. A
// stream of another tenant is ErrNotFound.
func (s *Service) Delete(ctx context.Context, tx store.Tx, tenantID, id string) error {
	cond, args := ofTenant(tenantID)
	n, err := tx.Exec(ctx, `DELETE FROM log_streams WHERE id = ? AND `+cond, append([]any{id}, args...)...)
	if err != nil {
		return fmt.Errorf("logstream: delete: %w", err)
	}
	if n == 0 {
		return notFound(id)
	}
	return nil
}

// validate normalises in and checks it; errors come from internal/invalid,
// joined.
func (s *Service) validate(in Input) (Input, error) {
	var errs []error
	in.Name = strings.TrimSpace(in.Name)
	switch {
	case in.Name == "":
		errs = append(errs, invalid.Field("name", "must be set"))
	case len(in.Name) > maxNameLen || !utf8.ValidString(in.Name) || strings.IndexFunc(in.Name, unicode.IsControl) >= 0:
		errs = append(errs, invalid.Field("name", "must be at most %d bytes of text without control characters", maxNameLen))
	}
	if reason := urlProblem(in.URL, s.d.AllowInsecureLoopback); reason != "" {
		errs = append(errs, invalid.Field("url", "%s", reason))
	}
	if err := events.CheckTypes(in.Types); err != nil {
		errs = append(errs, err)
	}
	if in.Types == nil {
		in.Types = []string{}
	}
	switch in.Status {
	case "":
		in.Status = Active
	case Active, Disabled:
	default:
		errs = append(errs, invalid.Field("status", "must be %q or %q", Active, Disabled))
	}
	if len(errs) > 0 {
		return Input{}, errors.Join(errs...)
	}
	return in, nil
}

// urlProblem explains why raw cannot receive a stream, or returns "". It
// checks the form only: whether the address may be dialed is decided at
// every connection by the egress dialer.
func urlProblem(raw string, insecureLoopback bool) string {
	if raw == "" {
		return "must be set"
	}
	if len(raw) > maxURLLen {
		return fmt.Sprintf("must be at most %d bytes", maxURLLen)
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "" || u.Opaque != "":
		return "must be an absolute URL with a host"
	case u.User != nil:
		return "must not carry a user name or password (the request is signed instead)"
	case u.Fragment != "" || strings.Contains(raw, "#"):
		return "must not have a fragment"
	case u.Scheme == "https":
		return ""
	case u.Scheme == "http" && insecureLoopback && loopback(u.Hostname()):
		return ""
	default:
		return "must be https"
	}
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// secret opens the signing secret of a stream.
func (s *Service) secret(ctx context.Context, tx store.Tx, st Stream, sealed []byte) ([]byte, error) {
	b, err := s.d.Secrets.Open(ctx, tx, binding(st.TenantID, st.ID), sealed)
	if err != nil {
		return nil, fmt.Errorf("logstream: stream %s: open secret: %w", st.ID, err)
	}
	return b, nil
}
