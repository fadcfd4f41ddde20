package authserver

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// ScopeInput describes a new scope of a server.
type ScopeInput struct {
	Name, Description string
	Kinds, Implies    []string
	Consent, Default  bool
	Clients           []string
}

// ScopePatch changes a scope; nil fields stay as they are. A system
// scope keeps its name; any other scope may be renamed while no scope
// implies it and no rule or claim names it. The whole resulting scope is
// validated again.
type ScopePatch struct {
	Name, Description       *string
	Kinds, Implies, Clients *[]string
	Consent, Default        *bool
}

const scopeCols = `id, server_id, name, description, kinds, implies, consent, is_default, clients, system, created_at, updated_at`

func scanScope(r scanner) (Scope, error) {
	var v Scope
	var kinds, implies, clients []byte
	err := r.Scan(&v.ID, &v.ServerID, &v.Name, &v.Description, &kinds, &implies, &v.Consent, &v.Default,
		&clients, &v.System, &v.CreatedAt, &v.UpdatedAt)
	if err != nil {
		return Scope{}, err
	}
	return v, errors.Join(store.ParseJSONList(kinds, &v.Kinds), store.ParseJSONList(implies, &v.Implies), store.ParseJSONList(clients, &v.Clients))
}

func insertScope(ctx context.Context, tx store.Tx, tenantID string, sc Scope) error {
	_, err := tx.Exec(ctx, `INSERT INTO auth_scopes (`+scopeCols+`, tenant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		sc.ID, sc.ServerID, sc.Name, sc.Description, store.JSONList(sc.Kinds), store.JSONList(sc.Implies), sc.Consent, sc.Default,
		store.JSONList(sc.Clients), sc.System, sc.CreatedAt, sc.UpdatedAt, tenantID)
	return nameConflict(err, "a scope", sc.Name)
}

// CreateScope creates a scope of a server of a tenant. Besides the checks
// of its fields, the server's worst-case token must still fit its
// MaxTokenBytes with the new scope name in the scope claim.
func (s *Service) CreateScope(ctx context.Context, tx store.Tx, tenantID, serverID string, in ScopeInput) (Scope, error) {
	srv, err := s.Server(ctx, tx, tenantID, serverID)
	if err != nil {
		return Scope{}, err
	}
	all, err := s.scopesOf(ctx, tx, tenantID, srv.ID)
	if err != nil {
		return Scope{}, err
	}
	now := s.now()
	sc := Scope{ID: ident.New("scp", now), ServerID: srv.ID, Name: in.Name, Description: in.Description,
		Kinds: in.Kinds, Implies: in.Implies, Consent: in.Consent, Default: in.Default, Clients: in.Clients,
		CreatedAt: now, UpdatedAt: now}
	if err := checkScope(srv, all, &sc, nil); err != nil {
		return Scope{}, err
	}
	if err := changed(ctx, tx, srv.ID); err != nil {
		return Scope{}, err
	}
	if err := insertScope(ctx, tx, tenantID, sc); err != nil {
		return Scope{}, err
	}
	if err := s.checkTokenBudget(ctx, tx, srv); err != nil {
		// Refused input writes nothing: take the row back out.
		_, derr := tx.Exec(ctx, `DELETE FROM auth_scopes WHERE id = ?`, sc.ID)
		return Scope{}, errors.Join(err, derr)
	}
	return sc, nil
}

// Scope returns a scope of a server of a tenant by ID; one of another
// server or tenant is ErrNotFound.
func (s *Service) Scope(ctx context.Context, tx store.Tx, tenantID, serverID, id string) (Scope, error) {
	v, err := scanScope(tx.QueryRow(ctx, `SELECT `+scopeCols+` FROM auth_scopes WHERE id = ? AND server_id = ? AND tenant_id = ?`,
		id, serverID, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Scope{}, notFound("scope", id)
	}
	return v, err
}

// Scopes lists the scopes of a server of a tenant, sorted by name (byte
// order).
func (s *Service) Scopes(ctx context.Context, tx store.Tx, tenantID, serverID string) ([]Scope, error) {
	if _, err := s.Server(ctx, tx, tenantID, serverID); err != nil {
		return nil, err
	}
	return s.scopesOf(ctx, tx, tenantID, serverID)
}

// scopesOf lists the scopes of a server known to belong to the tenant.
func (s *Service) scopesOf(ctx context.Context, tx store.Tx, tenantID, serverID string) ([]Scope, error) {
	rows, err := tx.Query(ctx, `SELECT `+scopeCols+` FROM auth_scopes WHERE server_id = ? AND tenant_id = ?`, serverID, tenantID)
	list, err := store.Collect(rows, err, scanScope)
	slices.SortFunc(list, func(a, b Scope) int { return strings.Compare(a.Name, b.Name) })
	return list, err
}

// UpdateScope changes a scope of a server of a tenant. The implication graph of the
// server is checked whole after the change: a change that would make a
// cycle is refused with its path. A rename must fit the server's token
// budget as a new scope does.
func (s *Service) UpdateScope(ctx context.Context, tx store.Tx, tenantID, serverID, id string, p ScopePatch) (Scope, error) {
	old, err := s.Scope(ctx, tx, tenantID, serverID, id)
	if err != nil {
		return Scope{}, err
	}
	srv, err := s.Server(ctx, tx, tenantID, old.ServerID)
	if err != nil {
		return Scope{}, err
	}
	all, err := s.scopesOf(ctx, tx, tenantID, srv.ID)
	if err != nil {
		return Scope{}, err
	}
	sc := old
	set(&sc.Name, p.Name)
	set(&sc.Description, p.Description)
	set(&sc.Kinds, p.Kinds)
	set(&sc.Implies, p.Implies)
	set(&sc.Clients, p.Clients)
	set(&sc.Consent, p.Consent)
	set(&sc.Default, p.Default)
	if err := checkScope(srv, all, &sc, &old); err != nil {
		return Scope{}, err
	}
	if sc.Name != old.Name {
		if err := s.checkUnused(ctx, tx, tenantID, old, all); err != nil {
			return Scope{}, err
		}
	}
	sc.UpdatedAt = s.now()
	if err := changed(ctx, tx, srv.ID); err != nil {
		return Scope{}, err
	}
	if err := updateScope(ctx, tx, sc); err != nil {
		return Scope{}, err
	}
	if sc.Name != old.Name {
		if err := s.checkTokenBudget(ctx, tx, srv); err != nil {
			return Scope{}, errors.Join(err, updateScope(ctx, tx, old))
		}
	}
	return sc, nil
}

func updateScope(ctx context.Context, tx store.Tx, sc Scope) error {
	_, err := tx.Exec(ctx, `UPDATE auth_scopes SET name = ?, description = ?, kinds = ?, implies = ?, consent = ?,
		is_default = ?, clients = ?, updated_at = ? WHERE id = ?`,
		sc.Name, sc.Description, store.JSONList(sc.Kinds), store.JSONList(sc.Implies), sc.Consent, sc.Default,
		store.JSONList(sc.Clients), sc.UpdatedAt, sc.ID)
	return nameConflict(err, "a scope", sc.Name)
}

// DeleteScope deletes a scope of a server of a tenant. A system scope is refused with
// ErrBuiltIn; a scope that another scope implies, or that a rule or claim
// names, is refused with ErrInUse naming every one that uses it.
func (s *Service) DeleteScope(ctx context.Context, tx store.Tx, tenantID, serverID, id string) error {
	sc, err := s.Scope(ctx, tx, tenantID, serverID, id)
	if err != nil {
		return err
	}
	if sc.System {
		return refused(ErrBuiltIn, "name", "%q is a system scope and cannot be deleted", sc.Name)
	}
	all, err := s.scopesOf(ctx, tx, tenantID, sc.ServerID)
	if err != nil {
		return err
	}
	if err := s.checkUnused(ctx, tx, tenantID, sc, all); err != nil {
		return err
	}
	if err := changed(ctx, tx, sc.ServerID); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM auth_scopes WHERE id = ?`, sc.ID)
	return err
}

// checkUnused refuses with ErrInUse when a scope of all implies sc, or a
// rule or claim of its server names it.
func (s *Service) checkUnused(ctx context.Context, tx store.Tx, tenantID string, sc Scope, all []Scope) error {
	var users []string
	for _, o := range all {
		if o.ID != sc.ID && slices.Contains(o.Implies, sc.Name) {
			users = append(users, fmt.Sprintf("scope %q implies it", o.Name))
		}
	}
	rules, err := s.serverRules(ctx, tx, tenantID, sc.ServerID)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if slices.Contains(r.rule.Scopes, sc.Name) {
			users = append(users, fmt.Sprintf("rule %q of policy %q allows it", r.rule.Name, r.policy))
		}
	}
	rows, err := tx.Query(ctx, `SELECT name, scopes FROM auth_claims WHERE server_id = ? AND tenant_id = ?`, sc.ServerID, tenantID)
	claims, err := store.Collect(rows, err, func(r scanner) (Claim, error) {
		var c Claim
		var b []byte
		if err := r.Scan(&c.Name, &b); err != nil {
			return c, err
		}
		return c, store.ParseJSONList(b, &c.Scopes)
	})
	if err != nil {
		return err
	}
	for _, c := range claims {
		if slices.Contains(c.Scopes, sc.Name) {
			users = append(users, fmt.Sprintf("claim %q is included with it", c.Name))
		}
	}
	if len(users) == 0 {
		return nil
	}
	slices.Sort(users)
	return refused(ErrInUse, "name", "scope %q is in use: %s", sc.Name, strings.Join(users, "; "))
}

// checkScope checks a scope about to be created (old nil) or changed,
// against the other scopes of its server (all, as stored), and fills in
// non-nil lists. All problems are reported at once; a duplicate name
// wraps store.ErrConflict.
func checkScope(srv Server, all []Scope, sc *Scope, old *Scope) error {
	var errs []error
	renamed := old == nil || old.Name != sc.Name
	switch {
	case !renamed:
	case old != nil && old.System:
		errs = append(errs, refused(ErrBuiltIn, "name", "%q is a system scope and cannot be renamed", old.Name))
	case !isScopeToken(sc.Name):
		errs = append(errs, invalid.Field("name", "must be 1–%d characters, printable ASCII without spaces, '\"' or '\\'", MaxScopeNameLen))
	case slices.Contains(SystemScopeNames, sc.Name):
		errs = append(errs, invalid.Field("name", "%q is the name of a system scope", sc.Name))
	default:
		if re, err := compilePattern(srv.ScopePattern); err == nil && re != nil && !re.MatchString(sc.Name) {
			errs = append(errs, invalid.Field("name", "must match the server's scope pattern %s", srv.ScopePattern))
		}
	}
	var err error
	sc.Description, err = checkDescription(sc.Description)
	errs = append(errs, err, checkKinds(sc.Kinds))
	sc.Implies, err = checkImplies(all, *sc)
	errs = append(errs, err)
	sc.Clients, err = checkIDs("clients", sc.Clients, MaxClients)
	errs = append(errs, err)
	if slices.Contains(sc.Clients, AllClients) {
		errs = append(errs, invalid.Field("clients", "leave it empty to allow every client, rather than %q", AllClients))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, o := range all {
		if o.Name == sc.Name && o.ID != sc.ID {
			return conflict("name", "a scope named %q already exists", sc.Name)
		}
	}
	return nil
}

// checkKinds checks a scope's grant kinds: a non-empty set of
// KindDelegated and KindMachine.
func checkKinds(kinds []string) error {
	if len(kinds) == 0 {
		return invalid.Field("kinds", "must name %q, %q or both", KindDelegated, KindMachine)
	}
	var errs []error
	for i, k := range kinds {
		f := fmt.Sprintf("kinds[%d]", i)
		switch {
		case k != KindDelegated && k != KindMachine:
			errs = append(errs, invalid.Field(f, "must be %q or %q", KindDelegated, KindMachine))
		case slices.Index(kinds, k) < i:
			errs = append(errs, invalid.Field(f, "%q appears twice", k))
		}
	}
	return errors.Join(errs...)
}
