package directory

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/lintel-id/lintel/server/store"
)

// RuleSubject is the user ApplyRules evaluates the rules for.
type RuleSubject struct {
	// UserID is a user of the tenant.
	UserID string
	// Attrs are the user's attributes as rules see them (`user.<name>`):
	// strings, bools, numbers, lists and maps of them.
	Attrs map[string]any
	// Editable marks the attributes the user may edit themselves (true
	// means editable).
	Editable map[string]bool
}

// ErrRuleEvaluation is held by every RuleError.
var ErrRuleEvaluation = errors.New("directory: group rule not applied")

// RuleError is a rule ApplyRules could not apply to a user. It unwraps to
// ErrRuleEvaluation and to the cause: a runtime error, a cost over
// RuleCostLimit, a stored expression that no longer compiles, or
// ErrEditableAttribute.
type RuleError struct {
	RuleID string
	Err    error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("group rule %s not applied: %v", e.RuleID, e.Err)
}
func (e *RuleError) Unwrap() []error { return []error{ErrRuleEvaluation, e.Err} }

// ruleOutcome is the result of one rule for one user.
type ruleOutcome int

const (
	outcomeFalse ruleOutcome = iota
	outcomeTrue
	outcomeError
)

// ApplyRules evaluates every active rule of tenantID for one user and
// brings the user's rule memberships in line: the user becomes a member
// (SourceRule) of each group an active rule matches, and stops being a
// member of a group whose adding rule is active and no longer matches,
// unless another active rule of that group matches (which then owns the
// membership). Manual memberships, and those added by inactive rules, are
// never touched.
//
// A rule that fails (see RuleError) leaves the memberships it owns
// unchanged and adds none; a rule that reads an attribute the subject
// marks editable without OverrideEditable counts as not matching (it
// grants nothing and its members are removed) and is reported as a
// RuleError too. ApplyRules applies every other rule, then returns the
// RuleErrors joined; when errors.Is(err, ErrRuleEvaluation) and the error
// holds nothing else, the caller may still commit. Store errors and a
// cancelled ctx are returned at once, without RuleErrors. A user that does
// not exist in the tenant wraps store.ErrNotFound.
func (d *Directory) ApplyRules(ctx context.Context, tx store.Tx, tenantID string, user RuleSubject) error {
	rows, err := tx.Query(ctx, `SELECT `+ruleCols+` FROM group_rules WHERE tenant_id = ? AND status = ? ORDER BY id`,
		tenantID, string(RuleActive))
	rules, err := collectGroupRows(rows, err, scanRule)
	if err != nil {
		return fmt.Errorf("directory: apply rules: %w", err)
	}
	if len(rules) == 0 {
		return nil // the common case: nothing to settle, no more queries
	}
	if err := groupUserExists(ctx, tx, tenantID, user.UserID); err != nil {
		return err
	}
	outcome := make(map[string]ruleOutcome, len(rules))
	matched := map[string][]string{} // group ID → matching rule IDs, in ID order
	var groups []string
	var ruleErrs []error
	for _, r := range rules {
		if !slices.Contains(groups, r.GroupID) {
			groups = append(groups, r.GroupID)
		}
		ok, err := evalRule(ctx, r, user)
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("directory: apply rules: %w", ctx.Err())
		case errors.Is(err, ErrEditableAttribute):
			outcome[r.ID] = outcomeFalse
			ruleErrs = append(ruleErrs, &RuleError{RuleID: r.ID, Err: err})
		case err != nil:
			outcome[r.ID] = outcomeError
			ruleErrs = append(ruleErrs, &RuleError{RuleID: r.ID, Err: err})
		case ok:
			outcome[r.ID] = outcomeTrue
			matched[r.GroupID] = append(matched[r.GroupID], r.ID)
		default:
			outcome[r.ID] = outcomeFalse
		}
	}
	current, err := memberships(ctx, tx, tenantID, user.UserID)
	if err != nil {
		return err
	}
	slices.Sort(groups)
	for _, g := range groups {
		if err := d.settle(ctx, tx, tenantID, g, user.UserID, current[g], matched[g], outcome); err != nil {
			return err
		}
	}
	return errors.Join(ruleErrs...)
}

// evalRule compiles and runs one stored rule for a user.
func evalRule(ctx context.Context, r Rule, user RuleSubject) (bool, error) {
	c, err := compileRule(r.Expression)
	if err != nil {
		return false, err
	}
	if !r.OverrideEditable && readsEditable(c.attrs, user.Editable) {
		return false, ErrEditableAttribute
	}
	return c.eval(ctx, user.Attrs)
}

// memberships returns a user's memberships by group ID; a Member's UserID
// is left empty.
func memberships(ctx context.Context, tx store.Tx, tenantID, userID string) (map[string]*Member, error) {
	rows, err := tx.Query(ctx, `SELECT group_id, source, rule_id, added_at FROM group_members WHERE tenant_id = ? AND user_id = ?`,
		tenantID, userID)
	type row struct {
		group string
		m     Member
	}
	list, err := collectGroupRows(rows, err, func(r groupRowScanner) (row, error) {
		var x row
		var rule sql.NullString
		err := r.Scan(&x.group, &x.m.Source, &rule, &x.m.AddedAt)
		x.m.RuleID = rule.String
		return x, err
	})
	if err != nil {
		return nil, fmt.Errorf("directory: apply rules: memberships: %w", err)
	}
	out := make(map[string]*Member, len(list))
	for _, x := range list {
		out[x.group] = &x.m
	}
	return out, nil
}

// settle brings one membership in line with the outcomes of the rules of
// its group; matching holds the group's matching rules.
func (d *Directory) settle(ctx context.Context, tx store.Tx, tenantID, groupID, userID string, m *Member, matching []string,
	outcome map[string]ruleOutcome) error {
	var err error
	switch {
	case m == nil && len(matching) > 0:
		_, err = tx.Exec(ctx, `INSERT INTO group_members (tenant_id, group_id, user_id, source, rule_id, added_at) VALUES (?, ?, ?, ?, ?, ?)`,
			tenantID, groupID, userID, string(SourceRule), matching[0], d.now())
	case m == nil || m.Source != SourceRule:
		return nil
	default:
		o, active := outcome[m.RuleID]
		switch {
		case !active || o == outcomeTrue || o == outcomeError:
			return nil
		case len(matching) > 0:
			_, err = tx.Exec(ctx, `UPDATE group_members SET rule_id = ? WHERE tenant_id = ? AND group_id = ? AND user_id = ?`,
				matching[0], tenantID, groupID, userID)
		default:
			_, err = tx.Exec(ctx, `DELETE FROM group_members WHERE tenant_id = ? AND group_id = ? AND user_id = ?`,
				tenantID, groupID, userID)
		}
	}
	if err != nil {
		return fmt.Errorf("directory: apply rules to group %s: %w", groupID, err)
	}
	return nil
}
