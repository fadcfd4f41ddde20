package engine

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/engine/wire"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/terms"
)

// journeyRegister: the person creates an account. With the enrollment
// policy's email verification "before", the account is created only once
// the emailed code or link proves the address; with "after" (and a
// password), at once, its address unverified.
const journeyRegister = "register"

// Registration steps.
const (
	// StepRegister asks for the new account's email address, the
	// attributes the enrollment policy asks at registration, a password
	// when the sign-on policy allows one, and the terms to accept.
	StepRegister = wire.StepRegister
	// StepTerms asks a signed-in person to accept the current version of
	// terms they have not accepted yet.
	StepTerms = wire.StepTerms
)

// termsField prefixes the checkbox of each terms document.
const termsField = "accept_"

// asked is one field a registration or profile step asks for: its wire
// field and, for an attribute, how to read it.
type asked struct {
	Field wire.Field `json:"field"`
	// Attr describes an attribute field; nil for the email, the password
	// and terms checkboxes.
	Attr *directory.AttributeField `json:"attr,omitempty"`
	// Doc is the terms document a checkbox accepts.
	Doc string `json:"doc,omitempty"`
}

// pendingRegistration is a registration waiting for its email address to
// be proven.
type pendingRegistration struct {
	Email  string         `json:"email"`
	TypeID string         `json:"type_id,omitempty"`
	Values map[string]any `json:"values,omitempty"`
	// Hash is the chosen password's argon2id hash, "" for none.
	Hash string   `json:"hash,omitempty"`
	Docs []string `json:"docs,omitempty"`
}

// attributeField is the wire field asking for attribute a.
func attributeField(a directory.AttributeField, required bool, value string) wire.Field {
	f := wire.Field{Name: a.Name, Type: wire.FieldText, Label: "field." + a.Name + ".label", Required: required, Value: value,
		Constraints: wire.Constraints{MaxLength: a.MaxLength}}
	if !a.Base {
		// Custom attributes have no catalog text yet: the label is the
		// attribute's name, which a renderer shows as it is.
		f.Label = a.Name
	}
	switch a.Kind {
	case directory.KindInteger, directory.KindNumber:
		f.Type, f.Constraints.InputMode = wire.FieldNumber, "decimal"
	case directory.KindBoolean:
		f.Type = wire.FieldCheckbox
	case directory.KindEnum:
		f.Type = wire.FieldSelect
		for _, o := range a.Options {
			f.Options = append(f.Options, wire.Option{Value: o})
		}
	}
	switch a.Name {
	case "given_name":
		f.Constraints.Autocomplete = "given-name"
	case "family_name":
		f.Constraints.Autocomplete = "family-name"
	case "name":
		f.Constraints.Autocomplete = "name"
	case "phone":
		f.Type, f.Constraints.Autocomplete, f.Constraints.InputMode = wire.FieldTel, "tel", "tel"
	case "locale":
		f.Constraints.Autocomplete = "language"
	}
	return f
}

// termsFields are the checkboxes accepting docs.
func termsFields(docs []terms.Document) []asked {
	var out []asked
	for _, d := range docs {
		out = append(out, asked{Doc: d.ID, Field: wire.Field{
			Name: termsField + d.Kind, Type: wire.FieldCheckbox, Label: MsgAcceptTermsLabel, Required: true,
			LabelParams: []wire.Param{{Name: "title", Value: d.Title}, {Name: "version", Value: d.Version}, {Name: "url", Value: d.URL}},
		}})
	}
	return out
}

// startRegistration moves the flow from identify to the registration
// form the app's enrollment policy describes.
func (e *Engine) startRegistration(ctx context.Context, f *flow) error {
	return e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		pol, err := e.Policies.Enrollment(ctx, tx, f.TenantID, f.ClientID)
		if err != nil {
			return err
		}
		if !pol.Registration {
			return ErrUnknownAction
		}
		typ, err := e.enrollmentType(ctx, tx, f.TenantID, pol.UserTypeID)
		if err != nil {
			return err
		}
		ask := []asked{{Field: wire.Field{Name: FieldEmail, Type: wire.FieldEmail, Label: MsgEmailLabel, Required: true, Value: f.State.Login,
			Constraints: wire.Constraints{MaxLength: maxLoginLen, Autocomplete: "email", InputMode: "email"}}}}
		if !strings.Contains(f.State.Login, "@") {
			ask[0].Field.Value = ""
		}
		for _, a := range pol.Attributes {
			if fld, ok := typ.Field(a.Name); ok {
				ask = append(ask, asked{Field: attributeField(fld, a.Required, ""), Attr: &fld})
			}
		}
		d, err := e.preAuth(ctx, tx, f)
		if err != nil {
			return err
		}
		if slices.Contains(d.Authenticators, factorPassword) {
			ask = append(ask, asked{Field: wire.Field{Name: FieldNewPassword, Type: wire.FieldPassword, Label: MsgNewPasswordLabel, Secret: true,
				Required: !slices.Contains(d.Authenticators, factorEmail), Constraints: wire.Constraints{MaxLength: 1024, Autocomplete: "new-password"}}})
		}
		docs, err := e.Terms.Current(ctx, tx, f.TenantID)
		if err != nil {
			return err
		}
		docs = slices.DeleteFunc(docs, func(d terms.Document) bool { return !d.Required })
		ask = append(ask, termsFields(docs)...)
		f.Step, f.Attempts, f.State.Messages = StepRegister, 0, nil
		f.State.Journey, f.State.Ask, f.State.UserID, f.State.Email = journeyRegister, ask, "", nil
		return e.update(ctx, tx, f)
	})
}

// enrollmentType is the user type registrations of a policy create.
func (e *Engine) enrollmentType(ctx context.Context, tx store.Tx, tenantID, typeID string) (directory.UserType, error) {
	if typeID == "" {
		return e.Directory.DefaultUserType(ctx, tx, tenantID)
	}
	return e.Directory.UserType(ctx, tx, tenantID, typeID)
}

// readAsked reads the values submitted for the step's fields: attribute
// values parsed, terms checked, the email and password returned as they
// are. Problems become messages on their fields; the fields keep what
// was typed (never a secret).
func readAsked(f *flow, req wire.ContinueRequest) (values map[string]any, docs []string, email, password string, msgs []wire.Message) {
	values = map[string]any{}
	for i := range f.State.Ask {
		a := &f.State.Ask[i]
		raw, _ := req.Value(a.Field.Name)
		if !a.Field.Secret {
			a.Field.Value = strings.TrimSpace(raw)
		}
		switch {
		case a.Doc != "":
			if raw != "true" {
				msgs = append(msgs, wire.Message{ID: MsgTermsRequired, Level: wire.LevelError, Field: a.Field.Name})
				continue
			}
			docs = append(docs, a.Doc)
		case a.Attr != nil:
			spec := *a.Attr
			spec.Required = a.Field.Required
			v, err := directory.ParseAttribute(spec, raw)
			switch {
			case err != nil && strings.TrimSpace(raw) == "":
				msgs = append(msgs, wire.Message{ID: MsgFieldRequired, Level: wire.LevelError, Field: a.Field.Name})
			case err != nil:
				msgs = append(msgs, wire.Message{ID: MsgFieldInvalid, Level: wire.LevelError, Field: a.Field.Name})
			case v != nil:
				values[a.Field.Name] = v
			}
		case a.Field.Name == FieldEmail:
			email = strings.TrimSpace(raw)
			switch {
			case email == "":
				msgs = append(msgs, wire.Message{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldEmail})
			case len(email) > maxLoginLen:
				msgs = append(msgs, wire.Message{ID: MsgFieldTooLong, Level: wire.LevelError, Field: FieldEmail, Params: []wire.Param{{Name: "max", Value: strconv.Itoa(maxLoginLen)}}})
			case !plainAddress(email):
				msgs = append(msgs, wire.Message{ID: MsgEmailInvalid, Level: wire.LevelError, Field: FieldEmail})
			}
		case a.Field.Name == FieldNewPassword:
			password = raw
			if password == "" && a.Field.Required {
				msgs = append(msgs, wire.Message{ID: MsgFieldRequired, Level: wire.LevelError, Field: FieldNewPassword})
			}
		}
	}
	return values, docs, email, password, msgs
}

// plainAddress reports whether s is a bare email address (no display
// name, no comments).
func plainAddress(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Name == "" && a.Address == s && strings.Count(s, "@") == 1
}

// register reads the registration form. Refused values come back as
// messages. Otherwise a chosen password is checked by the password policy
// and hashed outside any write transaction; then, with verification
// "before", the registration waits in the flow while the emailed code and
// link go out (to any address alike: whether an account already has it
// shows only once the address is proven); with "after" and a password,
// the account is created and signed in at once.
func (e *Engine) register(ctx context.Context, f *flow, req wire.ContinueRequest, sessionCookie string) (*SessionCookie, error) {
	f.State.Messages = nil
	values, docs, email, pw, msgs := readAsked(f, req)
	var pol policy.Enrollment
	err := e.Store.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if pol, err = e.Policies.Enrollment(ctx, tx, f.TenantID, f.ClientID); err != nil {
			return err
		}
		if pw == "" || len(msgs) > 0 {
			return nil
		}
		pp, err := e.Policies.Password(ctx, tx, f.TenantID)
		if err != nil {
			return err
		}
		refused, err := passwordMessages(e.Policies.CheckPassword(ctx, tx, f.TenantID, "", pw), pp, FieldNewPassword)
		msgs = append(msgs, refused...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("engine: registration: %w", err)
	}
	if !pol.Registration {
		return nil, ErrUnknownAction
	}
	if len(msgs) > 0 {
		f.State.Messages = msgs
		return nil, e.save(ctx, f)
	}
	// Limits count before any hashing or mail: per address and per IP,
	// as for a password attempt.
	var limited bool
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		f.State.Login = email
		if limited, err = e.limited(ctx, tx, f, opPassword); err != nil || !limited {
			return err
		}
		return e.update(ctx, tx, f)
	})
	if err != nil || limited {
		return nil, err
	}
	hash := ""
	if pw != "" {
		if hash, err = e.Passwords.Hash(ctx, pw); err != nil {
			return nil, fmt.Errorf("engine: registration: %w", err)
		}
	}
	p := &pendingRegistration{Email: email, TypeID: pol.UserTypeID, Values: values, Hash: hash, Docs: docs}
	var cookie *SessionCookie
	err = e.Store.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		cookie = nil
		if err := e.reread(ctx, tx, f); err != nil {
			return err
		}
		f.State.Login, f.State.Pending, f.State.Email, f.State.Messages = email, p, nil, nil
		if pol.EmailVerification == policy.VerifyAfter && hash != "" {
			var err error
			if cookie, err = e.createRegistered(ctx, tx, f, false, factorPassword, sessionCookie); err != nil {
				return err
			}
			return e.update(ctx, tx, f)
		}
		return e.sendAndPoll(ctx, tx, f)
	})
	if err != nil {
		return nil, fmt.Errorf("engine: registration: %w", err)
	}
	return cookie, nil
}

// createRegistered creates the account of the flow's pending
// registration, its password and terms acceptances, then signs the person
// in with the factor proven. An address not verified yet (verification
// "after") gets, in the same transaction, a link that verifies it,
// mailed through the outbox. An address taken meanwhile (or before: the
// form does not tell) ends the flow saying so; the person proved it is
// theirs, so nothing is revealed to anyone else.
func (e *Engine) createRegistered(ctx context.Context, tx store.Tx, f *flow, verified bool, factor, sessionCookie string) (*SessionCookie, error) {
	p := f.State.Pending
	if p == nil {
		return nil, fmt.Errorf("engine: flow %s: no pending registration", f.ID)
	}
	in := directory.UserInput{Login: p.Email, Email: p.Email, EmailVerified: verified, TypeID: p.TypeID,
		Status: directory.StatusActive, Actor: events.Ref{Type: "system", ID: "registration"}, Profile: map[string]any{}}
	in.Assign(p.Values)
	if in.Locale == "" {
		in.Locale = f.State.Locale
	}
	u, err := e.Directory.CreateUser(ctx, tx, f.TenantID, in)
	if errors.Is(err, store.ErrConflict) {
		f.Step, f.Done = wire.StepError, true
		f.State.Messages, f.State.Pending = []wire.Message{{ID: MsgRegisterExists, Level: wire.LevelError}}, nil
		return nil, e.event(ctx, tx, f, "user.registration", events.Failure, "", map[string]any{"reason": "exists"})
	}
	if err != nil {
		return nil, err
	}
	if p.Hash != "" {
		if err := e.Directory.SetCredential(ctx, tx, f.TenantID, u.ID, directory.CredentialPassword, p.Hash); err != nil {
			return nil, err
		}
		if err := e.Policies.RememberPassword(ctx, tx, f.TenantID, u.ID, p.Hash); err != nil {
			return nil, err
		}
	}
	if len(p.Docs) > 0 {
		if err := e.Terms.Accept(ctx, tx, f.TenantID, u.ID, p.Docs); err != nil {
			return nil, err
		}
	}
	if err := e.event(ctx, tx, f, "user.registered", events.Success, u.ID, map[string]any{"email_verified": verified}); err != nil {
		return nil, err
	}
	if !verified {
		// The welcome waits for the address to be proven (VerifyEmailLink).
		if err := e.sendVerification(ctx, tx, f, u); err != nil {
			return nil, err
		}
	} else if err := e.welcome(ctx, tx, f, u, f.State.AppLogin); err != nil {
		return nil, err
	}
	f.State.Journey, f.State.Pending, f.State.Ask, f.State.UserID = "", nil, nil, u.ID
	f.State.NewAccount = true
	return e.proved(ctx, tx, f, factor, sessionCookie)
}
