package federation

import (
	"maps"
)

// Common CEL of the default mappings.
const (
	celEmail = `email`
	// celLocale keeps a locale only when it is a string (LinkedIn has
	// sent an object).
	celLocale = `"locale" in claims && type(claims.locale) == string ? claims.locale : null`
)

// defaultMappings are the attribute mappings of each kind when
// Config.Mapping is empty. SAML attributes are lists of strings: the
// first value of the first attribute present is taken, under its LDAP
// name, its OID or its Microsoft claim URI.
var defaultMappings = map[Kind]map[string]string{
	KindOIDC:   oidcDefaults,
	KindOAuth2: oidcDefaults,
	KindGoogle: oidcDefaults,
	KindMicrosoft: {
		"email":       celEmail,
		"given_name":  `claims[?"given_name"].orValue(null)`,
		"family_name": `claims[?"family_name"].orValue(null)`,
		"locale":      celLocale,
	},
	KindLinkedIn: oidcDefaults,
	KindApple: {
		// Apple sends the name only once, in the form's user member.
		"email":       celEmail,
		"given_name":  `claims[?"given_name"].or(claims[?"user"][?"name"][?"firstName"]).orValue(null)`,
		"family_name": `claims[?"family_name"].or(claims[?"user"][?"name"][?"lastName"]).orValue(null)`,
	},
	KindFacebook: {
		"email":       celEmail,
		"given_name":  `claims[?"given_name"].or(claims[?"first_name"]).orValue(null)`,
		"family_name": `claims[?"family_name"].or(claims[?"last_name"]).orValue(null)`,
		"locale":      celLocale,
	},
	KindGitHub: {
		// GitHub has one display name; it stands for the given name.
		"email":      celEmail,
		"given_name": `claims[?"given_name"].or(claims[?"name"]).orValue(null)`,
	},
	KindSAML: {
		"email": celEmail,
		"given_name": `claims[?"givenName"][?0].or(claims[?"urn:oid:2.5.4.42"][?0])` +
			`.or(claims[?"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname"][?0]).orValue(null)`,
		"family_name": `claims[?"sn"][?0].or(claims[?"urn:oid:2.5.4.4"][?0])` +
			`.or(claims[?"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname"][?0]).orValue(null)`,
		"locale": `claims[?"preferredLanguage"][?0].or(claims[?"urn:oid:2.16.840.1.113730.3.1.39"][?0]).orValue(null)`,
	},
}

// oidcDefaults is the mapping of OpenID Connect's standard claims.
var oidcDefaults = map[string]string{
	"email":       celEmail,
	"given_name":  `claims[?"given_name"].orValue(null)`,
	"family_name": `claims[?"family_name"].orValue(null)`,
	"locale":      celLocale,
}

// DefaultMapping returns the attribute mapping an identity provider of
// kind k uses when its Config.Mapping is empty, as CEL text (a copy the
// caller may change); nil for an unknown kind.
func DefaultMapping(k Kind) map[string]string {
	return maps.Clone(defaultMappings[k])
}

// effectiveMapping is c's mapping, or the kind's default.
func effectiveMapping(k Kind, c Config) map[string]string {
	if len(c.Mapping) > 0 {
		return c.Mapping
	}
	return defaultMappings[k]
}
