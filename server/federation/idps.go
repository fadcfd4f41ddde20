package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// IdPInput describes an identity provider to create, or the whole new
// state of one (UpdateIdP replaces every field).
type IdPInput struct {
	Name    string
	Kind    Kind
	Enabled bool
	Config  Config
	// Secret is the client secret (Apple: the PEM PKCS #8 key). On
	// update nil keeps the stored secret and "" clears it; on create nil
	// and "" both mean none.
	Secret *string
}

// idpSecretPurpose binds sealed IdP secrets to their use.
const idpSecretPurpose = "federation.idp-secret"

const idpCols = `id, tenant_id, name, kind, enabled, config, secret_sealed, created_at, updated_at`

// scanIdP reads an identity provider and its sealed secret.
func scanIdP(r store.Scanner) (IdP, []byte, error) {
	var p IdP
	var config, sealed []byte
	if err := r.Scan(&p.ID, &p.TenantID, &p.Name, &p.Kind, &p.Enabled, &config, &sealed, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return IdP{}, nil, err
	}
	if err := json.Unmarshal(config, &p.Config); err != nil {
		return IdP{}, nil, fmt.Errorf("federation: identity provider %s: stored config: %w", p.ID, err)
	}
	p.HasSecret = len(sealed) > 0
	return p, sealed, nil
}

// recordTime is the current time as the store reads it back.
func (s *Service) recordTime() time.Time {
	return s.d.Clock.Now().UTC().Truncate(time.Microsecond)
}

func idpBinding(tenantID, id string) secrets.Binding {
	return secrets.Binding{Tenant: tenantID, Purpose: idpSecretPurpose, Row: id}
}

// idpNotFound wraps ErrNotFound (and store.ErrNotFound, which the
// management API maps to 404) with what was looked for.
func idpNotFound(what, id string) error {
	return fmt.Errorf("%w: %w: %s %q", ErrNotFound, store.ErrNotFound, what, id)
}

// CreateIdP adds an identity provider to a tenant. Refused input is
// ErrConfig with *invalid.Error naming the fields (see Validate), also
// config.saml_initiate_app when it is not an app of the tenant; a name
// another IdP of the tenant has (ignoring case) is store.ErrConflict with
// an *invalid.Error naming "name"; an unknown tenant is ErrNotFound. The
// secret is sealed at rest, bound to the new IdP's row.
func (s *Service) CreateIdP(ctx context.Context, tx store.Tx, tenantID string, in IdPInput) (IdP, error) {
	in = in.normalize()
	if err := in.Validate(); err != nil {
		return IdP{}, err
	}
	if t, err := s.d.Tenants.Tenant(ctx, tx, tenantID); errors.Is(err, store.ErrNotFound) || err == nil && t.ID != tenantID {
		return IdP{}, idpNotFound("tenant", tenantID)
	} else if err != nil {
		return IdP{}, err
	}
	now := s.recordTime()
	p := IdP{ID: ident.New("idp", now), TenantID: tenantID, Name: in.Name, Kind: in.Kind, Enabled: in.Enabled,
		Config: in.Config, CreatedAt: now, UpdatedAt: now}
	if in.Secret != nil {
		p.Secret = *in.Secret
	}
	if err := s.checkIdPRefs(ctx, tx, p); err != nil {
		return IdP{}, err
	}
	config, sealed, err := s.encodeIdP(p)
	if err != nil {
		return IdP{}, err
	}
	_, err = tx.Exec(ctx, `INSERT INTO identity_providers (`+idpCols+`, name_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.TenantID, p.Name, string(p.Kind), p.Enabled, config, sealed, p.CreatedAt, p.UpdatedAt, foldName(p.Name))
	if err != nil {
		return IdP{}, idpNameConflict(err, p.Name)
	}
	p.HasSecret = p.Secret != ""
	return p, nil
}

// IdP returns an identity provider of a tenant with its secret opened;
// one of another tenant is ErrNotFound.
func (s *Service) IdP(ctx context.Context, tx store.Tx, tenantID, id string) (IdP, error) {
	p, sealed, err := scanIdP(tx.QueryRow(ctx, `SELECT `+idpCols+` FROM identity_providers WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return IdP{}, idpNotFound("identity provider", id)
	}
	if err != nil {
		return IdP{}, err
	}
	if err := s.openSecret(ctx, tx, &p, sealed); err != nil {
		return IdP{}, err
	}
	return p, nil
}

// openSecret sets p.Secret from its sealed form.
func (s *Service) openSecret(ctx context.Context, tx store.Tx, p *IdP, sealed []byte) error {
	if len(sealed) == 0 {
		return nil
	}
	b, err := s.d.Secrets.Open(ctx, tx, idpBinding(p.TenantID, p.ID), sealed)
	if err != nil {
		return fmt.Errorf("federation: identity provider %s: open secret: %w", p.ID, err)
	}
	p.Secret = string(b)
	return nil
}

// ListIdPs lists a tenant's identity providers by name. Their secrets
// are not opened: Secret is "", HasSecret tells whether one is stored
// (call IdP for the one that signs someone in).
func (s *Service) ListIdPs(ctx context.Context, tx store.Tx, tenantID string) ([]IdP, error) {
	rows, err := tx.Query(ctx, `SELECT `+idpCols+` FROM identity_providers WHERE tenant_id = ? ORDER BY name_fold, id`, tenantID)
	return store.Collect(rows, err, func(r store.Scanner) (IdP, error) {
		p, _, err := scanIdP(r)
		return p, err
	})
}

// UpdateIdP replaces an identity provider's name, state and settings, and
// its secret unless in.Secret is nil. The kind cannot change (ErrConfig
// naming "kind"). Errors are those of CreateIdP; an unknown IdP is
// ErrNotFound.
func (s *Service) UpdateIdP(ctx context.Context, tx store.Tx, tenantID, id string, in IdPInput) (IdP, error) {
	old, err := s.IdP(ctx, tx, tenantID, id)
	if err != nil {
		return IdP{}, err
	}
	if in.Kind != old.Kind {
		return IdP{}, fmt.Errorf("%w: %w", ErrConfig, invalid.Field("kind", "cannot change (it is %s): create another identity provider", old.Kind))
	}
	in = in.normalize()
	if in.Secret == nil {
		in.Secret = &old.Secret
	}
	if err := in.Validate(); err != nil {
		return IdP{}, err
	}
	p := IdP{ID: old.ID, TenantID: old.TenantID, Name: in.Name, Kind: old.Kind, Enabled: in.Enabled, Config: in.Config,
		Secret: *in.Secret, CreatedAt: old.CreatedAt, UpdatedAt: s.recordTime()}
	if !p.UpdatedAt.After(old.UpdatedAt) {
		// The mapping cache is keyed by UpdatedAt: every version needs
		// its own, even when the clock stands still (tests).
		p.UpdatedAt = old.UpdatedAt.Add(time.Microsecond)
	}
	if err := s.checkIdPRefs(ctx, tx, p); err != nil {
		return IdP{}, err
	}
	config, sealed, err := s.encodeIdP(p)
	if err != nil {
		return IdP{}, err
	}
	_, err = tx.Exec(ctx, `UPDATE identity_providers SET name = ?, name_fold = ?, enabled = ?, config = ?, secret_sealed = ?,
		updated_at = ? WHERE id = ? AND tenant_id = ?`, p.Name, foldName(p.Name), p.Enabled, config, sealed, p.UpdatedAt, p.ID, tenantID)
	if err != nil {
		return IdP{}, idpNameConflict(err, p.Name)
	}
	p.HasSecret = p.Secret != ""
	return p, nil
}

// DeleteIdP removes an identity provider of a tenant, and in the same
// transaction everything that names it: it is taken out of every routing
// rule (a rule left with none is deleted), the accounts linked through it
// are unlinked (nobody can sign in through it any more, and IDs are never
// reused, so the links could only mislead: listing a person's identities,
// or a new IdP on the same upstream linking afresh), and its SAML replay
// cache is dropped. An unknown IdP is ErrNotFound.
func (s *Service) DeleteIdP(ctx context.Context, tx store.Tx, tenantID, id string) error {
	n, err := tx.Exec(ctx, `DELETE FROM identity_providers WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if err != nil {
		return fmt.Errorf("federation: delete identity provider: %w", err)
	}
	if n == 0 {
		return idpNotFound("identity provider", id)
	}
	if err := s.dropIdPFromRules(ctx, tx, tenantID, id); err != nil {
		return err
	}
	for _, q := range []string{
		`DELETE FROM linked_identities WHERE tenant_id = ? AND idp_id = ?`,
		`DELETE FROM saml_assertions_seen WHERE tenant_id = ? AND idp_id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, tenantID, id); err != nil {
			return fmt.Errorf("federation: delete identity provider: %w", err)
		}
	}
	return nil
}

// checkIdPRefs checks what the settings name in the store: the app of
// IdP-initiated SAML sign-ins, and that the name is free.
func (s *Service) checkIdPRefs(ctx context.Context, tx store.Tx, p IdP) error {
	if app := p.Config.SAMLInitiateApp; app != "" {
		if _, err := s.d.Tenants.App(ctx, tx, p.TenantID, app); errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("%w: %w", ErrConfig, invalid.Field("config.saml_initiate_app", "is not an app of the tenant"))
		} else if err != nil {
			return err
		}
	}
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM identity_providers WHERE tenant_id = ? AND name_fold = ? AND id <> ?`,
		p.TenantID, foldName(p.Name), p.ID).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return idpNameConflict(store.ErrConflict, p.Name)
	}
	return nil
}

// encodeIdP returns the stored forms of p's config and secret.
func (s *Service) encodeIdP(p IdP) (config string, sealed []byte, err error) {
	b, err := json.Marshal(p.Config)
	if err != nil {
		return "", nil, fmt.Errorf("federation: encode config: %w", err)
	}
	sealed = []byte{}
	if p.Secret != "" {
		if sealed, err = s.d.Secrets.Seal(idpBinding(p.TenantID, p.ID), []byte(p.Secret)); err != nil {
			return "", nil, fmt.Errorf("federation: seal secret: %w", err)
		}
	}
	return string(b), sealed, nil
}

// foldName is the form of a name compared for uniqueness.
func foldName(name string) string { return strings.ToLower(name) }

// idpNameConflict turns a unique violation into a field error on name.
func idpNameConflict(err error, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", err, invalid.Field("name", "an identity provider named %q already exists", name))
	}
	return err
}
