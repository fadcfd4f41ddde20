package directory

// Assign sets in's base attributes (email, given_name, family_name, name,
// locale, phone) from vals, by attribute name, and puts every other value
// in Profile: what a profile step collects or an identity provider's
// mapping gives. A base attribute whose value is not a string is set
// empty. A phone set here is not verified.
func (in *UserInput) Assign(vals map[string]any) {
	if in.Profile == nil {
		in.Profile = map[string]any{}
	}
	for name, v := range vals {
		s, _ := v.(string)
		switch name {
		case "email":
			in.Email = s
		case "given_name":
			in.GivenName = s
		case "family_name":
			in.FamilyName = s
		case "name":
			in.Name = s
		case "locale":
			in.Locale = s
		case "phone":
			in.Phone = s
		default:
			in.Profile[name] = v
		}
	}
}
