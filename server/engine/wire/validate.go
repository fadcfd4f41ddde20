package wire

import "strconv"

// Validate checks that f follows the protocol's rules beyond its
// encoding, and returns the first problem found:
//
//   - ID and Step are set, and a StepDone flow has a Redirect (ErrMissing);
//   - every field has a Name and a Type, every action a Name and every
//     message an ID and a Level (ErrMissing);
//   - field names are unique, and so are action names, the option values
//     of each field and the parameter names of each message and of each
//     action's label (ErrDuplicateKey);
//   - a secret field carries no Value, constraints are not negative and
//     MinLength is at most a non-zero MaxLength (ErrInvalid);
//   - a message's Level is LevelError, LevelInfo or LevelWarning, and
//     its Field, if set, names a field of f (ErrInvalid);
//   - Context.Dir is empty, DirLTR or DirRTL (ErrInvalid).
//
// Step kinds and field types it does not know are valid: clients render
// them generically.
func (f Flow) Validate() error {
	switch {
	case f.ID == "":
		return errPath(ErrMissing, "id", "")
	case f.Step == "":
		return errPath(ErrMissing, "step", "")
	case f.Step == StepDone && f.Redirect == "":
		return errPath(ErrMissing, "redirect", "a done step needs one")
	}
	fields := make(map[string]bool, len(f.Fields))
	for i, x := range f.Fields {
		if err := x.validate(fields); err != nil {
			return inKey(inIndex(err, i), "fields")
		}
	}
	actions := make(map[string]bool, len(f.Actions))
	for i, x := range f.Actions {
		var err error
		switch {
		case x.Name == "":
			err = errPath(ErrMissing, "name", "")
		case actions[x.Name]:
			err = errPath(ErrDuplicateKey, "name", quote(x.Name))
		default:
			err = uniqueParams(x.LabelParams, "label_params")
		}
		if err != nil {
			return inKey(inIndex(err, i), "actions")
		}
		actions[x.Name] = true
	}
	for i, x := range f.Messages {
		if err := x.validate(fields); err != nil {
			return inKey(inIndex(err, i), "messages")
		}
	}
	if d := f.Context.Dir; d != "" && d != DirLTR && d != DirRTL {
		return errPath(ErrInvalid, "context.dir", quote(d))
	}
	return nil
}

// validate checks one field and adds its name to seen.
func (x Field) validate(seen map[string]bool) error {
	switch {
	case x.Name == "":
		return errPath(ErrMissing, "name", "")
	case seen[x.Name]:
		return errPath(ErrDuplicateKey, "name", quote(x.Name))
	case x.Type == "":
		return errPath(ErrMissing, "type", "")
	case x.Secret && x.Value != "":
		return errPath(ErrInvalid, "value", "a secret field carries no value")
	case x.Constraints.MinLength < 0:
		return errPath(ErrInvalid, "constraints.min_length", "negative")
	case x.Constraints.MaxLength < 0:
		return errPath(ErrInvalid, "constraints.max_length", "negative")
	case x.Constraints.MaxLength > 0 && x.Constraints.MinLength > x.Constraints.MaxLength:
		return errPath(ErrInvalid, "constraints.min_length", "above max_length")
	}
	seen[x.Name] = true
	for i, o := range x.Options {
		if hasOption(x.Options[:i], o.Value) {
			return errPath(ErrDuplicateKey, "options["+strconv.Itoa(i)+"].value", quote(o.Value))
		}
	}
	return nil
}

func hasParam(ps []Param, name string) bool {
	for _, p := range ps {
		if p.Name == name {
			return true
		}
	}
	return false
}

func hasOption(os []Option, value string) bool {
	for _, o := range os {
		if o.Value == value {
			return true
		}
	}
	return false
}

// validate checks one message against the names of the flow's fields.
func (x Message) validate(fields map[string]bool) error {
	switch {
	case x.ID == "":
		return errPath(ErrMissing, "id", "")
	case x.Level == "":
		return errPath(ErrMissing, "level", "")
	case x.Level != LevelError && x.Level != LevelInfo && x.Level != LevelWarning:
		return errPath(ErrInvalid, "level", quote(x.Level))
	case x.Field != "" && !fields[x.Field]:
		return errPath(ErrInvalid, "field", quote(x.Field)+" is not a field of the flow")
	}
	return uniqueParams(x.Params, "params")
}

// uniqueParams checks that the names of ps, found at key, are unique.
func uniqueParams(ps []Param, key string) error {
	for i, p := range ps {
		if hasParam(ps[:i], p.Name) {
			return errPath(ErrDuplicateKey, key, quote(p.Name))
		}
	}
	return nil
}
