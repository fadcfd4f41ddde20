package terms

import (
	"context"
	"fmt"
	"slices"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// Pending returns the current documents of the tenant (see Current) that
// are required and that the user has not accepted in that version, in
// the order of Kinds: after a new version is published, it is pending
// again whatever the user accepted before. A user unknown to the tenant
// has every current required document pending.
func (s *Service) Pending(ctx context.Context, tx store.Tx, tenantID, userID string) ([]Document, error) {
	current, err := s.Current(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	out := []Document{}
	for _, d := range current {
		if !d.Required {
			continue
		}
		var n int
		err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM terms_acceptances WHERE tenant_id = ? AND user_id = ? AND document_id = ?`,
			tenantID, userID, d.ID).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("terms: pending: %w", err)
		}
		if n == 0 {
			out = append(out, d)
		}
	}
	return out, nil
}

// Accept records that a user of the tenant accepted the documents
// documentIDs (1 to MaxAccept IDs; repeated IDs count once) now, and
// records one "user.terms.accepted" event by the user, whose details list
// the kinds, versions and IDs of the documents newly accepted (in
// parallel lists "kinds", "versions" and "document_ids"). A document
// the user accepted before keeps its first acceptance; when every one
// was, nothing is written. Any version may be accepted, not only the
// current one (the person may have read it while a new one was being
// published; Pending still asks for the new one). An ID that is not a
// document of the tenant is not found (store.ErrNotFound) and nothing is
// written. The caller checks that the user exists.
func (s *Service) Accept(ctx context.Context, tx store.Tx, tenantID, userID string, documentIDs []string) error {
	switch {
	case userID == "":
		return invalid.Field("user_id", "is required")
	case len(documentIDs) == 0:
		return invalid.Field("document_ids", "must name at least one document")
	case len(documentIDs) > MaxAccept:
		return invalid.Field("document_ids", "must name at most %d documents", MaxAccept)
	}
	docs := make([]Document, 0, len(documentIDs))
	for i, id := range documentIDs {
		if slices.Index(documentIDs, id) < i {
			continue
		}
		d, err := s.Document(ctx, tx, tenantID, id)
		if err != nil {
			return err
		}
		docs = append(docs, d)
	}
	now := s.now()
	var kinds, versions, accepted []string
	for _, d := range docs {
		n, err := tx.Exec(ctx, `INSERT INTO terms_acceptances (tenant_id, user_id, document_id, accepted_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id, user_id, document_id) DO NOTHING`, tenantID, userID, d.ID, now)
		if err != nil {
			return fmt.Errorf("terms: accept: %w", err)
		}
		if n > 0 {
			kinds, versions, accepted = append(kinds, d.Kind), append(versions, d.Version), append(accepted, d.ID)
		}
	}
	if len(accepted) == 0 {
		return nil
	}
	user := events.Ref{Type: "user", ID: userID}
	_, err := s.ev.Append(ctx, tx, events.Event{
		Type: "user.terms.accepted", TenantID: tenantID, Actor: user, Target: user, Outcome: events.Success,
		RequestID: requestid.From(ctx), Details: map[string]any{"kinds": kinds, "versions": versions, "document_ids": accepted},
	})
	if err != nil {
		return fmt.Errorf("terms: record user.terms.accepted: %w", err)
	}
	return nil
}

// Acceptances returns every acceptance of a user of the tenant, of every
// version ever accepted, oldest first.
func (s *Service) Acceptances(ctx context.Context, tx store.Tx, tenantID, userID string) ([]Acceptance, error) {
	rows, err := tx.Query(ctx, `SELECT a.document_id, d.kind, d.version, a.user_id, a.accepted_at
		FROM terms_acceptances a JOIN terms_documents d ON d.tenant_id = a.tenant_id AND d.id = a.document_id
		WHERE a.tenant_id = ? AND a.user_id = ? ORDER BY a.accepted_at, d.seq`, tenantID, userID)
	out, err := store.Collect(rows, err,
		func(r store.Scanner) (Acceptance, error) {
			var a Acceptance
			err := r.Scan(&a.DocumentID, &a.Kind, &a.Version, &a.UserID, &a.AcceptedAt)
			return a, err
		})
	if err != nil {
		return nil, fmt.Errorf("terms: acceptances: %w", err)
	}
	return out, nil
}

// ForgetUser deletes the acceptances of a user of the tenant. Call it
// when the user is erased, in the same transaction; the pseudonymous
// events stay.
func (s *Service) ForgetUser(ctx context.Context, tx store.Tx, tenantID, userID string) error {
	if _, err := tx.Exec(ctx, `DELETE FROM terms_acceptances WHERE tenant_id = ? AND user_id = ?`, tenantID, userID); err != nil {
		return fmt.Errorf("terms: forget user: %w", err)
	}
	return nil
}

// ForgetTenant deletes every document of the tenant and every acceptance
// of its users. Call it when the tenant is deleted, in the same
// transaction.
func (s *Service) ForgetTenant(ctx context.Context, tx store.Tx, tenantID string) error {
	for _, q := range []string{
		`DELETE FROM terms_acceptances WHERE tenant_id = ?`,
		`DELETE FROM terms_documents WHERE tenant_id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, tenantID); err != nil {
			return fmt.Errorf("terms: forget tenant: %w", err)
		}
	}
	return nil
}
