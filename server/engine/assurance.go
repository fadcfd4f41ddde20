package engine

import (
	"slices"
	"strings"

	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/policy"
)

// The factors a flow can prove, named as the sign-on policy names its
// authenticators.
const (
	factorPassword     = policy.AuthPassword
	factorEmail        = policy.AuthEmail
	factorPasskey      = policy.AuthPasskey
	factorTOTP         = policy.AuthTOTP
	factorSMS          = policy.AuthSMS
	factorVoice        = policy.AuthVoice
	factorRecoveryCode = policy.AuthRecoveryCode
	factorAnswer       = policy.AuthSecurityAnswer
)

// amrOf is each factor's authentication method reference (RFC 8176). A
// passkey is "hwk" (a key bound to its device) or, once its provider
// backs it up (synced passkeys), "swk"; see amrOfPasskey.
var amrOf = map[string]string{
	factorPassword: "pwd", factorEmail: "otp", factorTOTP: "otp", factorRecoveryCode: "otp",
	factorSMS: "sms", factorVoice: "tel", factorAnswer: "kba", factorPasskey: "hwk",
	factorFederated: "fed",
}

// amrMFA is the amr value of a sign-in that used more than one factor.
const amrMFA = "mfa"

// Authentication context classes (acr) the engine reaches; see
// oidc.ACRValues, which lists them weakest first.
const (
	ACROneFactor                 = oidc.ACROneFactor
	ACRTwoFactors                = oidc.ACRTwoFactors
	ACRPhishingResistant         = oidc.ACRPhishingResistant
	ACRPhishingResistantHardware = oidc.ACRPhishingResistantHardware
)

// acrLevel is the rank of an acr in oidc.ACRValues, -1 for one Lintel does not
// know.
func acrLevel(acr string) int { return slices.Index(oidc.ACRValues, acr) }

// requestedACR is the first class of a request's acr_values (space-
// separated, preferred first) that Lintel knows, "" when none: what the
// sign-in must reach. Unknown values are ignored, as OpenID Connect asks
// of voluntary acr_values.
func requestedACR(acrValues string) string {
	for _, v := range strings.Fields(acrValues) {
		if acrLevel(v) >= 0 {
			return v
		}
	}
	return ""
}

// proof is what a flow or a session has proven: the factors and whether a
// passkey was verified by its owner (which counts as two factors) and
// bound to its device.
type proof struct {
	// Factors are the factor names proven, each once.
	Factors []string `json:"factors,omitempty"`
	// Carried counts factors a live session of the same person proved
	// before this flow (step-up); their amr values are in CarriedAMR.
	Carried    int      `json:"carried,omitempty"`
	CarriedAMR []string `json:"carried_amr,omitempty"`
	// PasskeyUV says a passkey was used with user verification;
	// PasskeySynced that it is backed up by its provider.
	PasskeyUV     bool `json:"passkey_uv,omitempty"`
	PasskeySynced bool `json:"passkey_synced,omitempty"`
}

// count is how many factors the proof stands for: distinct factors by
// their amr (an emailed code and an authenticator app's are both "otp"
// and count once), a passkey verified by its owner as two, plus what a
// session carried.
func (p proof) count() int {
	var amrs []string
	n := p.Carried
	for _, a := range p.Factors {
		if a == factorPasskey && p.PasskeyUV {
			n += 2
			continue
		}
		if v := amrOf[a]; !slices.Contains(amrs, v) && !slices.Contains(p.CarriedAMR, v) {
			amrs = append(amrs, v)
			n++
		}
	}
	return n
}

// amr lists the proof's authentication methods (RFC 8176), "mfa" last when
// it counts two factors or more.
func (p proof) amr() []string {
	out := slices.Clone(p.CarriedAMR)
	for _, a := range p.Factors {
		v := amrOf[a]
		if a == factorPasskey && p.PasskeySynced {
			v = "swk"
		}
		if !slices.Contains(out, v) {
			out = append(out, v)
		}
		if a == factorPasskey && p.PasskeyUV && !slices.Contains(out, "user") {
			out = append(out, "user") // the owner was verified on the device
		}
	}
	out = slices.DeleteFunc(out, func(v string) bool { return v == amrMFA })
	if p.count() >= 2 {
		out = append(out, amrMFA)
	}
	return out
}

// acr is the strongest class the proof reaches.
func (p proof) acr() string {
	switch {
	case slices.Contains(p.Factors, factorPasskey) && p.PasskeyUV && !p.PasskeySynced:
		return ACRPhishingResistantHardware
	case slices.Contains(p.Factors, factorPasskey) && p.PasskeyUV:
		return ACRPhishingResistant
	case p.count() >= 2:
		return ACRTwoFactors
	}
	return ACROneFactor
}

// reaches reports whether the proof satisfies the class want ("" always).
func (p proof) reaches(want string) bool {
	return want == "" || acrLevel(p.acr()) >= acrLevel(want)
}

// answeredACR is the acr a token states for a sign-in: the class the
// request asked for when it was reached, else the strongest reached.
func answeredACR(reached, requested string) string {
	if requested != "" && acrLevel(reached) >= acrLevel(requested) {
		return requested
	}
	return reached
}

// sessionProof is what a session's amr says was proven, for a step-up
// that asks only for what is missing: the count, and the amr values whose
// factors are not asked for again.
func sessionProof(amr []string) proof {
	p := proof{CarriedAMR: slices.DeleteFunc(slices.Clone(amr), func(v string) bool { return v == amrMFA || v == "user" })}
	switch {
	case slices.Contains(amr, amrMFA):
		p.Carried = 2
	case len(p.CarriedAMR) > 0:
		p.Carried = 1
	}
	return p
}

// sessionACR is the class a session's amr reaches.
func sessionACR(amr []string) string {
	switch {
	case slices.Contains(amr, "hwk") && slices.Contains(amr, "user"):
		return ACRPhishingResistantHardware
	case slices.Contains(amr, "swk") && slices.Contains(amr, "user"):
		return ACRPhishingResistant
	case slices.Contains(amr, amrMFA):
		return ACRTwoFactors
	}
	return ACROneFactor
}
