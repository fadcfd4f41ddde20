package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lintel-id/lintel/internal/requestid"
	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mgmt"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// adminFlags are the settings the admin commands read: they work on the
// database directly, as an operator on the machine.
const adminFlags = settings.FlagConfig | settings.FlagDataDir | settings.FlagDatabaseURL | settings.FlagLog | settings.FlagSecrets | settings.FlagPublicURL

func (e *env) adminCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer Lintel from the machine it runs on (management tokens, break-glass)",
	}
	token := &cobra.Command{Use: "token", Short: "Create, list and revoke management API tokens"}
	token.AddCommand(e.tokenCreateCommand(), e.tokenListCommand(), e.tokenRevokeCommand())
	cmd.AddCommand(token, e.breakGlassCommand())
	return cmd
}

// withSystem loads the settings, opens the system, runs fn and closes it.
func (e *env) withSystem(cmd *cobra.Command, fn func(ctx context.Context, s *system) error) error {
	c, err := settings.Load(cmd.Flags(), e.environ)
	if err != nil {
		return err
	}
	ctx := requestid.With(cmd.Context(), requestid.New())
	s, err := e.openSystem(ctx, c)
	if err != nil {
		return err
	}
	defer s.store.Close()
	return fn(ctx, s)
}

// createToken makes a token and records it in the system log, in one
// transaction.
func createToken(ctx context.Context, s *system, tenantRef string, in mgmt.TokenInput, eventType string) (mgmt.Token, string, error) {
	var tok mgmt.Token
	var secret string
	err := s.store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		t, err := s.tenants.Tenant(ctx, tx, tenantRef)
		if errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("no tenant %q", tenantRef)
		}
		if err != nil {
			return err
		}
		in.TenantID = t.ID
		if tok, secret, err = s.tokens.Create(ctx, tx, in, t.System); err != nil {
			return err
		}
		_, err = s.events.Append(ctx, tx, events.Event{
			Type: eventType, TenantID: t.ID, Actor: events.Ref{Type: "system", ID: ""},
			Target: events.Ref{Type: "mgmt_token", ID: tok.ID}, Outcome: events.Success,
			RequestID: requestid.From(ctx), Details: map[string]any{"role": string(tok.Role), "created_by": in.CreatedBy},
		})
		return err
	})
	return tok, secret, err
}

func (e *env) tokenCreateCommand() *cobra.Command {
	var tenantRef, name, role string
	var scopes []string
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a management token and print it once",
		Long: `Create a management API token for a tenant and print it once on standard
output. Lintel stores only a keyed hash of it: copy it now.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withSystem(cmd, func(ctx context.Context, s *system) error {
				in := mgmt.TokenInput{Name: name, Role: mgmt.Role(role), TTL: expires, CreatedBy: "cli"}
				for _, sc := range scopes {
					in.Scopes = append(in.Scopes, mgmt.Scope(sc))
				}
				tok, secret, err := createToken(ctx, s, tenantRef, in, "mgmt_token.created")
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, secret)
				fmt.Fprintf(e.stderr, "token %s for tenant %s, role %s, scopes %s, expires %s\n", tok.ID, tenantRef, tok.Role, joinScopes(tok.Scopes), tok.ExpiresAt.Format(time.RFC3339))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&tenantRef, "tenant", "", "tenant ID or slug the token acts for (required)")
	f.StringVar(&name, "name", "cli", "a name to recognise the token by")
	f.StringVar(&role, "role", string(mgmt.RoleTenantAdmin), "role: instance-admin (system tenant only), tenant-admin, help-desk or read-only")
	f.StringSliceVar(&scopes, "scopes", nil, "narrow the role's scopes, comma-separated (e.g. apps:read,events:read); default all of the role's")
	f.DurationVar(&expires, "expires", mgmt.DefaultTokenTTL, "lifetime, e.g. 720h; between 1m and 8784h")
	_ = cmd.MarkFlagRequired("tenant")
	settings.Bind(f, adminFlags)
	return cmd
}

func (e *env) tokenListCommand() *cobra.Command {
	var tenantRef string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a tenant's management tokens (never their values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withSystem(cmd, func(ctx context.Context, s *system) error {
				tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tNAME\tROLE\tEXPIRES\tLAST USED\tREVOKED")
				err := s.store.View(ctx, func(ctx context.Context, tx store.Tx) error {
					t, err := s.tenants.Tenant(ctx, tx, tenantRef)
					if err != nil {
						return fmt.Errorf("tenant %q: %w", tenantRef, err)
					}
					after := ""
					for {
						toks, next, err := s.tokens.List(ctx, tx, t.ID, after, 200)
						if err != nil {
							return err
						}
						for _, tok := range toks {
							fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", tok.ID, tok.Name, tok.Role, tok.ExpiresAt.Format(time.RFC3339), timeOrDash(tok.LastUsedAt), timeOrDash(tok.RevokedAt))
						}
						if next == "" {
							return nil
						}
						after = next
					}
				})
				if err != nil {
					return err
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().StringVar(&tenantRef, "tenant", "", "tenant ID or slug (required)")
	_ = cmd.MarkFlagRequired("tenant")
	settings.Bind(cmd.Flags(), adminFlags)
	return cmd
}

func (e *env) tokenRevokeCommand() *cobra.Command {
	var tenantRef string
	cmd := &cobra.Command{
		Use:   "revoke TOKEN_ID",
		Short: "Revoke a management token at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return e.withSystem(cmd, func(ctx context.Context, s *system) error {
				return s.store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
					t, err := s.tenants.Tenant(ctx, tx, tenantRef)
					if err != nil {
						return fmt.Errorf("tenant %q: %w", tenantRef, err)
					}
					tok, err := s.tokens.Revoke(ctx, tx, t.ID, args[0])
					if err != nil {
						return err
					}
					_, err = s.events.Append(ctx, tx, events.Event{
						Type: "mgmt_token.revoked", TenantID: t.ID, Actor: events.Ref{Type: "system"},
						Target: events.Ref{Type: "mgmt_token", ID: tok.ID}, Outcome: events.Success, RequestID: requestid.From(ctx),
					})
					if err == nil {
						fmt.Fprintf(e.stdout, "revoked %s\n", tok.ID)
					}
					return err
				})
			})
		},
	}
	cmd.Flags().StringVar(&tenantRef, "tenant", "", "tenant ID or slug (required)")
	_ = cmd.MarkFlagRequired("tenant")
	settings.Bind(cmd.Flags(), adminFlags)
	return cmd
}

func (e *env) breakGlassCommand() *cobra.Command {
	var expires time.Duration
	cmd := &cobra.Command{
		Use:   "break-glass",
		Short: "Mint a short-lived instance-admin token, for when every other admin is locked out",
		Long: `Mint a short-lived instance-admin token on the system tenant and print it once.
It needs what only the machine has: direct access to the database and its
key-encryption key. The system log records it as mgmt.break_glass.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if expires > 24*time.Hour {
				return errors.New("--expires: a break-glass token lives at most 24h")
			}
			return e.withSystem(cmd, func(ctx context.Context, s *system) error {
				tok, secret, err := createToken(ctx, s, tenant.SystemSlug, mgmt.TokenInput{
					Name: "break-glass", Role: mgmt.RoleInstanceAdmin, TTL: expires, CreatedBy: "break-glass",
				}, "mgmt.break_glass")
				if err != nil {
					return err
				}
				fmt.Fprintln(e.stdout, secret)
				fmt.Fprintf(e.stderr, "instance-admin token %s, expires %s; revoke it when done\n", tok.ID, tok.ExpiresAt.Format(time.RFC3339))
				return nil
			})
		},
	}
	cmd.Flags().DurationVar(&expires, "expires", time.Hour, "lifetime, at most 24h")
	settings.Bind(cmd.Flags(), adminFlags)
	return cmd
}

func joinScopes(s []mgmt.Scope) string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = string(x)
	}
	return strings.Join(out, ",")
}

func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format(time.RFC3339)
}
