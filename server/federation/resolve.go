package federation

import (
	"context"
	"errors"
	"fmt"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// maxHolders bounds the accounts Resolve reads for one address: it only
// tells one holder from several.
const maxHolders = 2

// Resolve decides what assertion a, verified by idp, means for the
// directory of idp's tenant. It reads and never writes; the caller acts
// on the Outcome (Provision, LinkAccount, Sync) in the same or a later
// transaction.
//
//   - An assertion linked to an account signs it in (OutcomeSignIn).
//   - Otherwise, under JITDeny, it is refused ("not_linked"): nothing is
//     linked or created through the provider any more.
//   - An account holding a.Email (case-insensitively, as its email or as
//     its login) is linked without asking (OutcomeLink) only under
//     LinkAuto when the provider vouches for the address and the account's
//     address is verified too; under LinkNever the assertion is refused
//     ("email_taken"); otherwise the person proves the account first
//     (OutcomeProve). An unverified address on either side is never
//     linked. Several accounts holding the address are refused
//     ("email_taken"): which one the person means cannot be known, and
//     creating yet another holder would only add to the confusion.
//   - No account: OutcomeCreate under JITCreate, refused ("not_linked")
//     under JITRequireExisting.
//
// Attributes (from Map) are set for every outcome but OutcomeDeny. A
// disabled idp is ErrNotFound; an assertion of another provider or
// without a subject is ErrInvalid; a mapping that fails wraps ErrConfig.
func (s *Service) Resolve(ctx context.Context, tx store.Tx, idp IdP, a Assertion) (Outcome, error) {
	if err := usable(idp, a); err != nil {
		return Outcome{}, err
	}
	out, err := s.decide(ctx, tx, idp, a)
	if err != nil || out.Kind == OutcomeDeny {
		return out, err
	}
	if out.Attributes, err = s.Map(idp, a); err != nil {
		return Outcome{}, fmt.Errorf("federation: resolve: %w", err)
	}
	return out, nil
}

// decide is Resolve without the attribute mapping.
func (s *Service) decide(ctx context.Context, tx store.Tx, idp IdP, a Assertion) (Outcome, error) {
	dir := s.d.Directory
	switch u, err := dir.UserByIdentity(ctx, tx, idp.TenantID, idp.ID, a.Subject); {
	case err == nil:
		return Outcome{Kind: OutcomeSignIn, UserID: u.ID}, nil
	case !errors.Is(err, store.ErrNotFound):
		return Outcome{}, fmt.Errorf("federation: resolve: %w", err)
	}
	jit := idp.Config.JIT
	if jit == JITDeny {
		return deny("not_linked"), nil
	}
	holders, err := s.holders(ctx, tx, idp.TenantID, a.Email)
	if err != nil {
		return Outcome{}, err
	}
	switch {
	case len(holders) > 1:
		return deny("email_taken"), nil
	case len(holders) == 1:
		return linkOutcome(idp.Config.Link, a, holders[0]), nil
	case jit == JITCreate || jit == "":
		return Outcome{Kind: OutcomeCreate}, nil
	default: // JITRequireExisting, and any value validation let through
		return deny("not_linked"), nil
	}
}

// linkOutcome is what policy makes of an assertion whose address u holds.
func linkOutcome(policy LinkPolicy, a Assertion, u holder) Outcome {
	switch policy {
	case LinkNever:
		return deny("email_taken")
	case LinkAuto, "":
		if a.EmailVerified && u.emailVerified {
			return Outcome{Kind: OutcomeLink, UserID: u.id}
		}
	}
	return Outcome{Kind: OutcomeProve, UserID: u.id}
}

// holder is an account holding an address.
type holder struct {
	id string
	// emailVerified: the account's email is the address and verified.
	emailVerified bool
}

// holders returns the accounts of tenantID that hold email: as their
// email address, or as their login (an admin may have changed the email
// of an account whose login is an address; a new account could not take
// that login either). It returns at most maxHolders; none for "".
func (s *Service) holders(ctx context.Context, tx store.Tx, tenantID, email string) ([]holder, error) {
	if email == "" {
		return nil, nil
	}
	dir := s.d.Directory
	users, err := dir.UsersByEmail(ctx, tx, tenantID, email, maxHolders)
	if err != nil {
		return nil, fmt.Errorf("federation: resolve: %w", err)
	}
	var out []holder
	for _, u := range users {
		out = append(out, holder{id: u.ID, emailVerified: u.EmailVerified})
	}
	switch u, err := dir.UserByLogin(ctx, tx, tenantID, email); {
	case err == nil:
		for _, h := range out {
			if h.id == u.ID {
				return out, nil
			}
		}
		// Its login is the address, its email another: nothing vouches
		// that the account's owner holds the address now.
		out = append(out, holder{id: u.ID})
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("federation: resolve: %w", err)
	}
	return out, nil
}

// deny is an OutcomeDeny for reason.
func deny(reason string) Outcome { return Outcome{Kind: OutcomeDeny, Reason: reason} }

// usable checks that a may act on idp's tenant: idp is enabled and a is
// its assertion about someone.
func usable(idp IdP, a Assertion) error {
	switch {
	case !idp.Enabled:
		return fmt.Errorf("%w: identity provider %s is disabled", ErrNotFound, idp.ID)
	case a.IdPID != idp.ID:
		return fmt.Errorf("%w: the assertion is of another identity provider", ErrInvalid)
	case a.Subject == "" || len(a.Subject) > directory.MaxSubjectLen:
		return fmt.Errorf("%w: the assertion's subject is empty or too long", ErrInvalid)
	}
	return nil
}
