package core

import (
	"errors"
	"strings"

	"github.com/lintel-id/lintel/server/engine/wire"
)

// Request is one HTTP request of the flow client.
type Request struct {
	Method string
	URL    string
	Header []Attr // name/value pairs
	Body   []byte
}

// Response is the answer to a Request.
type Response struct {
	Status int
	Header []Attr
	Body   []byte
}

// Transport sends requests: the browser's fetch in the widget (with
// credentials, so the SSO cookie goes along on the login site), net/http
// in tests. Do blocks until the whole response is read; an error means
// no response (network failure, CORS refusal), not an HTTP error status.
type Transport interface {
	Do(Request) (Response, error)
}

// SecretHeader carries the flow secret on the flow API.
const SecretHeader = "Lintel-Flow-Secret"

// ErrProtocol is returned when the server answers with something that is
// not the flow API's JSON.
var ErrProtocol = errors.New("widget: the server's answer is not the flow API's")

// Client drives one flow through the flow API: it reads the current
// step, continues it with an action and values, and fetches the catalog
// of the flow's language. It is not safe for concurrent use: the widget
// sends one request at a time.
type Client struct {
	Transport Transport
	Base      string // the login site's origin: https://login.acme.com
	FlowID    string
	Secret    string
	Locale    string // the language asked for when the flow names none

	Flow    wire.Flow    // the current step, once Load or Continue worked
	Catalog wire.Catalog // the texts of the flow's language, once loaded
}

// flowURL is the flow's resource on the flow API.
func (c *Client) flowURL() string {
	return strings.TrimSuffix(c.Base, "/") + "/api/v1/flows/" + pathEscape(c.FlowID)
}

// Load reads the current step and the catalog of its language.
func (c *Client) Load() error {
	if _, err := c.Refresh(); err != nil {
		return err
	}
	return c.LoadCatalog()
}

// Refresh reads the current step again (GET), as a waiting step polls.
// It reports whether the step changed: a poll re-renders only then, so
// that a screen reader is not interrupted every few seconds.
func (c *Client) Refresh() (changed bool, err error) {
	f, err := c.flowRequest("GET", nil)
	if err != nil {
		return false, err
	}
	changed = string(f.AppendJSON(nil)) != string(c.Flow.AppendJSON(nil))
	c.Flow = f
	return changed, nil
}

// Continue posts action with values and makes the answer the current
// step; the catalog follows a change of language.
func (c *Client) Continue(action string, values []wire.Param) error {
	body := wire.ContinueRequest{Action: action, Values: values}.AppendJSON(nil)
	f, err := c.flowRequest("POST", body)
	if err != nil {
		return err
	}
	c.Flow = f
	return c.LoadCatalog()
}

// Lang is the language of the step's texts: the flow's, else the one
// loaded already, else the one asked for, else English.
func (c *Client) Lang() string {
	switch {
	case c.Flow.Context.Locale != "":
		return c.Flow.Context.Locale
	case c.Catalog.Lang != "":
		return c.Catalog.Lang
	case c.Locale != "":
		return c.Locale
	}
	return "en"
}

// LoadCatalog fetches the catalog of Lang unless it is loaded already.
func (c *Client) LoadCatalog() error {
	lang := c.Lang()
	if c.Catalog.Lang == lang {
		return nil
	}
	res, err := c.Transport.Do(Request{
		Method: "GET",
		URL:    strings.TrimSuffix(c.Base, "/") + "/api/v1/locales/" + pathEscape(lang),
		Header: []Attr{{"Accept", "application/json"}},
	})
	if err != nil {
		return err
	}
	if res.Status != 200 {
		return apiError(res)
	}
	cat, err := wire.ParseCatalog(res.Body)
	if err != nil {
		return errors.Join(ErrProtocol, err)
	}
	c.Catalog = cat
	return nil
}

// flowRequest sends a flow API request and reads the flow it answers.
func (c *Client) flowRequest(method string, body []byte) (wire.Flow, error) {
	h := []Attr{{"Accept", "application/json"}, {SecretHeader, c.Secret}}
	if body != nil {
		h = append(h, Attr{"Content-Type", "application/json"})
	}
	res, err := c.Transport.Do(Request{Method: method, URL: c.flowURL(), Header: h, Body: body})
	if err != nil {
		return wire.Flow{}, err
	}
	if res.Status < 200 || res.Status > 299 {
		return wire.Flow{}, apiError(res)
	}
	f, err := wire.ParseFlow(res.Body)
	if err != nil {
		return wire.Flow{}, errors.Join(ErrProtocol, err)
	}
	return f, nil
}

// apiError reads an error response: the flow API's JSON error, or a
// server error when the body is not one.
func apiError(res Response) error {
	e, err := wire.ParseAPIError(res.Body)
	if err != nil || e.Code == "" {
		e = wire.APIError{Code: "server_error", Message: "error.server"}
	}
	if e.Message == "" {
		e.Message = "error.server"
	}
	e.Status = res.Status
	return &e
}

// pathEscape escapes a path segment: flow IDs and language tags are
// URL-safe already, so this only guards against a hostile value.
func pathEscape(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + hex[c>>4:c>>4+1] + hex[c&15:c&15+1])
		}
	}
	return b.String()
}
