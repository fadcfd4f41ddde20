package branding

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/themes"
)

// PublishInput says how to publish a draft.
type PublishInput struct {
	// OverrideContrast publishes even when the draft fails the contrast
	// check; Reason is then required, and recorded on the version with By
	// when the check did fail.
	OverrideContrast bool
	// Reason says why the failing pairs are acceptable: 1 to MaxReason
	// bytes of printable text.
	Reason string
	// By names who overrides, for the record ("mgmt_token:tok_…").
	By string
}

// ContrastError is a publish refused because colour pairs fail WCAG 2.2
// AA; it wraps ErrContrast.
type ContrastError struct {
	// Failures are the failing pairs, the base tokens' first, then each
	// locale's.
	Failures []themes.Finding
}

func (e *ContrastError) Error() string {
	return "branding: publish refused: " + themes.FailureError(e.Failures).Error()
}

// Unwrap returns ErrContrast.
func (e *ContrastError) Unwrap() error { return ErrContrast }

// Publish makes the scope's draft its live version, the previous live one
// retired, and bumps the tenant's generation, all in tx.
//
// The draft is resolved along the scope's chain (instance, tenant, and
// the brand or app itself, each other level as live) and every colour
// pair is checked against WCAG 2.2 AA, for the base tokens and for every
// locale a level overrides (themes.CheckLayers). A failing pair refuses
// the publish with a *ContrastError, unless in.OverrideContrast is set
// with a reason; the reason and in.By are then recorded on the version.
// A reason is required whenever OverrideContrast is set, even if nothing
// fails (nothing is recorded then). Without a draft it returns
// ErrNoDraft. A refused publish changes nothing.
func (s *Service) Publish(ctx context.Context, tx store.Tx, tenantID, scopeID string, in PublishInput) (Version, error) {
	sc, err := s.scope(ctx, tx, tenantID, scopeID)
	if err != nil {
		return Version{}, err
	}
	reason := strings.TrimSpace(in.Reason)
	if in.OverrideContrast {
		if err := checkReason(reason); err != nil {
			return Version{}, err
		}
	}
	v, err := s.draft(ctx, tx, sc)
	if err != nil {
		return Version{}, err
	}
	layers, err := s.layers(ctx, tx, tenantID, sc.chain(), map[string]themes.Document{sc.id: v.Document})
	if err != nil {
		return Version{}, err
	}
	var overrideReason, overrideBy any
	if bad := themes.Failures(themes.CheckLayers(layers...)); len(bad) > 0 {
		if !in.OverrideContrast {
			return Version{}, &ContrastError{Failures: bad}
		}
		v.OverrideReason, v.OverrideBy = reason, in.By
		overrideReason, overrideBy = reason, nullIf(in.By == "", in.By)
		s.log.InfoContext(ctx, "branding: contrast check overridden", "tenant_id", tenantID, "scope_id", sc.id,
			"number", v.Number, "failures", len(bad), "by", in.By)
	}
	now := s.now()
	if err := s.retireLive(ctx, tx, sc, now); err != nil {
		return Version{}, err
	}
	_, err = tx.Exec(ctx, `UPDATE theme_versions SET state = ?, published_at = ?, updated_at = ?,
		contrast_override_reason = ?, contrast_override_by = ? WHERE id = ?`,
		StatePublished, now, now, overrideReason, overrideBy, v.ID)
	if err != nil {
		return Version{}, fmt.Errorf("branding: publish: %w", err)
	}
	if err := s.goLive(ctx, tx, sc, v, now); err != nil {
		return Version{}, err
	}
	v.State, v.Live, v.UpdatedAt, v.PublishedAt = StatePublished, true, now, &now
	return v, nil
}

// checkReason checks the reason of a contrast override.
func checkReason(reason string) error {
	switch {
	case reason == "":
		return invalid.Field("reason", "is required to override the contrast check")
	case len(reason) > MaxReason:
		return invalid.Field("reason", "must be at most %d bytes", MaxReason)
	case !utf8.ValidString(reason) || strings.ContainsFunc(reason, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return invalid.Field("reason", "must be printable text")
	}
	return nil
}

// Rollback makes version number of the scope live again: an earlier (or,
// after a rollback, later) version that was published. The live version
// is retired and the tenant's generation bumped. The draft, if any, stays
// as it is. The contrast check is not run again: a rollback is the way
// back from a bad publish and must not be blocked. Rolling back to the
// draft or to the live version is refused (*invalid.Error naming
// "number"; the latter also wraps store.ErrConflict).
func (s *Service) Rollback(ctx context.Context, tx store.Tx, tenantID, scopeID string, number int) (Version, error) {
	sc, err := s.scope(ctx, tx, tenantID, scopeID)
	if err != nil {
		return Version{}, err
	}
	v, err := s.version(ctx, tx, sc, number)
	if err != nil {
		return Version{}, err
	}
	switch v.State {
	case StateDraft:
		return Version{}, invalid.Field("number", "version %d is the draft, never published: publish it instead", number)
	case StatePublished:
		return Version{}, fmt.Errorf("%w: %w", store.ErrConflict, invalid.Field("number", "version %d is already live", number))
	}
	now := s.now()
	if err := s.retireLive(ctx, tx, sc, now); err != nil {
		return Version{}, err
	}
	if _, err := tx.Exec(ctx, `UPDATE theme_versions SET state = ?, published_at = ?, updated_at = ? WHERE id = ?`,
		StatePublished, now, now, v.ID); err != nil {
		return Version{}, fmt.Errorf("branding: rollback: %w", err)
	}
	if err := s.goLive(ctx, tx, sc, v, now); err != nil {
		return Version{}, err
	}
	v.State, v.Live, v.UpdatedAt, v.PublishedAt = StatePublished, true, now, &now
	return v, nil
}

// Live returns the scope's live version; store.ErrNotFound when nothing
// was published.
func (s *Service) Live(ctx context.Context, tx store.Tx, tenantID, scopeID string) (Version, error) {
	sc, err := s.scope(ctx, tx, tenantID, scopeID)
	if err != nil {
		return Version{}, err
	}
	var number int
	err = tx.QueryRow(ctx, `SELECT number FROM theme_live WHERE tenant_id = ? AND scope_id = ?`, tenantID, sc.id).Scan(&number)
	if err != nil {
		return Version{}, fmt.Errorf("branding: live version of %q: %w", sc.id, err)
	}
	return s.version(ctx, tx, sc, number)
}

// retireLive retires the scope's live version, if any.
func (s *Service) retireLive(ctx context.Context, tx store.Tx, sc scope, now time.Time) error {
	_, err := tx.Exec(ctx, `UPDATE theme_versions SET state = ?, updated_at = ? WHERE tenant_id = ? AND scope_id = ? AND state = ?`,
		StateRetired, now, sc.tenantID, sc.id, StatePublished)
	if err != nil {
		return fmt.Errorf("branding: retire live version: %w", err)
	}
	return nil
}

// goLive points the scope's live row at v and bumps the tenant's
// generation, so every node's cache drops what it resolved before.
func (s *Service) goLive(ctx context.Context, tx store.Tx, sc scope, v Version, now time.Time) error {
	_, err := tx.Exec(ctx, `INSERT INTO theme_live (scope_id, tenant_id, brand_id, app_id, version_id, number, published_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (scope_id) DO UPDATE SET version_id = excluded.version_id, number = excluded.number, published_at = excluded.published_at`,
		sc.id, sc.tenantID, sc.brandID(), sc.appID(), v.ID, v.Number, now)
	if err != nil {
		return fmt.Errorf("branding: set live version: %w", err)
	}
	return s.bump(ctx, tx, sc.tenantID)
}

// bump increments the tenant's generation.
func (s *Service) bump(ctx context.Context, tx store.Tx, tenantID string) error {
	_, err := tx.Exec(ctx, `INSERT INTO theme_generations (tenant_id, generation) VALUES (?, 1)
		ON CONFLICT (tenant_id) DO UPDATE SET generation = theme_generations.generation + 1`, tenantID)
	if err != nil {
		return fmt.Errorf("branding: bump generation: %w", err)
	}
	return nil
}
