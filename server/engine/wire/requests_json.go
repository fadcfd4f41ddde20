package wire

// member pairs a JSON key with the string it holds.
type member struct {
	key string
	val *string
}

// members lists r's members in their JSON order; client_id comes first.
func (r *StartRequest) members() []member {
	return []member{
		{"client_id", &r.ClientID},
		{"redirect_uri", &r.RedirectURI},
		{"scope", &r.Scope},
		{"state", &r.State},
		{"nonce", &r.Nonce},
		{"code_challenge", &r.CodeChallenge},
		{"code_challenge_method", &r.CodeChallengeMethod},
		{"login_hint", &r.LoginHint},
		{"ui_locales", &r.UILocales},
		{"prompt", &r.Prompt},
		{"acr_values", &r.ACRValues},
		{"authorization_server", &r.Server},
	}
}

// AppendJSON appends the JSON encoding of r to b and returns the result:
// an object with the OAuth parameter names as keys ("client_id",
// "redirect_uri", "code_challenge", …). client_id is always written,
// the others only when not empty.
func (r StartRequest) AppendJSON(b []byte) []byte {
	o := beginObject(b)
	for i, m := range r.members() {
		if i == 0 {
			o.str(m.key, *m.val)
		} else {
			o.optStr(m.key, *m.val)
		}
	}
	return o.end()
}

// ParseStartRequest decodes a StartRequest from JSON. Only client_id is
// required; every value is a string. Unknown members are ignored; null
// stands for an absent member. Errors wrap ErrSyntax, ErrTooLarge,
// ErrTooDeep, ErrDuplicateKey, ErrMissing or ErrType.
func ParseStartRequest(data []byte) (StartRequest, error) {
	var r StartRequest
	members := r.members()
	hasClient := false
	err := decode(data, func(d *decoder) error {
		return d.object(func(key string) error {
			for _, m := range members {
				if m.key == key {
					hasClient = hasClient || key == "client_id"
					return d.string(m.val)
				}
			}
			return d.skip()
		})
	})
	if err == nil && !hasClient {
		err = errPath(ErrMissing, "client_id", "")
	}
	if err != nil {
		return StartRequest{}, err
	}
	return r, nil
}

// AppendJSON appends the JSON encoding of r to b and returns the result:
// {"action": …, "values": {"name": "value", …}} with the values in
// order; "values" is left out when there are none, and a name repeated
// after its first occurrence is left out.
func (r ContinueRequest) AppendJSON(b []byte) []byte {
	o := beginObject(b)
	o.str("action", r.Action)
	if len(r.Values) > 0 {
		o.key("values")
		o.b = appendParams(o.b, r.Values)
	}
	return o.end()
}

// ParseContinueRequest decodes a ContinueRequest from JSON. action is
// required; values is an object of strings, read in document order, with
// no name twice (a null value counts as absent). Unknown members are
// ignored. Errors wrap ErrSyntax, ErrTooLarge, ErrTooDeep,
// ErrDuplicateKey, ErrMissing or ErrType.
func ParseContinueRequest(data []byte) (ContinueRequest, error) {
	var r ContinueRequest
	hasAction := false
	err := decode(data, func(d *decoder) error {
		return d.object(func(key string) error {
			switch key {
			case "action":
				hasAction = true
				return d.string(&r.Action)
			case "values":
				return d.params(&r.Values)
			}
			return d.skip()
		})
	})
	if err == nil && !hasAction {
		err = errPath(ErrMissing, "action", "")
	}
	if err != nil {
		return ContinueRequest{}, err
	}
	return r, nil
}

// params reads an object of strings into *dst in document order. Members
// whose value is null are left out.
func (d *decoder) params(dst *[]Param) error {
	return d.object(func(name string) error {
		var v string
		if err := d.string(&v); err != nil {
			return err
		}
		*dst = append(*dst, Param{Name: name, Value: v})
		return nil
	})
}
