package engine

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/store"
)

// afterSignIn runs between an authenticated sign-in (or a reused session)
// and the code: terms whose current version the person has not accepted
// come first, then the attributes the app's enrollment policy collects
// progressively (by earlier sign-ins, by app requirement, while missing),
// then consent and the code. signIns counts the person's earlier sign-ins.
func (e *Engine) afterSignIn(ctx context.Context, tx store.Tx, f *flow, u directory.User, signIns int, g oidc.Grant) error {
	docs, err := e.Terms.Pending(ctx, tx, f.TenantID, u.ID)
	if err != nil {
		return err
	}
	if len(docs) > 0 {
		f.Step, f.State.Messages, f.State.Grant, f.State.SignIns = StepTerms, nil, &g, signIns
		f.State.Ask = termsFields(docs)
		return nil
	}
	pol, err := e.Policies.Enrollment(ctx, tx, f.TenantID, f.ClientID)
	if err != nil {
		return err
	}
	if due := pol.DueAttributes(signIns, u.HasAttribute); len(due) > 0 {
		typ, err := e.Directory.UserType(ctx, tx, f.TenantID, u.TypeID)
		if err != nil {
			return err
		}
		var ask []asked
		for _, a := range due {
			// An attribute the type lost since the policy was saved is
			// not asked for.
			if fld, ok := typ.Field(a.Name); ok {
				ask = append(ask, asked{Field: attributeField(fld, a.Required, ""), Attr: &fld})
			}
		}
		if len(ask) > 0 {
			f.Step, f.State.Messages, f.State.Grant, f.State.Ask = wire.StepProfile, nil, &g, ask
			return nil
		}
	}
	f.State.Ask = nil
	return e.beforeCode(ctx, tx, f, g)
}

// optional reports whether every field the profile step asks may be left
// out.
func (f *flow) optional() bool {
	return !slices.ContainsFunc(f.State.Ask, func(a asked) bool { return a.Field.Required })
}

// acceptTerms records the acceptance of the terms the step shows (every
// box must be ticked), then goes on as afterSignIn does; declining ends
// the session just made and the flow.
func (e *Engine) acceptTerms(ctx context.Context, f *flow, req wire.ContinueRequest, accept bool) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		g := f.State.Grant
		if g == nil {
			return ErrUnknownAction
		}
		if !accept {
			if err := e.Sessions.RevokeID(ctx, tx, f.TenantID, g.UserID, g.SessionID); err != nil && !isNotFound(err) {
				return err
			}
			f.Step, f.Done, f.State.Grant, f.State.Ask = wire.StepError, true, nil, nil
			f.State.Messages = []wire.Message{{ID: MsgTermsDeclined, Level: wire.LevelError, Params: []wire.Param{{Name: "app", Value: f.State.AppName}}}}
			if err := e.event(ctx, tx, f, "user.terms.declined", events.Failure, g.UserID, nil); err != nil {
				return err
			}
			return e.update(ctx, tx, f)
		}
		_, docs, _, _, msgs := readAsked(f, req)
		if len(msgs) > 0 {
			f.State.Messages = msgs
			return e.update(ctx, tx, f)
		}
		if err := e.Terms.Accept(ctx, tx, f.TenantID, g.UserID, docs); err != nil {
			return err
		}
		u, err := e.Directory.User(ctx, tx, f.TenantID, g.UserID)
		if err != nil {
			return err
		}
		if err := e.afterSignIn(ctx, tx, f, u, f.State.SignIns, *g); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
}

// saveProfile stores the attributes of the profile step (or, skipping,
// none when none is required) and goes on to consent and the code.
func (e *Engine) saveProfile(ctx context.Context, f *flow, req wire.ContinueRequest, skip bool) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		g := f.State.Grant
		if g == nil || (skip && !f.optional()) {
			return ErrUnknownAction
		}
		f.State.Messages = nil
		if !skip {
			values, _, _, _, msgs := readAsked(f, req)
			if len(msgs) > 0 {
				f.State.Messages = msgs
				return e.update(ctx, tx, f)
			}
			if len(values) > 0 {
				_, err := e.Directory.SetAttributes(ctx, tx, f.TenantID, g.UserID, values, events.Ref{Type: "user", ID: g.UserID})
				if msgs := fieldMessages(err); msgs != nil {
					for i := range msgs {
						if !slices.ContainsFunc(f.State.Ask, func(a asked) bool { return a.Field.Name == msgs[i].Field }) {
							msgs[i].Field = ""
						}
					}
					f.State.Messages = msgs
					return e.update(ctx, tx, f)
				}
				if err != nil {
					return err
				}
			}
		}
		f.State.Ask = nil
		if err := e.beforeCode(ctx, tx, f, *g); err != nil {
			return err
		}
		return e.update(ctx, tx, f)
	})
}

// fieldMessages turns the directory's refusal of submitted attributes
// (a value its schema refuses, a unique value taken) into messages on the
// fields, "profile.<name>" read as <name>; nil when err is not a refusal.
func fieldMessages(err error) []wire.Message {
	if err == nil || !invalid.Is(err) {
		return nil
	}
	var out []wire.Message
	for _, ie := range invalid.All(err) {
		id := MsgFieldInvalid
		if errors.Is(err, store.ErrConflict) {
			id = MsgValueTaken
		}
		out = append(out, wire.Message{ID: id, Level: wire.LevelError, Field: strings.TrimPrefix(ie.Field, "profile.")})
	}
	return out
}

func isNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }
