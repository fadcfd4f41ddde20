package mgmt

import (
	"context"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
)

// SessionView is a live sign-in session of a user as the API shows it:
// never its cookie value, which is not stored.
type SessionView struct {
	ID                string    `json:"id" doc:"The session's ID (not its cookie value)"`
	CreatedAt         time.Time `json:"created_at" doc:"When the user signed in; a step-up keeps it"`
	LastSeenAt        time.Time `json:"last_seen_at" doc:"Last use, recorded at most once a minute"`
	AuthTime          time.Time `json:"auth_time" doc:"When the user last authenticated (sign-in or step-up)"`
	AMR               []string  `json:"amr" doc:"Authentication methods used (RFC 8176), such as pwd, otp, mfa"`
	IdleExpiresAt     time.Time `json:"idle_expires_at" doc:"When the session ends unless used before"`
	AbsoluteExpiresAt time.Time `json:"absolute_expires_at" doc:"When the session ends however active"`
	IP                string    `json:"ip" doc:"The client's address at sign-in or the last step-up; empty when unknown"`
	UserAgent         string    `json:"user_agent" doc:"The browser's User-Agent then, as sent (at most 256 bytes); empty when unknown"`
}

func sessionView(s session.Session) SessionView {
	amr := s.AMR
	if amr == nil {
		amr = []string{}
	}
	return SessionView{
		ID: s.ID, CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt, AuthTime: s.AuthTime, AMR: amr,
		IdleExpiresAt: s.IdleExpiresAt, AbsoluteExpiresAt: s.AbsoluteExpiresAt, IP: s.IP, UserAgent: s.UserAgent,
	}
}

// registerSessions adds the session routes when the API has a Sessions
// dependency. Every route answers 404 for a user the tenant does not have,
// so that another tenant's user IDs are not told apart from unknown ones.
func (a *API) registerSessions() {
	if a.Sessions == nil {
		return
	}
	const tag = "Users"
	base := Prefix + "/tenants/{tenant}/users/{user}/sessions"
	register(a, Route{ID: "list-user-sessions", Method: http.MethodGet, Path: base, Scope: ScopeSessionsRead}, tag,
		"List a user's live sign-in sessions, newest first: when and how each signed in, its expiries, address and User-Agent",
		func(ctx context.Context, in *UserPath) (*Out[List[SessionView]], error) {
			return listed(a, ctx, func(ctx context.Context, tx store.Tx) ([]session.Session, string, error) {
				tenantID := principal(ctx).Target.ID
				if _, err := a.Directory.User(ctx, tx, tenantID, in.User); err != nil {
					return nil, "", err
				}
				ss, err := a.Sessions.List(ctx, tx, tenantID, in.User)
				return ss, "", err
			}, sessionView)
		})
	register(a, Route{ID: "revoke-user-session", Method: http.MethodDelete, Path: base + "/{session}", Scope: ScopeSessionsRevoke, Status: http.StatusNoContent}, tag,
		"End one of a user's sessions: that browser is signed out at its next request",
		func(ctx context.Context, in *struct {
			UserPath
			Session string `path:"session" maxLength:"64"`
		}) (*struct{}, error) {
			err := a.change(ctx, "user.session.revoked", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				ev.Target, ev.Subject = events.Ref{Type: "user", ID: in.User}, in.User
				ev.Details = map[string]any{"session_id": in.Session}
				if _, err := a.Directory.User(ctx, tx, tenantID, in.User); err != nil {
					return err
				}
				return a.Sessions.RevokeID(ctx, tx, tenantID, in.User, in.Session)
			})
			return &struct{}{}, err
		})
	register(a, Route{ID: "revoke-user-sessions", Method: http.MethodDelete, Path: base, Scope: ScopeSessionsRevoke, Status: http.StatusNoContent}, tag,
		"End all of a user's sessions, and with refresh_tokens=true also every grant the user gave any app (refresh and access tokens)",
		func(ctx context.Context, in *struct {
			UserPath
			RefreshTokens bool `query:"refresh_tokens" doc:"Also revoke the user's OAuth grants of every app: refresh tokens stop working, access tokens fail introspection and userinfo"`
		}) (*struct{}, error) {
			err := a.change(ctx, "user.sessions.revoked", func(ctx context.Context, tx store.Tx, ev *events.Event) error {
				tenantID := principal(ctx).Target.ID
				ev.Target, ev.Subject = events.Ref{Type: "user", ID: in.User}, in.User
				if _, err := a.Directory.User(ctx, tx, tenantID, in.User); err != nil {
					return err
				}
				n, err := a.Sessions.RevokeUser(ctx, tx, tenantID, in.User)
				if err != nil {
					return err
				}
				ev.Details = map[string]any{"sessions": n, "refresh_tokens": in.RefreshTokens}
				if !in.RefreshTokens {
					return nil
				}
				if a.Grants == nil {
					return invalid.Field("refresh_tokens", "cannot be revoked: this server has no OpenID provider")
				}
				// clientID "" revokes the grants of every client.
				g, err := a.Grants.RevokeGrants(ctx, tx, tenantID, in.User, "", oidc.RevokedByAdmin)
				ev.Details["grants"] = g
				return err
			})
			return &struct{}{}, err
		})
}
