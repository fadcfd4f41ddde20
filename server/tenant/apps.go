package tenant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/store"
)

// App is an OAuth client of a tenant. Its ID is the client_id ("app_…").
type App struct {
	ID, TenantID, Name string
	// Type is fixed at creation.
	Type AppType
	// RedirectURIs and PostLogoutRedirectURIs are matched exactly.
	RedirectURIs, PostLogoutRedirectURIs []string
	GrantTypes                           []string
	// TokenEndpointAuthMethod is "none" for public clients (spa, native),
	// "client_secret_basic", "client_secret_post" or "private_key_jwt"
	// for the others.
	TokenEndpointAuthMethod string
	// JWKS (a JSON JWK Set of public keys) or JWKSURI holds the keys a
	// private_key_jwt client signs its assertions with; exactly one is set
	// for such a client, neither for others.
	JWKS, JWKSURI string
	// IDTokenAlg is the id_token_signed_response_alg: RS256, ES256 or
	// EdDSA; "" for service apps, which get no ID tokens.
	IDTokenAlg string
	// ConsentRequired marks a third-party app: its users consent to the
	// scopes it asks for before it gets tokens.
	ConsentRequired bool
	// ManagementScopes are management API scopes a service app that
	// authenticates with private_key_jwt may request from the system
	// tenant's default authorization server (without the "mgmt." prefix
	// OAuth scopes carry). The management API checks their values.
	ManagementScopes []string
	// InitiateLoginURI is where the app starts a sign-in of its own
	// (OpenID Connect's initiate_login_uri): Lintel sends a person there
	// after activating their account, with iss and login_hint and never a
	// credential, and the app begins a normal PKCE flow. https (http on
	// loopback), or a reverse-DNS custom scheme for native apps; "" for
	// none.
	InitiateLoginURI     string
	Tags                 []string
	CreatedAt, UpdatedAt time.Time
}

// AppInput describes a new app. Empty GrantTypes and
// TokenEndpointAuthMethod take the defaults of the type.
type AppInput struct {
	Name                                             string
	Type                                             AppType
	RedirectURIs, PostLogoutRedirectURIs, GrantTypes []string
	TokenEndpointAuthMethod                          string
	JWKS, JWKSURI, IDTokenAlg                        string
	ConsentRequired                                  bool
	ManagementScopes                                 []string
	InitiateLoginURI                                 string
	Tags                                             []string
}

// AppPatch changes an app; nil fields stay as they are. The type cannot
// change. The whole resulting app is validated again.
type AppPatch struct {
	Name                                                   *string
	RedirectURIs, PostLogoutRedirectURIs, GrantTypes, Tags *[]string
	TokenEndpointAuthMethod, JWKS, JWKSURI, IDTokenAlg     *string
	ConsentRequired                                        *bool
	ManagementScopes                                       *[]string
	InitiateLoginURI                                       *string
}

// AppFilter selects apps to list.
type AppFilter struct {
	// Name keeps apps whose name contains it, ignoring case.
	Name string
	// Tag keeps apps that carry it.
	Tag string
	// After and Limit select the page, as in Page.
	After string
	Limit int
}

const appCols = `id, tenant_id, name, type, redirect_uris, post_logout_redirect_uris, grant_types,
	token_endpoint_auth_method, tags, created_at, updated_at, jwks, jwks_uri, id_token_signed_response_alg,
	consent_required, management_scopes, initiate_login_uri`

func scanApp(r scanner) (App, error) {
	var a App
	var redirects, logouts, grants, tags, mgmt []byte
	err := r.Scan(&a.ID, &a.TenantID, &a.Name, &a.Type, &redirects, &logouts, &grants,
		&a.TokenEndpointAuthMethod, &tags, &a.CreatedAt, &a.UpdatedAt, &a.JWKS, &a.JWKSURI, &a.IDTokenAlg,
		&a.ConsentRequired, &mgmt, &a.InitiateLoginURI)
	if err != nil {
		return App{}, err
	}
	return a, errors.Join(store.ParseJSONList(redirects, &a.RedirectURIs), store.ParseJSONList(logouts, &a.PostLogoutRedirectURIs),
		store.ParseJSONList(grants, &a.GrantTypes), store.ParseJSONList(tags, &a.Tags), store.ParseJSONList(mgmt, &a.ManagementScopes))
}

func (a App) spec() appSpec {
	return appSpec{Name: a.Name, Type: a.Type, RedirectURIs: a.RedirectURIs, PostLogoutRedirectURIs: a.PostLogoutRedirectURIs,
		GrantTypes: a.GrantTypes, TokenEndpointAuthMethod: a.TokenEndpointAuthMethod, JWKS: a.JWKS, JWKSURI: a.JWKSURI,
		IDTokenAlg: a.IDTokenAlg, ConsentRequired: a.ConsentRequired, ManagementScopes: a.ManagementScopes,
		InitiateLoginURI: a.InitiateLoginURI, Tags: a.Tags}
}

func (a *App) apply(sp appSpec) {
	a.Name, a.RedirectURIs, a.PostLogoutRedirectURIs = sp.Name, sp.RedirectURIs, sp.PostLogoutRedirectURIs
	a.GrantTypes, a.TokenEndpointAuthMethod, a.Tags = sp.GrantTypes, sp.TokenEndpointAuthMethod, sp.Tags
	a.JWKS, a.JWKSURI, a.IDTokenAlg, a.ConsentRequired = sp.JWKS, sp.JWKSURI, sp.IDTokenAlg, sp.ConsentRequired
	a.ManagementScopes, a.InitiateLoginURI = sp.ManagementScopes, sp.InitiateLoginURI
}

// CreateApp creates an app in a tenant. For a confidential client (web,
// service) it returns the first client secret, which is shown this once
// and stored only as a keyed hash; public clients get "".
func (s *Service) CreateApp(ctx context.Context, tx store.Tx, tenantID string, in AppInput) (App, string, error) {
	t, err := s.Tenant(ctx, tx, tenantID)
	if err != nil {
		return App{}, "", err
	}
	sp, err := appSpec(in).check()
	if err != nil {
		return App{}, "", err
	}
	if err := s.uniqueName(ctx, tx, "apps", t.ID, "", sp.Name, "an app"); err != nil {
		return App{}, "", err
	}
	now := s.now()
	a := App{ID: ident.New("app", now), TenantID: t.ID, Type: sp.Type, CreatedAt: now, UpdatedAt: now}
	a.apply(sp)
	_, err = tx.Exec(ctx, `INSERT INTO apps (`+appCols+`, name_fold) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.TenantID, a.Name, string(a.Type), store.JSONList(a.RedirectURIs), store.JSONList(a.PostLogoutRedirectURIs),
		store.JSONList(a.GrantTypes), a.TokenEndpointAuthMethod, store.JSONList(a.Tags), a.CreatedAt, a.UpdatedAt,
		a.JWKS, a.JWKSURI, a.IDTokenAlg, a.ConsentRequired, store.JSONList(a.ManagementScopes), a.InitiateLoginURI, fold(a.Name))
	if err != nil {
		return App{}, "", nameConflict(err, "an app", a.Name)
	}
	// Public clients have no secret; private_key_jwt clients sign with
	// their own keys instead.
	if a.Type.Public() || a.TokenEndpointAuthMethod == AuthPrivateKeyJWT {
		return a, "", nil
	}
	secret, err := s.addSecret(ctx, tx, a.ID, now)
	if err != nil {
		return App{}, "", err
	}
	return a, secret, nil
}

// App returns an app of a tenant; an app of another tenant is ErrNotFound.
func (s *Service) App(ctx context.Context, tx store.Tx, tenantID, id string) (App, error) {
	a, err := scanApp(tx.QueryRow(ctx, `SELECT `+appCols+` FROM apps WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if errors.Is(err, store.ErrNotFound) {
		return App{}, notFound("app", id)
	}
	return a, err
}

// AppByClientID returns the app whose client_id is clientID, whatever its
// tenant.
func (s *Service) AppByClientID(ctx context.Context, tx store.Tx, clientID string) (App, error) {
	a, err := scanApp(tx.QueryRow(ctx, `SELECT `+appCols+` FROM apps WHERE id = ?`, clientID))
	if errors.Is(err, store.ErrNotFound) {
		return App{}, notFound("app", clientID)
	}
	return a, err
}

// ListApps lists a tenant's apps in ID (creation) order, one page at a
// time, and returns the cursor of the next page ("" after the last).
func (s *Service) ListApps(ctx context.Context, tx store.Tx, tenantID string, f AppFilter) ([]App, string, error) {
	limit, err := Page{After: f.After, Limit: f.Limit}.check()
	if utf8.RuneCountInString(f.Name) > MaxNameLen {
		err = errors.Join(err, invalid.Field("name", "must be at most %d characters", MaxNameLen))
	}
	if f.Tag != "" && !isTag(f.Tag) {
		err = errors.Join(err, invalid.Field("tag", "is not a valid tag"))
	}
	if err != nil {
		return nil, "", err
	}
	q := `SELECT ` + appCols + ` FROM apps WHERE tenant_id = ? AND id > ?`
	args := []any{tenantID, f.After}
	if f.Name != "" {
		q += ` AND name_fold LIKE ? ESCAPE '!'`
		args = append(args, "%"+likeEscaper.Replace(fold(f.Name))+"%")
	}
	if f.Tag != "" {
		if tx.Dialect() == store.Postgres {
			q += ` AND tags @> jsonb_build_array(CAST(? AS text))`
		} else {
			q += ` AND EXISTS (SELECT 1 FROM json_each(apps.tags) WHERE json_each.value = ?)`
		}
		args = append(args, f.Tag)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY id LIMIT ?`, append(args, limit+1)...)
	list, err := store.Collect(rows, err, scanApp)
	if err != nil {
		return nil, "", err
	}
	list, next := cut(list, limit, func(a App) string { return a.ID })
	return nonNilList(list), next, nil
}

// likeEscaper escapes LIKE wildcards with '!'.
var likeEscaper = strings.NewReplacer("!", "!!", "%", "!%", "_", "!_")

// UpdateApp changes an app of a tenant.
func (s *Service) UpdateApp(ctx context.Context, tx store.Tx, tenantID, id string, p AppPatch) (App, error) {
	a, err := s.App(ctx, tx, tenantID, id)
	if err != nil {
		return App{}, err
	}
	sp := a.spec()
	set(&sp.Name, p.Name)
	set(&sp.RedirectURIs, p.RedirectURIs)
	set(&sp.PostLogoutRedirectURIs, p.PostLogoutRedirectURIs)
	set(&sp.GrantTypes, p.GrantTypes)
	set(&sp.Tags, p.Tags)
	set(&sp.TokenEndpointAuthMethod, p.TokenEndpointAuthMethod)
	set(&sp.JWKS, p.JWKS)
	set(&sp.JWKSURI, p.JWKSURI)
	set(&sp.IDTokenAlg, p.IDTokenAlg)
	set(&sp.ConsentRequired, p.ConsentRequired)
	set(&sp.ManagementScopes, p.ManagementScopes)
	set(&sp.InitiateLoginURI, p.InitiateLoginURI)
	if sp, err = sp.check(); err != nil {
		return App{}, err
	}
	if err := s.uniqueName(ctx, tx, "apps", a.TenantID, a.ID, sp.Name, "an app"); err != nil {
		return App{}, err
	}
	a.apply(sp)
	a.UpdatedAt = s.now()
	_, err = tx.Exec(ctx, `UPDATE apps SET name = ?, name_fold = ?, redirect_uris = ?, post_logout_redirect_uris = ?,
		grant_types = ?, token_endpoint_auth_method = ?, tags = ?, updated_at = ?, jwks = ?, jwks_uri = ?,
		id_token_signed_response_alg = ?, consent_required = ?, management_scopes = ?, initiate_login_uri = ? WHERE id = ?`,
		a.Name, fold(a.Name), store.JSONList(a.RedirectURIs), store.JSONList(a.PostLogoutRedirectURIs), store.JSONList(a.GrantTypes),
		a.TokenEndpointAuthMethod, store.JSONList(a.Tags), a.UpdatedAt, a.JWKS, a.JWKSURI, a.IDTokenAlg, a.ConsentRequired,
		store.JSONList(a.ManagementScopes), a.InitiateLoginURI, a.ID)
	if err != nil {
		return App{}, nameConflict(err, "an app", a.Name)
	}
	return a, nil
}

// DeleteApp deletes an app of a tenant with its secrets, and takes it off
// the trusted origins restricted to it; an origin restricted to this app
// alone is deleted (an empty list would allow every app).
func (s *Service) DeleteApp(ctx context.Context, tx store.Tx, tenantID, id string) error {
	a, err := s.App(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	if err := s.dropAppFromOrigins(ctx, tx, a.TenantID, a.ID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM app_secrets WHERE app_id = ?`, a.ID); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `DELETE FROM apps WHERE id = ?`, a.ID)
	return err
}

// set copies *p into *dst when p is not nil.
func set[T any](dst *T, p *T) {
	if p != nil {
		*dst = *p
	}
}

// uniqueName refuses a name already used (ignoring case) by another row of
// table in the tenant; selfID is the row being renamed, if any.
func (s *Service) uniqueName(ctx context.Context, tx store.Tx, table, tenantID, selfID, name, what string) error {
	var n int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM `+table+` WHERE tenant_id = ? AND name_fold = ? AND id <> ?`,
		tenantID, fold(name), selfID).Scan(&n)
	if err != nil {
		return err
	}
	if n > 0 {
		return conflict("name", "%s named %q already exists", what, name)
	}
	return nil
}

// nameConflict turns a unique violation on a name into a field error.
func nameConflict(err error, what, name string) error {
	if errors.Is(err, store.ErrConflict) {
		return fmt.Errorf("%w: %w", conflict("name", "%s named %q already exists", what, name), err)
	}
	return err
}
