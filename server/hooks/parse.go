package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// parsers decode and check each command's value.
var parsers = map[CommandType]func(scope, json.RawMessage) (any, error){
	CmdClaimsSet:       parseClaimsSet,
	CmdClaimsRemove:    parseClaimsRemove,
	CmdDeny:            parseDeny,
	CmdProfileSet:      parseProfileSet,
	CmdFieldError:      parseFieldError,
	CmdGroupsAdd:       parseGroupsAdd,
	CmdPasswordVerdict: parsePasswordVerdict,
	CmdSkip:            parseSkip,
	CmdUserCreate:      parseUserCreate,
	CmdTelephonyResult: parseTelephonyResult,
	CmdRiskLevel:       parseRiskLevel,
}

// value decodes a command's value strictly; a missing value is refused
// unless optional, when it reads as {}.
func value(raw json.RawMessage, v any, optional bool) error {
	if len(bytes.TrimSpace(raw)) == 0 || bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		if optional {
			return nil
		}
		return errors.New("value is required")
	}
	if err := strictDecode(raw, v); err != nil {
		return errors.New("malformed value")
	}
	return nil
}

func checkTarget(t *string) error {
	if t == nil || *t != TargetAccess && *t != TargetID {
		return errors.New(`target must be "access" or "id"`)
	}
	return nil
}

// checkClaimName refuses a claim a hook may not touch.
func checkClaimName(name string) error {
	if why := checkText(name, maxItemLen); why != "" {
		return fmt.Errorf("a claim name %s", why)
	}
	l := strings.ToLower(name)
	if refusedClaims[l] || strings.HasPrefix(l, "lintel") {
		return errors.New("names a registered or reserved claim")
	}
	return nil
}

func parseClaimsSet(_ scope, raw json.RawMessage) (any, error) {
	var w struct {
		Target *string                    `json:"target"`
		Claims map[string]json.RawMessage `json:"claims"`
	}
	if err := value(raw, &w, false); err != nil {
		return nil, err
	}
	if err := checkTarget(w.Target); err != nil {
		return nil, err
	}
	if len(w.Claims) == 0 || len(w.Claims) > maxNames {
		return nil, fmt.Errorf("claims must hold 1 to %d claims", maxNames)
	}
	out := ClaimsSet{Target: *w.Target, Claims: make(map[string]json.RawMessage, len(w.Claims))}
	for name, v := range w.Claims {
		if err := checkClaimName(name); err != nil {
			return nil, err
		}
		c, err := compact(v)
		if err != nil {
			return nil, err
		}
		if string(c) == "null" {
			return nil, errors.New("a claim value is null (remove it with token.claims.remove)")
		}
		out.Claims[name] = c
	}
	return out, nil
}

func parseClaimsRemove(_ scope, raw json.RawMessage) (any, error) {
	var w struct {
		Target *string  `json:"target"`
		Names  []string `json:"names"`
	}
	if err := value(raw, &w, false); err != nil {
		return nil, err
	}
	if err := checkTarget(w.Target); err != nil {
		return nil, err
	}
	if len(w.Names) == 0 || len(w.Names) > maxNames {
		return nil, fmt.Errorf("names must hold 1 to %d names", maxNames)
	}
	for _, n := range w.Names {
		if err := checkClaimName(n); err != nil {
			return nil, err
		}
	}
	return ClaimsRemove{Target: *w.Target, Names: w.Names}, nil
}

func parseDeny(_ scope, raw json.RawMessage) (any, error) {
	var w wireDenial
	if err := value(raw, &w, true); err != nil {
		return nil, err
	}
	return denial(&w)
}

// attributes checks the attributes of profile.set or user.create.
func attributes(m map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	if len(m) > maxNames {
		return nil, fmt.Errorf("more than %d attributes", maxNames)
	}
	out := make(map[string]json.RawMessage, len(m))
	for name, v := range m {
		if why := checkText(name, maxItemLen); why != "" {
			return nil, fmt.Errorf("an attribute name %s", why)
		}
		if refusedAttributes[strings.ToLower(name)] {
			return nil, errors.New("names an attribute a hook may not set")
		}
		c, err := compact(v)
		if err != nil {
			return nil, err
		}
		out[name] = c
	}
	return out, nil
}

func parseProfileSet(_ scope, raw json.RawMessage) (any, error) {
	var m map[string]json.RawMessage
	if err := value(raw, &m, false); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, errors.New("sets no attribute")
	}
	a, err := attributes(m)
	if err != nil {
		return nil, err
	}
	return ProfileSet{Attributes: a}, nil
}

func parseFieldError(_ scope, raw json.RawMessage) (any, error) {
	var w struct {
		Field     string            `json:"field"`
		MessageID string            `json:"message_id"`
		Params    map[string]string `json:"params"`
	}
	if err := value(raw, &w, false); err != nil {
		return nil, err
	}
	if why := checkText(w.Field, maxItemLen); why != "" {
		return nil, fmt.Errorf("field %s", why)
	}
	if !validMessageID(w.MessageID) {
		return nil, errors.New("message_id must match ^[a-z0-9_.-]{1,100}$")
	}
	if err := checkParams(w.Params); err != nil {
		return nil, err
	}
	return FieldError{Field: w.Field, MessageID: w.MessageID, Params: w.Params}, nil
}

func parseGroupsAdd(_ scope, raw json.RawMessage) (any, error) {
	var w struct {
		Names []string `json:"names"`
	}
	if err := value(raw, &w, false); err != nil {
		return nil, err
	}
	if len(w.Names) == 0 || len(w.Names) > maxNames {
		return nil, fmt.Errorf("names must hold 1 to %d groups", maxNames)
	}
	for _, n := range w.Names {
		if why := checkText(n, maxItemLen); why != "" {
			return nil, fmt.Errorf("a group name %s", why)
		}
	}
	return GroupsAdd{Names: w.Names}, nil
}

func parsePasswordVerdict(_ scope, raw json.RawMessage) (any, error) {
	var w struct {
		Verified *bool `json:"verified"`
	}
	if err := value(raw, &w, false); err != nil {
		return nil, err
	}
	if w.Verified == nil {
		return nil, errors.New("verified is required")
	}
	return PasswordVerdict{Verified: *w.Verified}, nil
}

func parseSkip(_ scope, raw json.RawMessage) (any, error) {
	var w struct {
		Reason string `json:"reason"`
	}
	if err := value(raw, &w, true); err != nil {
		return nil, err
	}
	if w.Reason != "" {
		if why := checkText(w.Reason, MaxParamLen); why != "" {
			return nil, fmt.Errorf("reason %s", why)
		}
	}
	return Skip(w), nil
}

func parseUserCreate(sc scope, raw json.RawMessage) (any, error) {
	var w struct {
		Login   string                     `json:"login"`
		Email   string                     `json:"email"`
		Profile map[string]json.RawMessage `json:"profile"`
	}
	if err := value(raw, &w, false); err != nil {
		return nil, err
	}
	if !loginMatches(w.Login, sc.login) {
		return nil, errors.New("login is not the request's login")
	}
	if w.Email != "" {
		if why := checkText(w.Email, 320); why != "" {
			return nil, fmt.Errorf("email %s", why)
		}
	}
	p, err := attributes(w.Profile)
	if err != nil {
		return nil, err
	}
	return UserCreate{Login: w.Login, Email: w.Email, Profile: p}, nil
}

func parseTelephonyResult(_ scope, raw json.RawMessage) (any, error) {
	var w struct {
		Status            string `json:"status"`
		ProviderMessageID string `json:"provider_message_id"`
	}
	if err := value(raw, &w, false); err != nil {
		return nil, err
	}
	if w.Status != TelephonySent && w.Status != TelephonyFailed {
		return nil, errors.New(`status must be "sent" or "failed"`)
	}
	if w.ProviderMessageID != "" {
		if why := checkText(w.ProviderMessageID, MaxParamLen); why != "" {
			return nil, fmt.Errorf("provider_message_id %s", why)
		}
	}
	return TelephonyResult(w), nil
}

func parseRiskLevel(_ scope, raw json.RawMessage) (any, error) {
	var w struct {
		Level string `json:"level"`
	}
	if err := value(raw, &w, false); err != nil {
		return nil, err
	}
	if w.Level != RiskLow && w.Level != RiskMedium && w.Level != RiskHigh {
		return nil, errors.New(`level must be "low", "medium" or "high"`)
	}
	return RiskLevel(w), nil
}

// compact returns a JSON value without insignificant space.
func compact(v json.RawMessage) (json.RawMessage, error) {
	var b bytes.Buffer
	if err := json.Compact(&b, v); err != nil {
		return nil, errors.New("malformed value")
	}
	return b.Bytes(), nil
}
