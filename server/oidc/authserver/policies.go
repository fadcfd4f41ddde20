package authserver

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// PolicyInput describes a new access policy of a server. A new policy is
// active unless Inactive is set.
type PolicyInput struct {
	Name, Description string
	Priority          int
	Clients           []string
	Inactive          bool
}

// PolicyPatch changes a policy; nil fields stay as they are. The whole
// resulting policy is validated again.
type PolicyPatch struct {
	Name, Description *string
	Priority          *int
	Clients           *[]string
	Active            *bool
}

const policyCols = `id, server_id, name, description, priority, clients, active, created_at, updated_at`

func scanPolicy(r scanner) (Policy, error) {
	var v Policy
	var clients []byte
	err := r.Scan(&v.ID, &v.ServerID, &v.Name, &v.Description, &v.Priority, &clients, &v.Active, &v.CreatedAt, &v.UpdatedAt)
	if err != nil {
		return Policy{}, err
	}
	return v, store.ParseJSONList(clients, &v.Clients)
}

func insertPolicy(ctx context.Context, tx store.Tx, tenantID string, p Policy) error {
	_, err := tx.Exec(ctx, `INSERT INTO auth_policies (`+policyCols+`, tenant_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.ServerID, p.Name, p.Description, p.Priority, store.JSONList(p.Clients), p.Active, p.CreatedAt, p.UpdatedAt, tenantID)
	return nameConflict(err, "a policy", p.Name)
}

// byPriority orders policies and rules by priority, then name (byte
// order), then ID.
func byPriority(pa, pb int, na, nb, ia, ib string) int {
	return cmp.Or(cmp.Compare(pa, pb), strings.Compare(na, nb), strings.Compare(ia, ib))
}

func sortPolicies(list []Policy) {
	slices.SortFunc(list, func(a, b Policy) int { return byPriority(a.Priority, b.Priority, a.Name, b.Name, a.ID, b.ID) })
}

// CreatePolicy creates an access policy of a server of a tenant.
func (s *Service) CreatePolicy(ctx context.Context, tx store.Tx, tenantID, serverID string, in PolicyInput) (Policy, error) {
	srv, err := s.Server(ctx, tx, tenantID, serverID)
	if err != nil {
		return Policy{}, err
	}
	now := s.now()
	p := Policy{ID: ident.New("pol", now), ServerID: srv.ID, Name: in.Name, Description: in.Description,
		Priority: in.Priority, Clients: in.Clients, Active: !in.Inactive, CreatedAt: now, UpdatedAt: now}
	if err := s.checkPolicy(ctx, tx, tenantID, &p); err != nil {
		return Policy{}, err
	}
	if err := changed(ctx, tx, srv.ID); err != nil {
		return Policy{}, err
	}
	if err := insertPolicy(ctx, tx, tenantID, p); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// Policy returns a policy of a server of a tenant by ID; one of another
// server or tenant is ErrNotFound.
func (s *Service) Policy(ctx context.Context, tx store.Tx, tenantID, serverID, id string) (Policy, error) {
	v, err := scanPolicy(tx.QueryRow(ctx, `SELECT `+policyCols+` FROM auth_policies WHERE id = ? AND server_id = ? AND tenant_id = ?`,
		id, serverID, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Policy{}, notFound("policy", id)
	}
	return v, err
}

// policyOf returns a policy of a tenant by ID, whatever its server.
func (s *Service) policyOf(ctx context.Context, tx store.Tx, tenantID, id string) (Policy, error) {
	v, err := scanPolicy(tx.QueryRow(ctx, `SELECT `+policyCols+` FROM auth_policies WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return Policy{}, notFound("policy", id)
	}
	return v, err
}

// Policies lists the policies of a server of a tenant, active or not, by
// priority then name.
func (s *Service) Policies(ctx context.Context, tx store.Tx, tenantID, serverID string) ([]Policy, error) {
	if _, err := s.Server(ctx, tx, tenantID, serverID); err != nil {
		return nil, err
	}
	return s.policiesOf(ctx, tx, tenantID, serverID, false)
}

func (s *Service) policiesOf(ctx context.Context, tx store.Tx, tenantID, serverID string, activeOnly bool) ([]Policy, error) {
	q := `SELECT ` + policyCols + ` FROM auth_policies WHERE server_id = ? AND tenant_id = ?`
	if activeOnly {
		q += ` AND active = TRUE`
	}
	rows, err := tx.Query(ctx, q, serverID, tenantID)
	list, err := store.Collect(rows, err, scanPolicy)
	sortPolicies(list)
	return list, err
}

// UpdatePolicy changes a policy of a server of a tenant.
func (s *Service) UpdatePolicy(ctx context.Context, tx store.Tx, tenantID, serverID, id string, patch PolicyPatch) (Policy, error) {
	p, err := s.Policy(ctx, tx, tenantID, serverID, id)
	if err != nil {
		return Policy{}, err
	}
	set(&p.Name, patch.Name)
	set(&p.Description, patch.Description)
	set(&p.Priority, patch.Priority)
	set(&p.Clients, patch.Clients)
	set(&p.Active, patch.Active)
	if err := s.checkPolicy(ctx, tx, tenantID, &p); err != nil {
		return Policy{}, err
	}
	p.UpdatedAt = s.now()
	if err := changed(ctx, tx, p.ServerID); err != nil {
		return Policy{}, err
	}
	_, err = tx.Exec(ctx, `UPDATE auth_policies SET name = ?, description = ?, priority = ?, clients = ?, active = ?,
		updated_at = ? WHERE id = ?`, p.Name, p.Description, p.Priority, store.JSONList(p.Clients), p.Active, p.UpdatedAt, p.ID)
	if err != nil {
		return Policy{}, nameConflict(err, "a policy", p.Name)
	}
	return p, nil
}

// DeletePolicy deletes a policy of a server of a tenant with its rules.
// Deleting the last policy of a server leaves it refusing every request.
func (s *Service) DeletePolicy(ctx context.Context, tx store.Tx, tenantID, serverID, id string) error {
	p, err := s.Policy(ctx, tx, tenantID, serverID, id)
	if err != nil {
		return err
	}
	if err := changed(ctx, tx, p.ServerID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM auth_policy_rules WHERE policy_id = ?`, p.ID); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM auth_policies WHERE id = ?`, p.ID)
	return err
}

// ActivePolicies returns what decides a token request to a server of a
// tenant: its active policies by priority (then name), and for each of
// them, by policy ID, its active rules by priority (then name). A policy
// without active rules has no entry in the map; the rules of inactive
// policies are left out.
func (s *Service) ActivePolicies(ctx context.Context, tx store.Tx, tenantID, serverID string) ([]Policy, map[string][]Rule, error) {
	if _, err := s.Server(ctx, tx, tenantID, serverID); err != nil {
		return nil, nil, err
	}
	return s.activePoliciesOf(ctx, tx, tenantID, serverID)
}

// activePoliciesOf is ActivePolicies of a server known to belong to the
// tenant.
func (s *Service) activePoliciesOf(ctx context.Context, tx store.Tx, tenantID, serverID string) ([]Policy, map[string][]Rule, error) {
	pols, err := s.policiesOf(ctx, tx, tenantID, serverID, true)
	if err != nil {
		return nil, nil, err
	}
	rows, err := tx.Query(ctx, `SELECT `+ruleCols+` FROM auth_policy_rules WHERE server_id = ? AND tenant_id = ? AND active = TRUE`,
		serverID, tenantID)
	rules, err := store.Collect(rows, err, scanRule)
	if err != nil {
		return nil, nil, err
	}
	sortRules(rules)
	byPolicy := map[string][]Rule{}
	for _, r := range rules {
		if slices.ContainsFunc(pols, func(p Policy) bool { return p.ID == r.PolicyID }) {
			byPolicy[r.PolicyID] = append(byPolicy[r.PolicyID], r)
		}
	}
	return pols, byPolicy, nil
}

// checkPolicy checks a policy about to be written, fills in its normal
// form, and refuses a name another policy of its server has
// (store.ErrConflict). All field problems are reported at once.
func (s *Service) checkPolicy(ctx context.Context, tx store.Tx, tenantID string, p *Policy) error {
	var errs []error
	var err error
	p.Name, err = checkName(p.Name)
	errs = append(errs, err)
	p.Description, err = checkDescription(p.Description)
	errs = append(errs, err, checkPriority(p.Priority))
	p.Clients, err = checkIDs("clients", p.Clients, MaxClients)
	errs = append(errs, err)
	switch {
	case len(p.Clients) == 0:
		errs = append(errs, invalid.Field("clients", "must list client IDs, or be [%q] for every client", AllClients))
	case len(p.Clients) > 1 && slices.Contains(p.Clients, AllClients):
		errs = append(errs, invalid.Field("clients", "%q (every client) must stand alone", AllClients))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	taken, err := exists(ctx, tx, `SELECT COUNT(*) FROM auth_policies WHERE server_id = ? AND tenant_id = ? AND name = ? AND id <> ?`,
		p.ServerID, tenantID, p.Name, p.ID)
	return errors.Join(err, conflictIf(taken, "a policy", p.Name))
}
