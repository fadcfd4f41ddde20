package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// Sync brings the account userID up to date with a sign-in through idp:
// each attribute whose Config.Sync source is SourceIdP takes its mapped
// value in attrs (the Outcome's Attributes) when that differs; attributes
// of SourceLintel (the default) and attributes attrs lacks are left as
// they are. It returns the names it changed, sorted; when nothing
// differs it writes nothing. The directory records its own events
// ("user.updated", "user.email.changed") by the actor {"idp", idp.ID}.
//
// Sync takes the assertion a itself, not only attrs, so that it can tell
// whether the provider vouches for an address: "email" is written only
// when a.EmailVerified and the mapped address is a.Email, and then as a
// verified address (Directory.ChangeEmail, which moves a login that was
// the old address along). An address the provider does not vouch for
// never replaces the account's, verified or not. An address another
// account has as its login is skipped and logged, as are values the
// user type refuses: a sign-in does not fail on profile sync.
func (s *Service) Sync(ctx context.Context, tx store.Tx, idp IdP, a Assertion, userID string, attrs map[string]any) (changed []string, err error) {
	if err := usable(idp, a); err != nil {
		return nil, err
	}
	dir := s.d.Directory
	u, err := dir.User(ctx, tx, idp.TenantID, userID)
	if err != nil {
		return nil, fmt.Errorf("federation: sync: %w", err)
	}
	vals := map[string]any{}
	var dropped []string
	for name, src := range idp.Config.Sync {
		v, ok := attrs[name]
		switch {
		case src != SourceIdP || !ok || name == "email":
			// Lintel's, not asserted, or synced by syncEmail.
		case isBase(name) && !isString(v):
			dropped = append(dropped, name)
		case !sameValue(current(u, name), v):
			vals[name] = v
		}
	}
	if idp.Config.Sync["email"] == SourceIdP {
		done, err := s.syncEmail(ctx, tx, idp, a, u, attrs["email"])
		if err != nil {
			return nil, err
		}
		changed = append(changed, done...)
	}
	for len(vals) > 0 {
		next, err := dir.SetAttributes(ctx, tx, idp.TenantID, userID, vals, actor(idp))
		names := refused(err, vals)
		if len(names) == 0 {
			if err != nil {
				return nil, fmt.Errorf("federation: sync: %w", err)
			}
			for name := range vals {
				if !sameValue(current(u, name), current(next, name)) {
					changed = append(changed, name)
				}
			}
			break
		}
		// SetAttributes checks before it writes: the transaction is
		// intact.
		for _, name := range names {
			delete(vals, name)
		}
		dropped = append(dropped, names...)
	}
	s.logDropped(ctx, idp, "sync", dropped)
	slices.Sort(changed)
	return changed, nil
}

// syncEmail replaces u's address with v when the provider vouches for it
// (see Sync), and returns ["email"] when it did.
func (s *Service) syncEmail(ctx context.Context, tx store.Tx, idp IdP, a Assertion, u directory.User, v any) ([]string, error) {
	email, _ := v.(string)
	norm := directory.NormalizeLogin(email)
	switch {
	case email == "" || norm == directory.NormalizeLogin(u.Email):
		return nil, nil
	case !a.EmailVerified || norm != directory.NormalizeLogin(a.Email):
		s.d.Logger.InfoContext(ctx, "federation: an address the provider does not vouch for is not synced",
			"tenant_id", idp.TenantID, "idp_id", idp.ID, "user_id", u.ID)
		return nil, nil
	}
	_, err := s.d.Directory.ChangeEmail(ctx, tx, idp.TenantID, u.ID, email, actor(idp))
	switch {
	case err == nil:
		return []string{"email"}, nil
	case errors.Is(err, store.ErrConflict) || invalid.Is(err) && !errors.Is(err, store.ErrNotFound):
		// Checked before anything is written: the transaction is intact.
		s.d.Logger.WarnContext(ctx, "federation: the provider's address cannot be the account's; not synced",
			"tenant_id", idp.TenantID, "idp_id", idp.ID, "user_id", u.ID)
		return nil, nil
	}
	return nil, fmt.Errorf("federation: sync: %w", err)
}

// current is u's value of the attribute name, nil when unset.
func current(u directory.User, name string) any {
	switch name {
	case "email":
		return u.Email
	case "given_name":
		return u.GivenName
	case "family_name":
		return u.FamilyName
	case "name":
		return u.Name
	case "locale":
		return u.Locale
	case "phone":
		return u.Phone
	}
	return u.Profile[name]
}

// sameValue reports whether x and y are the same as stored: profiles are
// JSON, so int64(3) and float64(3), or []string and []any of the same
// strings, are equal.
func sameValue(x, y any) bool {
	a, errA := json.Marshal(x)
	b, errB := json.Marshal(y)
	return errA == nil && errB == nil && string(a) == string(b)
}

// isString reports whether v is a string.
func isString(v any) bool {
	_, ok := v.(string)
	return ok
}
