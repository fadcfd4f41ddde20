package federation

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
)

// Provision creates, in tx, the account an OutcomeCreate calls for, from
// attrs (the Outcome's Attributes), and links a.Subject at idp to it. The
// account is of idp's Config.UserType (the tenant's default type when
// ""), active, with the mapped email (or a.Email when the mapping gives
// none) as its login, verified only when the provider vouches for that
// very address. Without an address the login is derived from idp and the
// subject (derivedLogin). Base attributes (given_name, family_name, name,
// locale, phone) fill the profile's fields, any other name a custom
// attribute. Attributes the type refuses are dropped and logged by name;
// a required attribute the mapping does not give is refused by the
// directory as for any new account (an *invalid.Error naming
// "profile.<name>"), and nothing is written then.
//
// The directory records "user.created" and "user.identity.linked", by
// the actor {"idp", idp.ID}. A subject already linked, or an address
// another account has as its login, wraps store.ErrConflict and nothing
// is written. Other errors are as Resolve's.
func (s *Service) Provision(ctx context.Context, tx store.Tx, idp IdP, a Assertion, attrs map[string]any) (directory.User, error) {
	if err := usable(idp, a); err != nil {
		return directory.User{}, err
	}
	dir := s.d.Directory
	switch _, err := dir.UserByIdentity(ctx, tx, idp.TenantID, idp.ID, a.Subject); {
	case err == nil:
		return directory.User{}, fmt.Errorf("%w: federation: provision: the identity at %s is linked already", store.ErrConflict, idp.ID)
	case !errors.Is(err, store.ErrNotFound):
		return directory.User{}, fmt.Errorf("federation: provision: %w", err)
	}
	vals := maps.Clone(attrs)
	if vals == nil {
		vals = map[string]any{}
	}
	if _, ok := vals["email"]; !ok && a.Email != "" {
		vals["email"] = a.Email
	}
	var dropped []string
	for _, name := range slices.Sorted(maps.Keys(vals)) {
		if _, ok := vals[name].(string); isBase(name) && !ok {
			dropped = append(dropped, name)
			delete(vals, name)
		}
	}
	var u directory.User
	for {
		var err error
		u, err = dir.CreateUser(ctx, tx, idp.TenantID, newUser(idp, a, vals))
		names := refused(err, vals)
		if len(names) == 0 {
			s.logDropped(ctx, idp, "provision", dropped)
			if err != nil {
				return directory.User{}, fmt.Errorf("federation: provision: %w", err)
			}
			break
		}
		// The directory checks everything before it writes anything, so
		// the transaction is intact: try again without what it refused.
		for _, name := range names {
			delete(vals, name)
		}
		dropped = append(dropped, names...)
	}
	if err := s.link(ctx, tx, idp, a, u.ID); err != nil {
		return directory.User{}, fmt.Errorf("federation: provision: %w", err)
	}
	return u, nil
}

// LinkAccount links a.Subject at idp to the account userID of idp's
// tenant, for an OutcomeLink or once the person has proven an
// OutcomeProve's account, and records "user.identity.linked" by the
// actor {"idp", idp.ID}. A subject linked already (to any account) wraps
// store.ErrConflict; an unknown account store.ErrNotFound. Other errors
// are as Resolve's.
func (s *Service) LinkAccount(ctx context.Context, tx store.Tx, idp IdP, a Assertion, userID string) error {
	if err := usable(idp, a); err != nil {
		return err
	}
	if err := s.link(ctx, tx, idp, a, userID); err != nil {
		return fmt.Errorf("federation: link account: %w", err)
	}
	return nil
}

// link links a.Subject at idp to userID through the directory, which
// records the event.
func (s *Service) link(ctx context.Context, tx store.Tx, idp IdP, a Assertion, userID string) error {
	_, err := s.d.Directory.LinkIdentity(ctx, tx, idp.TenantID, userID, idp.ID, a.Subject, actor(idp))
	return err
}

// newUser is the directory's input for an account created from vals
// (mapped attributes whose base fields are strings).
func newUser(idp IdP, a Assertion, vals map[string]any) directory.UserInput {
	in := directory.UserInput{TypeID: idp.Config.UserType, Status: directory.StatusActive, Actor: actor(idp), Profile: map[string]any{}}
	in.Assign(vals) // the provider's word does not verify a phone number
	in.Login = in.Email
	if in.Login == "" {
		in.Login = derivedLogin(idp.ID, a.Subject)
	}
	in.EmailVerified = in.Email != "" && a.EmailVerified && directory.NormalizeLogin(in.Email) == directory.NormalizeLogin(a.Email)
	return in
}

// derivedLogin is the login of an account created without an email
// address: the IdP's ID, "/", and the first 128 bits of the SHA-256 of the
// subject in hex. It holds no "@", and the logins people choose (at
// self-registration) are email addresses, so only an admin typing it could
// take it first. The subject is hashed because the directory folds logins'
// case (subjects may differ only in case) and bounds their length; the
// subject itself stays in the linked identity.
func derivedLogin(idpID, subject string) string {
	sum := sha256.Sum256([]byte(subject))
	return idpID + "/" + hex.EncodeToString(sum[:16])
}

// isBase reports whether name is a profile field whose value must be a
// string: the email and the directory's base attributes.
func isBase(name string) bool {
	return name == "email" || slices.Contains(directory.BaseAttributes, name)
}

// refused returns the names in vals of the attributes err refuses (the
// fields of its *invalid.Errors; "profile.<name>…" read as <name>),
// sorted; none when err is nil, a conflict or not a refusal.
func refused(err error, vals map[string]any) []string {
	if err == nil || errors.Is(err, store.ErrConflict) {
		return nil
	}
	var out []string
	for _, e := range invalid.All(err) {
		name, _, _ := strings.Cut(strings.TrimPrefix(e.Field, "profile."), ".")
		if _, ok := vals[name]; ok && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// logDropped logs, by name only, the mapped attributes the user type
// refused: their values may be personal or sensitive.
func (s *Service) logDropped(ctx context.Context, idp IdP, step string, names []string) {
	if len(names) == 0 {
		return
	}
	slices.Sort(names)
	s.d.Logger.WarnContext(ctx, "federation: the user type refuses mapped attributes; they were dropped",
		"step", step, "tenant_id", idp.TenantID, "idp_id", idp.ID, "attributes", names)
}

// actor is who changes the directory on a sign-in through idp.
func actor(idp IdP) events.Ref { return events.Ref{Type: "idp", ID: idp.ID} }
