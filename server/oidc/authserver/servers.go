package authserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

// ServerInput describes a new server. An empty IssuerMode is
// IssuerDynamic; a zero MaxTokenBytes is DefaultMaxTokenBytes. A new
// server is active unless Inactive is set.
type ServerInput struct {
	Name, Description string
	Audiences         []string
	IssuerMode        IssuerMode
	IssuerHost        string
	ScopePattern      string
	MaxTokenBytes     int
	Inactive          bool
}

// ServerPatch changes a server; nil fields stay as they are. The name
// cannot change: it is the issuer's path, which resource servers pin. The
// whole resulting server is validated again.
type ServerPatch struct {
	Description   *string
	Audiences     *[]string
	IssuerMode    *IssuerMode
	IssuerHost    *string
	ScopePattern  *string
	MaxTokenBytes *int
	Active        *bool
}

const serverCols = `id, tenant_id, name, description, audiences, issuer_mode, issuer_host, scope_pattern,
	max_token_bytes, active, created_at, updated_at`

func scanServer(r scanner) (Server, error) {
	var v Server
	var aud []byte
	err := r.Scan(&v.ID, &v.TenantID, &v.Name, &v.Description, &aud, &v.IssuerMode, &v.IssuerHost,
		&v.ScopePattern, &v.MaxTokenBytes, &v.Active, &v.CreatedAt, &v.UpdatedAt)
	if err != nil {
		return Server{}, err
	}
	return v, store.ParseJSONList(aud, &v.Audiences)
}

// CreateServer creates a server of a tenant with the system scopes and no
// access policy: a new server refuses every token request until an admin
// adds a policy with a rule that allows it. Its worst-case token (the
// system scopes in the scope claim) must fit MaxTokenBytes.
func (s *Service) CreateServer(ctx context.Context, tx store.Tx, tenantID string, in ServerInput) (Server, error) {
	now := s.now()
	srv := Server{ID: ident.New("aus", now), TenantID: tenantID, Name: in.Name, Description: in.Description,
		Audiences: in.Audiences, IssuerMode: in.IssuerMode, IssuerHost: in.IssuerHost, ScopePattern: in.ScopePattern,
		MaxTokenBytes: in.MaxTokenBytes, Active: !in.Inactive, CreatedAt: now, UpdatedAt: now}
	err := errors.Join(checkServerName(in.Name), checkServer(&srv))
	if err == nil {
		err = s.checkIssuerHost(ctx, tx, srv)
	}
	if err != nil {
		return Server{}, err
	}
	if err := s.insertServer(ctx, tx, srv); err != nil {
		return Server{}, err
	}
	// The system scopes alone must fit the token budget; refused input
	// writes nothing, so take the rows back out.
	if err := s.checkTokenBudget(ctx, tx, srv); err != nil {
		return Server{}, errors.Join(err, purgeServer(ctx, tx, srv.ID))
	}
	return srv, nil
}

// insertServer writes a new server and its system scopes.
func (s *Service) insertServer(ctx context.Context, tx store.Tx, srv Server) error {
	if taken, err := exists(ctx, tx, `SELECT COUNT(*) FROM auth_servers WHERE tenant_id = ? AND name = ?`,
		srv.TenantID, srv.Name); err != nil || taken {
		return errors.Join(err, conflictIf(taken, "a server", srv.Name))
	}
	_, err := tx.Exec(ctx, `INSERT INTO auth_servers (`+serverCols+`, config_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		srv.ID, srv.TenantID, srv.Name, srv.Description, store.JSONList(srv.Audiences), string(srv.IssuerMode),
		srv.IssuerHost, srv.ScopePattern, srv.MaxTokenBytes, srv.Active, srv.CreatedAt, srv.UpdatedAt, newConfigVersion())
	if err != nil {
		return nameConflict(err, "a server", srv.Name)
	}
	for _, sc := range systemScopes() {
		sc.ID, sc.ServerID, sc.CreatedAt, sc.UpdatedAt = ident.New("scp", srv.CreatedAt), srv.ID, srv.CreatedAt, srv.CreatedAt
		if err := insertScope(ctx, tx, srv.TenantID, sc); err != nil {
			return fmt.Errorf("authserver: system scope %s: %w", sc.Name, err)
		}
	}
	return nil
}

// conflictIf is a name conflict when taken, else nil.
func conflictIf(taken bool, what, name string) error {
	if !taken {
		return nil
	}
	return conflict("name", "%s named %q already exists", what, name)
}

// Server returns a server of a tenant; one of another tenant is
// ErrNotFound.
func (s *Service) Server(ctx context.Context, tx store.Tx, tenantID, id string) (Server, error) {
	v, err := scanServer(tx.QueryRow(ctx, `SELECT `+serverCols+` FROM auth_servers WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Server{}, notFound("authorization server", id)
	}
	return v, err
}

// ServerByName returns the server of a tenant with this name. For
// DefaultServer it calls EnsureDefault, so it writes on the tenant's first
// use and then needs a read-write transaction.
func (s *Service) ServerByName(ctx context.Context, tx store.Tx, tenantID, name string) (Server, error) {
	if name == DefaultServer {
		return s.EnsureDefault(ctx, tx, tenantID)
	}
	return s.serverByName(ctx, tx, tenantID, name)
}

func (s *Service) serverByName(ctx context.Context, tx store.Tx, tenantID, name string) (Server, error) {
	v, err := scanServer(tx.QueryRow(ctx, `SELECT `+serverCols+` FROM auth_servers WHERE tenant_id = ? AND name = ?`, tenantID, name))
	if errors.Is(err, store.ErrNotFound) {
		return Server{}, notFound("authorization server", name)
	}
	return v, err
}

// ListServers lists a tenant's servers by name. It never writes: the
// default server is listed once it exists (EnsureDefault).
func (s *Service) ListServers(ctx context.Context, tx store.Tx, tenantID string) ([]Server, error) {
	rows, err := tx.Query(ctx, `SELECT `+serverCols+` FROM auth_servers WHERE tenant_id = ?`, tenantID)
	list, err := store.Collect(rows, err, scanServer)
	slices.SortFunc(list, func(a, b Server) int { return strings.Compare(a.Name, b.Name) })
	return list, err
}

// UpdateServer changes a server of a tenant. A new ScopePattern must match
// every non-system scope of the server (the first that does not is named);
// a new MaxTokenBytes must hold the server's worst-case token. The default
// server cannot be deactivated (ErrBuiltIn).
func (s *Service) UpdateServer(ctx context.Context, tx store.Tx, tenantID, id string, p ServerPatch) (Server, error) {
	old, err := s.Server(ctx, tx, tenantID, id)
	if err != nil {
		return Server{}, err
	}
	srv := old
	set(&srv.Description, p.Description)
	set(&srv.Audiences, p.Audiences)
	set(&srv.IssuerMode, p.IssuerMode)
	set(&srv.IssuerHost, p.IssuerHost)
	set(&srv.ScopePattern, p.ScopePattern)
	set(&srv.MaxTokenBytes, p.MaxTokenBytes)
	set(&srv.Active, p.Active)
	err = checkServer(&srv)
	if srv.Name == DefaultServer && !srv.Active {
		err = errors.Join(err, refused(ErrBuiltIn, "active", "the default server cannot be deactivated"))
	}
	if err == nil && (srv.IssuerMode != old.IssuerMode || srv.IssuerHost != old.IssuerHost) {
		err = s.checkIssuerHost(ctx, tx, srv)
	}
	if err == nil && srv.ScopePattern != old.ScopePattern {
		err = s.checkPatternFits(ctx, tx, srv)
	}
	if err == nil && srv.MaxTokenBytes != old.MaxTokenBytes {
		err = s.checkTokenBudget(ctx, tx, srv)
	}
	if err != nil {
		return Server{}, err
	}
	srv.UpdatedAt = s.now()
	_, err = tx.Exec(ctx, `UPDATE auth_servers SET description = ?, audiences = ?, issuer_mode = ?, issuer_host = ?,
		scope_pattern = ?, max_token_bytes = ?, active = ?, updated_at = ?, config_version = ? WHERE id = ?`,
		srv.Description, store.JSONList(srv.Audiences), string(srv.IssuerMode), srv.IssuerHost, srv.ScopePattern,
		srv.MaxTokenBytes, srv.Active, srv.UpdatedAt, newConfigVersion(), srv.ID)
	if err != nil {
		return Server{}, err
	}
	return srv, nil
}

// DeleteServer deletes a server of a tenant with its scopes, claims,
// policies and rules. The default server cannot be deleted (ErrBuiltIn).
func (s *Service) DeleteServer(ctx context.Context, tx store.Tx, tenantID, id string) error {
	srv, err := s.Server(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	if srv.Name == DefaultServer {
		return refused(ErrBuiltIn, "name", "the default server cannot be deleted")
	}
	return purgeServer(ctx, tx, srv.ID)
}

// purgeServer deletes a server and everything it holds.
func purgeServer(ctx context.Context, tx store.Tx, id string) error {
	for _, q := range []string{
		`DELETE FROM auth_policy_rules WHERE server_id = ?`,
		`DELETE FROM auth_policies WHERE server_id = ?`,
		`DELETE FROM auth_claims WHERE server_id = ?`,
		`DELETE FROM auth_scopes WHERE server_id = ?`,
		`DELETE FROM auth_servers WHERE id = ?`,
	} {
		if _, err := tx.Exec(ctx, q, id); err != nil {
			return err
		}
	}
	return nil
}
