package mgmt

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor/passkey"
	"github.com/lintel-id/lintel/server/store"
)

// UserView is a user as the API shows it.
type UserView struct {
	ID            string         `json:"id"`
	TenantID      string         `json:"tenant_id"`
	TypeID        string         `json:"type_id"`
	Login         string         `json:"login"`
	Email         string         `json:"email,omitempty"`
	EmailVerified bool           `json:"email_verified"`
	Name          string         `json:"name,omitempty"`
	GivenName     string         `json:"given_name,omitempty"`
	FamilyName    string         `json:"family_name,omitempty"`
	Phone         string         `json:"phone,omitempty"`
	PhoneVerified bool           `json:"phone_verified"`
	Locale        string         `json:"locale,omitempty"`
	Profile       map[string]any `json:"profile" doc:"Custom attributes, following the user type's schema"`
	Status        string         `json:"status" enum:"STAGED,PROVISIONED,ACTIVE,RECOVERY,LOCKED_OUT,PASSWORD_EXPIRED,SUSPENDED,DEPROVISIONED"`
	CreatedAt     time.Time      `json:"created_at"`
	UpdatedAt     time.Time      `json:"updated_at"`
	LastSignInAt  *time.Time     `json:"last_sign_in_at,omitempty"`
}

func userView(u directory.User) UserView {
	p := u.Profile
	if p == nil {
		p = map[string]any{}
	}
	return UserView{
		ID: u.ID, TenantID: u.TenantID, TypeID: u.TypeID, Login: u.Login, Email: u.Email, EmailVerified: u.EmailVerified,
		Name: u.Name, GivenName: u.GivenName, FamilyName: u.FamilyName, Phone: u.Phone, PhoneVerified: u.PhoneVerified,
		Locale: u.Locale, Profile: p, Status: string(u.Status), CreatedAt: u.CreatedAt, UpdatedAt: u.UpdatedAt, LastSignInAt: u.LastSignInAt,
	}
}

// CredentialView describes a credential without its secret.
type CredentialView struct {
	ID       string `json:"id"`
	Type     string `json:"type" doc:"password, webauthn (a passkey), totp, recovery_codes, security_answer, email or phone"`
	Label    string `json:"label,omitempty" doc:"The person's name for it (a passkey's device), or a security question"`
	Verified bool   `json:"verified" doc:"False while a set-up is unfinished"`
	// Passkey describes a passkey; absent for other types.
	Passkey   *PasskeyView `json:"passkey,omitempty"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// PasskeyView is what a passkey tells about itself (never its key).
type PasskeyView struct {
	BackupEligible bool       `json:"backup_eligible" doc:"It may be synced by its provider (a password manager or platform keychain)"`
	BackedUp       bool       `json:"backed_up" doc:"It was synced when last used"`
	AAGUID         string     `json:"aaguid,omitempty" doc:"The authenticator model, when it says"`
	LastUsedAt     *time.Time `json:"last_used_at,omitempty"`
}

// credentialView is a credential as the API shows it.
func credentialView(c directory.Credential) CredentialView {
	v := CredentialView{ID: c.ID, Type: c.Type, Label: c.Label, Verified: c.Verified, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	if c.Type == directory.CredentialWebAuthn {
		if k, err := passkey.Decode(c.Secret); err == nil {
			v.Passkey = &PasskeyView{BackupEligible: k.BackupEligible, BackedUp: k.BackupState}
			if len(k.AAGUID) == 16 {
				v.Passkey.AAGUID = fmt.Sprintf("%x-%x-%x-%x-%x", k.AAGUID[0:4], k.AAGUID[4:6], k.AAGUID[6:8], k.AAGUID[8:10], k.AAGUID[10:])
			}
			if !k.LastUsedAt.IsZero() {
				t := k.LastUsedAt
				v.Passkey.LastUsedAt = &t
			}
		}
	}
	return v
}

// IdentityView is an identity-provider account linked to a user.
type IdentityView struct {
	IdPID     string    `json:"idp_id"`
	Subject   string    `json:"subject"`
	CreatedAt time.Time `json:"created_at"`
}

// UserPath names a user of a tenant.
type UserPath struct {
	TenantPath
	User string `path:"user" maxLength:"64"`
}

func actor(ctx context.Context) events.Ref {
	return principal(ctx).Actor()
}

func (a *API) registerUsers() {
	const tag = "Users"
	base := Prefix + "/tenants/{tenant}/users"
	register(a, Route{ID: "search-users", Method: http.MethodGet, Path: base, Scope: ScopeUsersRead}, tag, "Search users by login, email or name prefix, status and type",
		func(ctx context.Context, in *struct {
			TenantPath
			Page
			Q      string `query:"q" maxLength:"100" doc:"Prefix of the login, email or name (case-insensitive)"`
			Status string `query:"status" enum:"STAGED,PROVISIONED,ACTIVE,RECOVERY,LOCKED_OUT,PASSWORD_EXPIRED,SUSPENDED,DEPROVISIONED"`
			Type   string `query:"type" maxLength:"64"`
			Group  string `query:"group" maxLength:"64" doc:"Members of this group"`
			Attr   string `query:"attribute" maxLength:"100" doc:"An indexed (unique) custom attribute to match"`
			Value  string `query:"value" maxLength:"1000" doc:"The attribute's value (case-insensitive)"`
		}) (*Out[List[UserView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]directory.User, string, error) {
				return a.Directory.Search(ctx, tx, principal(ctx).Target.ID, directory.SearchQuery{
					Q: in.Q, Status: directory.Status(in.Status), TypeID: in.Type, GroupID: in.Group, Attribute: in.Attr, Value: in.Value,
					After: in.After, Limit: in.limit(),
				})
			}, userView)
		})
	register(a, Route{ID: "create-user", Method: http.MethodPost, Path: base, Scope: ScopeUsersWrite, Status: http.StatusCreated}, tag, "Create a user",
		func(ctx context.Context, in *struct {
			TenantPath
			Body struct {
				Login         string         `json:"login" minLength:"1" maxLength:"254"`
				Email         string         `json:"email,omitempty" maxLength:"254"`
				EmailVerified bool           `json:"email_verified,omitempty"`
				Name          string         `json:"name,omitempty" maxLength:"200"`
				GivenName     string         `json:"given_name,omitempty" maxLength:"100"`
				FamilyName    string         `json:"family_name,omitempty" maxLength:"100"`
				Phone         string         `json:"phone,omitempty" maxLength:"20"`
				Locale        string         `json:"locale,omitempty" maxLength:"35"`
				Status        string         `json:"status,omitempty" enum:"STAGED,PROVISIONED,ACTIVE"`
				TypeID        string         `json:"type_id,omitempty" maxLength:"64"`
				Profile       map[string]any `json:"profile,omitempty"`
			}
		}) (*Out[UserView], error) {
			b := in.Body
			// The directory records user.created itself, in the same
			// transaction.
			var u directory.User
			err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				var err error
				u, err = a.Directory.CreateUser(ctx, tx, principal(ctx).Target.ID, directory.UserInput{
					Login: b.Login, Email: b.Email, EmailVerified: b.EmailVerified, Name: b.Name, GivenName: b.GivenName, FamilyName: b.FamilyName,
					Phone: b.Phone, Locale: b.Locale, Status: directory.Status(b.Status), TypeID: b.TypeID, Profile: b.Profile, Actor: actor(ctx),
				})
				return err
			})
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			return &Out[UserView]{Body: userView(u)}, nil
		})
	register(a, Route{ID: "get-user", Method: http.MethodGet, Path: base + "/{user}", Scope: ScopeUsersRead}, tag, "Get a user",
		func(ctx context.Context, in *UserPath) (*Out[UserView], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (directory.User, error) {
				return a.Directory.User(ctx, tx, principal(ctx).Target.ID, in.User)
			}, userView)
		})
	register(a, Route{ID: "update-user", Method: http.MethodPatch, Path: base + "/{user}", Scope: ScopeUsersWrite}, tag, "Change a user's attributes; fields left out stay as they are",
		func(ctx context.Context, in *struct {
			UserPath
			Body struct {
				Email         *string        `json:"email,omitempty" maxLength:"254"`
				EmailVerified *bool          `json:"email_verified,omitempty"`
				Name          *string        `json:"name,omitempty" maxLength:"200"`
				GivenName     *string        `json:"given_name,omitempty" maxLength:"100"`
				FamilyName    *string        `json:"family_name,omitempty" maxLength:"100"`
				Phone         *string        `json:"phone,omitempty" maxLength:"20"`
				Locale        *string        `json:"locale,omitempty" maxLength:"35"`
				Profile       map[string]any `json:"profile,omitempty" doc:"Replaces all custom attributes"`
			}
		}) (*Out[UserView], error) {
			b := in.Body
			// The directory records its own event (with field names only), so
			// this change is written without a second one.
			var u directory.User
			err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				old, err := a.Directory.User(ctx, tx, principal(ctx).Target.ID, in.User)
				if err != nil {
					return err
				}
				u, err = a.Directory.UpdateUser(ctx, tx, principal(ctx).Target.ID, in.User, directory.UserUpdate{
					Email: b.Email, EmailVerified: b.EmailVerified, Name: b.Name, GivenName: b.GivenName, FamilyName: b.FamilyName,
					Phone: b.Phone, Locale: b.Locale, Profile: b.Profile,
				}, actor(ctx))
				if err != nil {
					return err
				}
				return a.emailChanged(ctx, tx, old, u)
			})
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			return &Out[UserView]{Body: userView(u)}, nil
		})
	register(a, Route{ID: "erase-user", Method: http.MethodDelete, Path: base + "/{user}", Scope: ScopeUsersWrite, Status: http.StatusNoContent}, tag, "Erase a user (GDPR): profile, credentials and linked identities go, and their system-log details become unreadable",
		func(ctx context.Context, in *UserPath) (*struct{}, error) {
			return deleted(a, ctx, "user.erased", events.Ref{Type: "user", ID: in.User}, func(ctx context.Context, tx store.Tx) error {
				if err := a.Directory.RemoveUserFromGroups(ctx, tx, principal(ctx).Target.ID, in.User); err != nil {
					return err
				}
				if err := a.Directory.Erase(ctx, tx, principal(ctx).Target.ID, in.User); err != nil {
					return err
				}
				if a.Policies != nil {
					// Password history and failed sign-ins go too.
					if err := a.Policies.ForgetUser(ctx, tx, principal(ctx).Target.ID, in.User); err != nil {
						return err
					}
				}
				if a.Sessions != nil {
					// Sessions hold the addresses and browsers they came from.
					if err := a.Sessions.ForgetUser(ctx, tx, principal(ctx).Target.ID, in.User); err != nil {
						return err
					}
				}
				if a.Terms == nil {
					return nil
				}
				// And the record of which terms the user accepted.
				return a.Terms.ForgetUser(ctx, tx, principal(ctx).Target.ID, in.User)
			})
		})
	register(a, Route{ID: "export-user", Method: http.MethodGet, Path: base + "/{user}/export", Scope: ScopeUsersRead}, tag, "Export everything held about a user (GDPR), secrets excluded",
		func(ctx context.Context, in *UserPath) (*Out[map[string]any], error) {
			return fetched(a, ctx, func(ctx context.Context, tx store.Tx) (map[string]any, error) {
				return a.Directory.Export(ctx, tx, principal(ctx).Target.ID, in.User)
			}, func(m map[string]any) map[string]any { return m })
		})
	register(a, Route{ID: "transition-user", Method: http.MethodPost, Path: base + "/{user}/lifecycle", Scope: ScopeUsersWrite}, tag, "Move a user to another lifecycle status (only the allowed transitions)",
		func(ctx context.Context, in *struct {
			UserPath
			Body struct {
				Status string `json:"status" enum:"STAGED,PROVISIONED,ACTIVE,RECOVERY,LOCKED_OUT,PASSWORD_EXPIRED,SUSPENDED,DEPROVISIONED"`
			}
		}) (*Out[UserView], error) {
			return a.transition(ctx, in.User, directory.Status(in.Body.Status))
		})
	register(a, Route{ID: "unlock-user", Method: http.MethodPost, Path: base + "/{user}/unlock", Scope: ScopeUsersUnlock}, tag, "Unlock a locked-out user",
		func(ctx context.Context, in *UserPath) (*Out[UserView], error) {
			// Unlocking is the one change help-desk may make: only from
			// LOCKED_OUT, never (say) from SUSPENDED.
			var u directory.User
			err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
				cur, err := a.Directory.User(ctx, tx, principal(ctx).Target.ID, in.User)
				if err != nil {
					return err
				}
				if cur.Status != directory.StatusLockedOut {
					return invalid.Field("status", "only a LOCKED_OUT user can be unlocked; this one is %s", cur.Status)
				}
				u, err = a.Directory.Transition(ctx, tx, principal(ctx).Target.ID, in.User, directory.StatusActive, actor(ctx))
				if err != nil || a.Policies == nil {
					return err
				}
				// The lockout's count and lock go too, whether it was to
				// end with time or to wait for an admin.
				return a.Policies.ClearFailures(ctx, tx, principal(ctx).Target.ID, in.User)
			})
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			return &Out[UserView]{Body: userView(u)}, nil
		})
	a.registerActivation(tag) // activation_api.go
	register(a, Route{ID: "list-user-credentials", Method: http.MethodGet, Path: base + "/{user}/credentials", Scope: ScopeUsersRead}, tag, "List a user's credentials (never their secrets)",
		func(ctx context.Context, in *UserPath) (*Out[List[CredentialView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]directory.Credential, string, error) {
				cs, err := a.Directory.Credentials(ctx, tx, principal(ctx).Target.ID, in.User)
				return cs, "", err
			}, credentialView)
		})
	register(a, Route{ID: "rename-user-credential", Method: http.MethodPatch, Path: base + "/{user}/credentials/{credential}", Scope: ScopeUsersWrite}, tag, "Rename one of a user's credentials (a passkey's label)",
		func(ctx context.Context, in *struct {
			UserPath
			Credential string `path:"credential" maxLength:"64"`
			Body       struct {
				Label string `json:"label" maxLength:"100" doc:"The new name; empty for none"`
			}
		}) (*Out[CredentialView], error) {
			return changed(a, ctx, "user.credential.renamed", ref[directory.Credential]("user", in.User),
				func(ctx context.Context, tx store.Tx, ev *events.Event) (directory.Credential, error) {
					c, err := a.Directory.RenameCredential(ctx, tx, principal(ctx).Target.ID, in.User, in.Credential, in.Body.Label)
					ev.Details = map[string]any{"credential": c.ID, "type": c.Type}
					return c, err
				}, credentialView)
		})
	register(a, Route{ID: "reset-user-credential", Method: http.MethodDelete, Path: base + "/{user}/credentials/{credential}", Scope: ScopeFactorsReset, Status: http.StatusNoContent}, tag, "Remove one of a user's credentials (reset a factor)",
		func(ctx context.Context, in *struct {
			UserPath
			Credential string `path:"credential" maxLength:"64"`
		}) (*struct{}, error) {
			return deleted(a, ctx, "user.credential.reset", events.Ref{Type: "user", ID: in.User}, func(ctx context.Context, tx store.Tx) error {
				return a.Directory.DeleteCredential(ctx, tx, principal(ctx).Target.ID, in.User, in.Credential)
			})
		})
	register(a, Route{ID: "list-user-identities", Method: http.MethodGet, Path: base + "/{user}/identities", Scope: ScopeUsersRead}, tag, "List the identity-provider accounts linked to a user",
		func(ctx context.Context, in *UserPath) (*Out[List[IdentityView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]directory.Identity, string, error) {
				ids, err := a.Directory.Identities(ctx, tx, principal(ctx).Target.ID, in.User)
				return ids, "", err
			}, func(i directory.Identity) IdentityView {
				return IdentityView{IdPID: i.IdPID, Subject: i.Subject, CreatedAt: i.CreatedAt}
			})
		})
	register(a, Route{ID: "unlink-user-identity", Method: http.MethodDelete, Path: base + "/{user}/identities/{idp}/{subject}", Scope: ScopeUsersWrite, Status: http.StatusNoContent}, tag, "Unlink an identity-provider account from a user",
		func(ctx context.Context, in *struct {
			UserPath
			IdP     string `path:"idp" maxLength:"64"`
			Subject string `path:"subject" maxLength:"255"`
		}) (*struct{}, error) {
			return deleted(a, ctx, "user.identity.unlinked", events.Ref{Type: "user", ID: in.User}, func(ctx context.Context, tx store.Tx) error {
				return a.Directory.Unlink(ctx, tx, principal(ctx).Target.ID, in.User, in.IdP, in.Subject)
			})
		})
	register(a, Route{ID: "list-user-groups", Method: http.MethodGet, Path: base + "/{user}/groups", Scope: ScopeGroupsRead}, tag, "List the groups a user belongs to",
		func(ctx context.Context, in *UserPath) (*Out[List[GroupView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]directory.Group, string, error) {
				gs, err := a.Directory.GroupsOf(ctx, tx, principal(ctx).Target.ID, in.User)
				return gs, "", err
			}, groupView)
		})
}

// transition moves a user's status; the directory records the event.
func (a *API) transition(ctx context.Context, userID string, to directory.Status) (*Out[UserView], error) {
	var u directory.User
	err := a.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		u, err = a.Directory.Transition(ctx, tx, principal(ctx).Target.ID, userID, to, actor(ctx))
		return err
	})
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	return &Out[UserView]{Body: userView(u)}, nil
}
