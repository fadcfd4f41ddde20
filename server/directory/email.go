package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// ChangeEmail sets the email address of a user of tenantID to one the
// person has just proven (verified). When the login was the old address,
// the login follows it: people sign in with the address they have. An
// address (or login) another user of the tenant has wraps
// store.ErrConflict with an *invalid.Error naming "email"; nothing is
// written then. It records "user.email.changed" by actor (never the
// addresses) besides UpdateUser's record.
func (d *Directory) ChangeEmail(ctx context.Context, tx store.Tx, tenantID, userID, email string, actor events.Ref) (User, error) {
	u, err := d.User(ctx, tx, tenantID, userID)
	if err != nil {
		return User{}, err
	}
	clean, err := checkEmail(email)
	if err != nil {
		return User{}, err
	}
	loginFollows := u.Email != "" && u.Login == NormalizeLogin(u.Email)
	if loginFollows {
		login, err := checkLogin(clean)
		if err != nil {
			return User{}, err
		}
		switch other, err := d.UserByLogin(ctx, tx, tenantID, login); {
		case err == nil && other.ID != u.ID:
			return User{}, conflict("email", "another user of the tenant has this address")
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return User{}, err
		}
		if _, err := tx.Exec(ctx, `UPDATE users SET login = ? WHERE tenant_id = ? AND id = ?`, login, tenantID, userID); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return User{}, fmt.Errorf("%w: %w", conflict("email", "another user of the tenant has this address"), err)
			}
			return User{}, fmt.Errorf("directory: change email: %w", err)
		}
	}
	verified := true
	next, err := d.UpdateUser(ctx, tx, tenantID, userID, UserUpdate{Email: &clean, EmailVerified: &verified}, actor)
	if err != nil {
		return User{}, err
	}
	if loginFollows {
		next.Login = NormalizeLogin(clean)
	}
	if err := d.record(ctx, tx, "user.email.changed", next, actor, map[string]any{"login_changed": loginFollows}); err != nil {
		return User{}, err
	}
	return next, nil
}

// MaskEmail shows enough of an address for its owner or an admin to
// recognise it, and no more: the first character of the local part and
// the domain ("jane@example.com" is "j•••@example.com").
func MaskEmail(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i <= 0 {
		return "•••"
	}
	first, _ := utf8.DecodeRuneInString(addr)
	return string(first) + "•••@" + addr[i+1:]
}
