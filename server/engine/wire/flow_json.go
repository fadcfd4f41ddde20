package wire

// AppendJSON appends the JSON encoding of f to b and returns the result.
// The members id, step, fields, actions and messages are always present
// (the lists as arrays, possibly empty) so clients can use them without
// checks; other members are left out when empty. The value of a secret
// field is never written.
func (f Flow) AppendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("id", f.ID)
	if f.ExpiresAt != 0 {
		o.key("expires_at")
		o.b = appendTime(o.b, f.ExpiresAt)
	}
	o.str("step", string(f.Step))
	o.key("fields")
	o.b = appendList(o.b, f.Fields, Field.appendJSON)
	o.key("actions")
	o.b = appendList(o.b, f.Actions, Action.appendJSON)
	o.key("messages")
	o.b = appendList(o.b, f.Messages, Message.appendJSON)
	if f.Context != (Context{}) {
		o.key("context")
		o.b = f.Context.appendJSON(o.b)
	}
	o.optStr("redirect", f.Redirect)
	return o.end()
}

// ParseFlow decodes a Flow from JSON. The members id and step are
// required; so are name and type of each field, value of each option,
// name of each action and id of each message. Unknown members are
// ignored; null stands for an absent member. A secret field's value is
// dropped. Errors wrap ErrSyntax, ErrTooLarge, ErrTooDeep,
// ErrDuplicateKey, ErrMissing or ErrType. ParseFlow checks the encoding
// only; see Validate for the protocol's rules.
func ParseFlow(data []byte) (Flow, error) {
	var f Flow
	if err := decode(data, f.decode); err != nil {
		return Flow{}, err
	}
	return f, nil
}

func (f *Flow) decode(d *decoder) error {
	var hasID, hasStep bool
	err := d.object(func(key string) error {
		switch key {
		case "id":
			hasID = true
			return d.string(&f.ID)
		case "expires_at":
			return d.time(&f.ExpiresAt)
		case "step":
			hasStep = true
			return d.string((*string)(&f.Step))
		case "fields":
			return list(d, &f.Fields, (*Field).decode)
		case "actions":
			return list(d, &f.Actions, (*Action).decode)
		case "messages":
			return list(d, &f.Messages, (*Message).decode)
		case "context":
			return f.Context.decode(d)
		case "redirect":
			return d.string(&f.Redirect)
		}
		return d.skip()
	})
	switch {
	case err != nil:
		return err
	case !hasID:
		return errPath(ErrMissing, "id", "")
	case !hasStep:
		return errPath(ErrMissing, "step", "")
	}
	return nil
}

func (x Action) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("name", x.Name)
	o.optStr("method", x.Method)
	o.optStr("href", x.Href)
	o.optStr("label", x.Label)
	if len(x.LabelParams) > 0 {
		o.key("label_params")
		o.b = appendParams(o.b, x.LabelParams)
	}
	o.optBool("primary", x.Primary)
	return o.end()
}

func (x *Action) decode(d *decoder) error {
	hasName := false
	err := d.object(func(key string) error {
		switch key {
		case "name":
			hasName = true
			return d.string(&x.Name)
		case "method":
			return d.string(&x.Method)
		case "href":
			return d.string(&x.Href)
		case "label":
			return d.string(&x.Label)
		case "label_params":
			return d.params(&x.LabelParams)
		case "primary":
			return d.boolean(&x.Primary)
		}
		return d.skip()
	})
	if err == nil && !hasName {
		return errPath(ErrMissing, "name", "")
	}
	return err
}

func (x Message) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("id", x.ID)
	if len(x.Params) > 0 {
		o.key("params")
		o.b = appendParams(o.b, x.Params)
	}
	o.optStr("level", x.Level)
	o.optStr("field", x.Field)
	return o.end()
}

func (x *Message) decode(d *decoder) error {
	hasID := false
	err := d.object(func(key string) error {
		switch key {
		case "id":
			hasID = true
			return d.string(&x.ID)
		case "params":
			return d.params(&x.Params)
		case "level":
			return d.string(&x.Level)
		case "field":
			return d.string(&x.Field)
		}
		return d.skip()
	})
	if err == nil && !hasID {
		return errPath(ErrMissing, "id", "")
	}
	return err
}

func (x Context) appendJSON(b []byte) []byte {
	o := beginObject(b)
	if x.App != (App{}) {
		o.key("app")
		a := beginObject(o.b)
		a.optStr("id", x.App.ID)
		a.optStr("name", x.App.Name)
		o.b = a.end()
	}
	o.optStr("brand", x.Brand)
	o.optStr("user_hint", x.UserHint)
	o.optStr("locale", x.Locale)
	o.optStr("dir", x.Dir)
	return o.end()
}

func (x *Context) decode(d *decoder) error {
	return d.object(func(key string) error {
		switch key {
		case "app":
			return d.object(func(key string) error {
				switch key {
				case "id":
					return d.string(&x.App.ID)
				case "name":
					return d.string(&x.App.Name)
				}
				return d.skip()
			})
		case "brand":
			return d.string(&x.Brand)
		case "user_hint":
			return d.string(&x.UserHint)
		case "locale":
			return d.string(&x.Locale)
		case "dir":
			return d.string(&x.Dir)
		}
		return d.skip()
	})
}
