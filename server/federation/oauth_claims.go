package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// fetchUserinfo GETs a userinfo endpoint with the access token and returns
// the JSON object it answers (numbers as json.Number). A signed (JWT)
// userinfo answer is not supported.
func fetchUserinfo(ctx context.Context, s *Service, _ IdP, endpoint, accessToken string) (map[string]any, error) {
	body, err := s.get(ctx, endpoint, bearer(accessToken))
	if err != nil {
		return nil, fmt.Errorf("userinfo: %w", err)
	}
	info, err := parseJSONObject(body)
	if err != nil {
		return nil, fmt.Errorf("%w: userinfo: %v", ErrUpstream, err)
	}
	return info, nil
}

// bearer is the header that presents an access token.
func bearer(accessToken string) http.Header {
	return http.Header{
		"Authorization": {"Bearer " + accessToken},
		"Accept":        {"application/json"},
	}
}

// parseJSONObject parses one JSON object, numbers as json.Number so IDs
// keep every digit.
func parseJSONObject(b []byte) (map[string]any, error) {
	v, err := parseJSON(b)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// parseJSON parses one JSON value, numbers as json.Number, and nothing
// after it.
func parseJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	return v, nil
}

// stringClaim returns claims[name] when it is a string, else "".
func stringClaim(claims map[string]any, name string) string {
	s, _ := claims[name].(string)
	return s
}

// idClaim returns claims[name] as an ID: a string as is, a number in
// decimal without exponent; "" for anything else.
func idClaim(claims map[string]any, name string) string {
	switch v := claims[name].(type) {
	case string:
		return v
	case json.Number:
		return formatNumber(v)
	case float64:
		return formatNumber(json.Number(strconv.FormatFloat(v, 'g', -1, 64)))
	}
	return ""
}

// formatNumber writes a JSON number without exponent ("1e3" is "1000");
// a number that overflows float64 is "".
func formatNumber(n json.Number) string {
	s := n.String()
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// jsonValues returns v with every json.Number turned into a float64, so
// claims hold the JSON values Assertion documents.
func jsonValues(v any) any {
	switch v := v.(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return v.String() // out of range: keep the digits
		}
		return f
	case map[string]any:
		for k, e := range v {
			v[k] = jsonValues(e)
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = jsonValues(e)
		}
		return v
	}
	return v
}
