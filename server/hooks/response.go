package hooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Limits of an answer, beside MaxResponseSize.
const (
	// MaxCommands is the most commands one answer may carry.
	MaxCommands = 100
	// MaxParams and MaxParamLen bound a message's params.
	MaxParams   = 10
	MaxParamLen = 200
	// maxNames bounds the claims, attributes or groups of one command.
	maxNames = 100
	// maxItemLen bounds a claim, attribute, field or group name.
	maxItemLen = 256
)

// Response is a hook's answer, validated.
type Response struct {
	// Commands are the answer's commands in order, deny excepted; HookID
	// is left for the caller to fill.
	Commands []Command
	// Denied is the answer's deny command or "error" (at a point that
	// allows deny), nil when it denies nothing.
	Denied *Denial
}

type wireResponse struct {
	Commands []wireCommand `json:"commands"`
	Error    *wireDenial   `json:"error"`
}

type wireCommand struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
	// UserID and TenantID are refused unless they are the request's.
	UserID   *string `json:"user_id"`
	TenantID *string `json:"tenant_id"`
}

type wireDenial struct {
	MessageID *string           `json:"message_id"`
	Params    map[string]string `json:"params"`
}

// ParseResponse reads and validates a hook's answer to req at point in
// tenantID, as Invoke does: every command is checked before any is
// returned. An empty body is an answer without commands. It returns an
// error wrapping ErrBadResponse when body is not the response JSON, and
// one wrapping ErrCommandRefused, with the reason, when a command is
// unknown, not allowed at point, malformed, or names another user or
// tenant (see the package doc). It never panics.
func ParseResponse(point Point, tenantID string, req Request, body []byte) (Response, error) {
	if len(body) > MaxResponseSize {
		return Response{}, fmt.Errorf("%w: larger than %d bytes", ErrBadResponse, MaxResponseSize)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return Response{}, nil
	}
	var w wireResponse
	if err := strictDecode(body, &w); err != nil {
		return Response{}, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if _, ok := allowed[point]; !ok {
		return Response{}, fmt.Errorf("hooks: unknown point %q", point)
	}
	if len(w.Commands) > MaxCommands {
		return Response{}, fmt.Errorf("%w: more than %d commands", ErrCommandRefused, MaxCommands)
	}
	if w.Error != nil {
		if len(w.Commands) > 0 {
			return Response{}, fmt.Errorf("%w: an answer carries commands or an error, not both", ErrCommandRefused)
		}
		if !Allowed(point, CmdDeny) {
			return Response{}, fmt.Errorf("%w: the hook answered an error, and the %s point cannot deny", ErrCommandRefused, point)
		}
		d, err := denial(w.Error)
		if err != nil {
			return Response{}, fmt.Errorf("%w: error: %w", ErrCommandRefused, err)
		}
		return Response{Denied: &d}, nil
	}
	sc := scope{point: point, tenantID: tenantID, subject: req.Subject}
	sc.login, _ = req.Data["login"].(string)
	var r Response
	for i, wc := range w.Commands {
		c, err := sc.command(wc)
		if err != nil {
			return Response{}, fmt.Errorf("%w: command %d (%s): %w", ErrCommandRefused, i, safeType(wc.Type), err)
		}
		if d, ok := c.Value.(Denial); ok {
			if r.Denied == nil {
				r.Denied = &d
			}
			continue
		}
		r.Commands = append(r.Commands, c)
	}
	return r, nil
}

// safeType is a command's type for an error message: the hook's own text
// only when it is a known type.
func safeType(t string) string {
	if parsers[CommandType(t)] != nil {
		return t
	}
	return "unknown type"
}

// strictDecode decodes one JSON value into v, refusing unknown object
// members and anything after the value.
func strictDecode(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("data after the JSON value")
	}
	return nil
}

// scope is the request an answer's commands are checked against.
type scope struct {
	point                    Point
	tenantID, subject, login string
}

// command checks one command against the point and the request, and
// decodes its value.
func (sc scope) command(wc wireCommand) (Command, error) {
	t := CommandType(wc.Type)
	parse := parsers[t]
	if parse == nil {
		return Command{}, errors.New("unknown command type")
	}
	if !Allowed(sc.point, t) {
		return Command{}, fmt.Errorf("not allowed at the %s point", sc.point)
	}
	if err := sc.checkNames(wc.UserID, wc.TenantID); err != nil {
		return Command{}, err
	}
	value, err := sc.stripNames(wc.Value)
	if err != nil {
		return Command{}, err
	}
	v, err := parse(sc, value)
	if err != nil {
		return Command{}, err
	}
	return Command{Type: t, Value: v}, nil
}

// checkNames refuses a user or tenant other than the request's.
func (sc scope) checkNames(userID, tenantID *string) error {
	if userID != nil && (*userID != sc.subject || sc.subject == "") {
		return errors.New("names another user")
	}
	if tenantID != nil && *tenantID != sc.tenantID {
		return errors.New("names another tenant")
	}
	return nil
}

// stripNames checks the user_id and tenant_id members of an object value
// (in any case) and removes them: naming the request's own user or
// tenant changes nothing. Other values are returned as they are.
func (sc scope) stripNames(raw json.RawMessage) (json.RawMessage, error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return raw, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errors.New("malformed value")
	}
	found := false
	for k, v := range m {
		lk := strings.ToLower(k)
		if lk != "user_id" && lk != "tenant_id" {
			continue
		}
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return nil, fmt.Errorf("%s is not a string", lk)
		}
		if lk == "user_id" {
			if err := sc.checkNames(&s, nil); err != nil {
				return nil, err
			}
		} else if err := sc.checkNames(nil, &s); err != nil {
			return nil, err
		}
		delete(m, k)
		found = true
	}
	if !found {
		return raw, nil
	}
	return json.Marshal(m)
}

// denial checks a deny value or an answer's error.
func denial(w *wireDenial) (Denial, error) {
	d := Denial{MessageID: DeniedMessage, Params: w.Params}
	if w.MessageID != nil {
		d.MessageID = *w.MessageID
		if !validMessageID(d.MessageID) {
			return Denial{}, errors.New("message_id must match ^[a-z0-9_.-]{1,100}$")
		}
	}
	if err := checkParams(d.Params); err != nil {
		return Denial{}, err
	}
	return d, nil
}

// validMessageID reports whether id matches ^[a-z0-9_.-]{1,100}$.
func validMessageID(id string) bool {
	if len(id) == 0 || len(id) > 100 {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// checkParams checks a message's params: at most MaxParams, names like a
// catalog placeholder ([a-z][a-z0-9_]{0,39}), values of at most
// MaxParamLen printable characters.
func checkParams(p map[string]string) error {
	if len(p) > MaxParams {
		return fmt.Errorf("more than %d params", MaxParams)
	}
	for k, v := range p {
		if !validParamName(k) {
			return errors.New("a param name must match ^[a-z][a-z0-9_]{0,39}$")
		}
		if utf8.RuneCountInString(v) > MaxParamLen {
			return fmt.Errorf("param %s is longer than %d characters", k, MaxParamLen)
		}
		if v != "" && checkText(v, MaxParamLen) != "" {
			return fmt.Errorf("param %s must be printable UTF-8", k)
		}
	}
	return nil
}

func validParamName(k string) bool {
	if len(k) == 0 || len(k) > 40 || k[0] < 'a' || k[0] > 'z' {
		return false
	}
	for i := range len(k) {
		c := k[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// loginMatches reports whether a hook's login is the request's, compared
// as the directory compares logins.
func loginMatches(hook, request string) bool {
	return request != "" && loginKey(hook) == loginKey(request)
}

// loginKey is directory.NormalizeLogin (trimmed, NFKC, case-folded),
// repeated here so that the directory can call hooks (password import)
// without an import cycle; a test holds the two equal.
func loginKey(s string) string {
	return norm.NFKC.String(cases.Fold().String(norm.NFKC.String(strings.TrimSpace(s))))
}
