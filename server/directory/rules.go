package directory

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// RuleStatus says whether a group rule is evaluated.
type RuleStatus string

// The statuses of a group rule.
const (
	// RuleActive rules are evaluated by ApplyRules.
	RuleActive RuleStatus = "active"
	// RuleInactive rules are not evaluated; the members they added stay.
	RuleInactive RuleStatus = "inactive"
)

// Valid reports whether s is one of the statuses above.
func (s RuleStatus) Valid() bool { return s == RuleActive || s == RuleInactive }

// Rule makes the users whose attributes satisfy a CEL expression members
// of a group. The expression reads the attributes as `user`, a map from
// name to value (`user.department == "sales"`), and must be of type bool.
type Rule struct {
	ID         string // "grr_…"
	TenantID   string
	Name       string
	Expression string
	GroupID    string
	// Attributes are the attribute names the expression reads, sorted;
	// AnyAttribute when it reads the attribute map as a whole.
	Attributes []string
	// UsesEditableAttrs says the expression reads an attribute users may
	// edit themselves; such a rule exists only with OverrideEditable.
	UsesEditableAttrs bool
	// OverrideEditable is an admin's explicit permission for the rule to
	// read user-editable attributes.
	OverrideEditable bool
	Status           RuleStatus
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// RuleInput describes a new group rule.
type RuleInput struct {
	// Name is required, 1–MaxGroupNameLen printable characters once
	// trimmed.
	Name string
	// Expression is a CEL expression of type bool over `user`, at most
	// MaxExpressionLen characters, whose worst-case cost is within
	// RuleCostLimit.
	Expression string
	// GroupID is the group of the tenant the rule adds members to.
	GroupID string
	// OverrideEditable lets the expression read user-editable attributes.
	// Only an admin's explicit choice may set it: such a rule lets users
	// put themselves in the group.
	OverrideEditable bool
	// Status defaults to RuleActive.
	Status RuleStatus
}

const ruleCols = `id, tenant_id, name, expression, group_id, attributes, uses_editable_attrs, override_editable, status, created_at, updated_at`

func scanRule(r groupRowScanner) (Rule, error) {
	var ru Rule
	var attrs []byte
	err := r.Scan(&ru.ID, &ru.TenantID, &ru.Name, &ru.Expression, &ru.GroupID, &attrs, &ru.UsesEditableAttrs,
		&ru.OverrideEditable, &ru.Status, &ru.CreatedAt, &ru.UpdatedAt)
	if err != nil {
		return Rule{}, err
	}
	if err := json.Unmarshal(attrs, &ru.Attributes); err != nil {
		return Rule{}, fmt.Errorf("directory: rule %s attributes: %w", ru.ID, err)
	}
	return ru, nil
}

// ErrEditableAttribute is held by the refusal of a rule whose expression
// reads a user-editable attribute without RuleInput.OverrideEditable, and
// by the RuleError of such a rule met by ApplyRules.
var ErrEditableAttribute = errors.New("directory: rule reads a user-editable attribute without an override")

// CreateRule creates a group rule of tenantID. editable holds the
// attribute names users of the tenant may edit themselves (true means
// editable). The expression is refused (an *invalid.Error naming
// "expression") when it does not compile, is not of type bool, may cost
// more than RuleCostLimit, or reads an editable attribute (also wrapping
// ErrEditableAttribute) while in.OverrideEditable is false. A group that
// does not exist in the tenant wraps store.ErrNotFound and an
// *invalid.Error naming "group_id".
//
// Creating a rule changes no membership: ApplyRules does, user by user.
func (d *Directory) CreateRule(ctx context.Context, tx store.Tx, tenantID string, in RuleInput, editable map[string]bool) (Rule, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Status == "" {
		in.Status = RuleActive
	}
	errs := []error{checkText("name", in.Name, MaxGroupNameLen, true)}
	if tenantID == "" {
		errs = append(errs, invalid.Field("tenant_id", "is required"))
	}
	if !in.Status.Valid() {
		errs = append(errs, invalid.Field("status", "must be %q or %q", RuleActive, RuleInactive))
	}
	c, err := compileRule(in.Expression)
	errs = append(errs, err)
	usesEditable := c != nil && readsEditable(c.attrs, editable)
	if usesEditable && !in.OverrideEditable {
		errs = append(errs, fmt.Errorf("%w: %w", ErrEditableAttribute,
			invalid.Field("expression", "reads user-editable attributes; only an explicit override allows it")))
	}
	if err := errors.Join(errs...); err != nil {
		return Rule{}, err
	}
	if _, err := d.Group(ctx, tx, tenantID, in.GroupID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return Rule{}, fmt.Errorf("%w: %w", err, invalid.Field("group_id", "no such group in the tenant"))
		}
		return Rule{}, err
	}
	now := d.now()
	r := Rule{
		ID: ident.New("grr", now), TenantID: tenantID, Name: in.Name, Expression: in.Expression, GroupID: in.GroupID,
		Attributes: c.attrs, UsesEditableAttrs: usesEditable, OverrideEditable: in.OverrideEditable, Status: in.Status,
		CreatedAt: now, UpdatedAt: now,
	}
	if r.Attributes == nil {
		r.Attributes = []string{}
	}
	attrs, err := json.Marshal(r.Attributes)
	if err != nil {
		return Rule{}, fmt.Errorf("directory: create rule: %w", err)
	}
	_, err = tx.Exec(ctx, `INSERT INTO group_rules (`+ruleCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.TenantID, r.Name, r.Expression, r.GroupID, string(attrs), r.UsesEditableAttrs, r.OverrideEditable,
		string(r.Status), r.CreatedAt, r.UpdatedAt)
	if err != nil {
		return Rule{}, fmt.Errorf("directory: create rule: %w", err)
	}
	return r, nil
}

// Rule returns a group rule of tenantID by ID. A rule of another tenant is
// not found (store.ErrNotFound).
func (d *Directory) Rule(ctx context.Context, tx store.Tx, tenantID, id string) (Rule, error) {
	r, err := scanRule(tx.QueryRow(ctx, `SELECT `+ruleCols+` FROM group_rules WHERE tenant_id = ? AND id = ?`, tenantID, id))
	if errors.Is(err, store.ErrNotFound) {
		return Rule{}, fmt.Errorf("%w: group rule %q", store.ErrNotFound, id)
	}
	return r, err
}

// ListRules lists the group rules of tenantID in ID (creation) order, at
// most limit (0 means DefaultGroupPageLimit) after the cursor after ("" for the
// first page), and returns the cursor of the next page ("" after the last).
func (d *Directory) ListRules(ctx context.Context, tx store.Tx, tenantID, after string, limit int) ([]Rule, string, error) {
	limit, err := checkGroupPage("grr", after, limit)
	if err != nil {
		return nil, "", err
	}
	rows, err := tx.Query(ctx, `SELECT `+ruleCols+` FROM group_rules WHERE tenant_id = ? AND id > ? ORDER BY id LIMIT ?`,
		tenantID, after, limit+1)
	list, err := collectGroupRows(rows, err, scanRule)
	if err != nil {
		return nil, "", fmt.Errorf("directory: list rules: %w", err)
	}
	list, next := cutGroupPage(list, limit, func(r Rule) string { return r.ID })
	return list, next, nil
}

// DeleteRule deletes a group rule of tenantID together with the
// memberships it added; manual members stay.
func (d *Directory) DeleteRule(ctx context.Context, tx store.Tx, tenantID, id string) error {
	if _, err := d.Rule(ctx, tx, tenantID, id); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM group_members WHERE tenant_id = ? AND source = ? AND rule_id = ?`,
		tenantID, string(SourceRule), id); err != nil {
		return fmt.Errorf("directory: delete rule members: %w", err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM group_rules WHERE tenant_id = ? AND id = ?`, tenantID, id); err != nil {
		return fmt.Errorf("directory: delete rule: %w", err)
	}
	return nil
}
