package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// app is the flow's client as far as consent goes: its ID and whether it
// is a third-party app, as recorded when the flow started.
func (f *flow) app() tenant.App {
	return tenant.App{ID: f.ClientID, TenantID: f.TenantID, Name: f.State.AppName, ConsentRequired: f.State.ThirdParty}
}

// consent ends the consent step. Accepting records the consent (adding the
// request's scopes to what the person already granted the app) and issues
// the code from the sign-in kept in the flow; denying sends access_denied
// to the client. Each outcome is recorded as an event, in the same
// transaction.
func (e *Engine) consent(ctx context.Context, f *flow, accept bool) error {
	if f.State.Grant == nil {
		return fmt.Errorf("engine: flow %s is at consent without a sign-in", f.ID)
	}
	g, scope := *f.State.Grant, f.State.Request.Scope
	details := map[string]any{"client": f.ClientID, "scopes": strings.Fields(scope)}
	err := e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		// Another request may have ended the step meanwhile.
		var step string
		if err := tx.QueryRow(ctx, `SELECT step FROM flows WHERE id = ?`, f.ID).Scan(&step); err != nil {
			return err
		}
		if wire.StepKind(step) != wire.StepConsent {
			return ErrFlowDone
		}
		if !accept {
			f.Step, f.Done, f.State.Messages, f.State.Grant = wire.StepDone, true, nil, nil
			f.State.Redirect = oidc.ErrorRedirect(f.State.Issuer, f.State.Request, oidc.ErrAccessDenied.WithDescription("the user denied consent"))
			if err := e.event(ctx, tx, f, "user.consent.denied", events.Success, g.UserID, details); err != nil {
				return err
			}
			return e.update(ctx, tx, f)
		}
		if err := e.OIDC.RecordConsent(ctx, tx, f.TenantID, f.ClientID, g.UserID, scope); err != nil {
			return err
		}
		if err := e.finish(ctx, tx, f, g); err != nil {
			return err
		}
		if err := e.event(ctx, tx, f, "user.consent.granted", events.Success, g.UserID, details); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil {
		return fmt.Errorf("engine: consent: %w", err)
	}
	return nil
}

// scopeMessage is the message ID describing a scope value on the consent
// step: consent.scope.<value>.
func scopeMessage(scope string) string { return "consent.scope." + scope }

// consentFields is the consent step's one read-only field: the scopes
// asked for, each with its description.
func consentFields(scope string) []wire.Field {
	fld := wire.Field{Name: FieldScope, Type: wire.FieldList, Label: MsgConsentScopesLabel}
	for _, s := range strings.Fields(scope) {
		fld.Options = append(fld.Options, wire.Option{Value: s, Label: scopeMessage(s)})
	}
	return []wire.Field{fld}
}
