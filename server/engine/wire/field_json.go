package wire

func (x Field) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("name", x.Name)
	o.str("type", string(x.Type))
	o.optStr("label", x.Label)
	if len(x.LabelParams) > 0 {
		o.key("label_params")
		o.b = appendParams(o.b, x.LabelParams)
	}
	o.optBool("required", x.Required)
	o.optBool("secret", x.Secret)
	if !x.Secret {
		o.optStr("value", x.Value)
	}
	if len(x.Options) > 0 {
		o.key("options")
		o.b = appendList(o.b, x.Options, Option.appendJSON)
	}
	if !x.Constraints.IsZero() {
		o.key("constraints")
		o.b = x.Constraints.appendJSON(o.b)
	}
	return o.end()
}

func (x *Field) decode(d *decoder) error {
	var hasName, hasType bool
	err := d.object(func(key string) error {
		switch key {
		case "name":
			hasName = true
			return d.string(&x.Name)
		case "type":
			hasType = true
			return d.string((*string)(&x.Type))
		case "label":
			return d.string(&x.Label)
		case "label_params":
			return d.params(&x.LabelParams)
		case "required":
			return d.boolean(&x.Required)
		case "secret":
			return d.boolean(&x.Secret)
		case "value":
			return d.string(&x.Value)
		case "options":
			return list(d, &x.Options, (*Option).decode)
		case "constraints":
			return x.Constraints.decode(d)
		}
		return d.skip()
	})
	switch {
	case err != nil:
		return err
	case !hasName:
		return errPath(ErrMissing, "name", "")
	case !hasType:
		return errPath(ErrMissing, "type", "")
	}
	if x.Secret {
		x.Value = "" // never carried for secrets, whatever the sender did
	}
	return nil
}

func (x Option) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("value", x.Value)
	o.optStr("label", x.Label)
	return o.end()
}

func (x *Option) decode(d *decoder) error {
	hasValue := false
	err := d.object(func(key string) error {
		switch key {
		case "value":
			hasValue = true
			return d.string(&x.Value)
		case "label":
			return d.string(&x.Label)
		}
		return d.skip()
	})
	if err == nil && !hasValue {
		return errPath(ErrMissing, "value", "")
	}
	return err
}

func (x Constraints) appendJSON(b []byte) []byte {
	o := beginObject(b)
	o.optInt("min_length", x.MinLength)
	o.optInt("max_length", x.MaxLength)
	o.optStr("pattern", x.Pattern)
	o.optStr("autocomplete", x.Autocomplete)
	o.optStr("input_mode", x.InputMode)
	return o.end()
}

func (x *Constraints) decode(d *decoder) error {
	return d.object(func(key string) error {
		switch key {
		case "min_length":
			return d.integer(&x.MinLength)
		case "max_length":
			return d.integer(&x.MaxLength)
		case "pattern":
			return d.string(&x.Pattern)
		case "autocomplete":
			return d.string(&x.Autocomplete)
		case "input_mode":
			return d.string(&x.InputMode)
		}
		return d.skip()
	})
}
