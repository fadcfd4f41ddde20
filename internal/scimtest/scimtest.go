// Package scimtest replays a SCIM conformance table against a running
// SCIM service over HTTP: request and response files after RFC 7644's
// examples (server/scim/testdata/rfc7644), run in name order on one
// service, each answer compared to its file once ids, entity tags, times
// and the service's base URL are normalised. The SCIM package's own tests
// and the binary's end-to-end test both use it, so the table has one
// runner.
//
// Files come in pairs, NN-name.request.json and NN-name.response.json:
//
//	{"method": "GET", "path": "/Users/<usr:1>", "headers": {...}, "body": {...}}
//	{"status": 200, "body": {...}}
//
// Paths are relative to the service's /scim/v2. In both files "<usr:1>"
// stands for the first id seen in an answer (usr_… or grp_…, numbered in
// order of appearance over the whole table), "<etag>" for an entity tag,
// "<time>" for a timestamp, and https://example.com for the base URL.
package scimtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Exchange is one request of the table and the answer it expects.
type Exchange struct {
	// Name is the file name without .request.json ("01-create-user").
	Name    string            `json:"-"`
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
	// Want is the normalised answer, from the .response.json file.
	Want Answer `json:"-"`
	// ResponseFile is the path of the .response.json file.
	ResponseFile string `json:"-"`
}

// Answer is a normalised answer: its status and body.
type Answer struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
}

// Load reads the request/response pairs of dir in name order. A request
// without its response file is an error.
func Load(dir string) ([]Exchange, error) {
	reqs, err := filepath.Glob(filepath.Join(dir, "*.request.json"))
	if err != nil {
		return nil, fmt.Errorf("scimtest: %w", err)
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("scimtest: no *.request.json in %s", dir)
	}
	slices.Sort(reqs)
	out := make([]Exchange, 0, len(reqs))
	for _, file := range reqs {
		x, err := load(file)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, nil
}

func load(file string) (Exchange, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return Exchange{}, fmt.Errorf("scimtest: %w", err)
	}
	var x Exchange
	if err := json.Unmarshal(raw, &x); err != nil {
		return Exchange{}, fmt.Errorf("scimtest: %s: %w", file, err)
	}
	x.Name = strings.TrimSuffix(filepath.Base(file), ".request.json")
	x.ResponseFile = strings.TrimSuffix(file, ".request.json") + ".response.json"
	raw, err = os.ReadFile(x.ResponseFile)
	if err != nil {
		return Exchange{}, fmt.Errorf("scimtest: %w", err)
	}
	if err := json.Unmarshal(raw, &x.Want); err != nil {
		return Exchange{}, fmt.Errorf("scimtest: %s: %w", x.ResponseFile, err)
	}
	return x, nil
}

var (
	idPattern   = regexp.MustCompile(`\b(usr|grp)_[0-9a-z]{26}\b`)
	etagPattern = regexp.MustCompile(`W/\\"[0-9a-f]+\\"`)
	timePattern = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z"`)
)

// Normalizer replaces what differs from run to run in answers: ids by
// "<usr:1>"-style placeholders in order of appearance (the same id keeps
// its placeholder), entity tags by "<etag>", times by "<time>" and the
// service's base URL by https://example.com. It puts the ids back in
// requests. Create it with NewNormalizer; it is not safe for concurrent
// use.
type Normalizer struct {
	base string
	ids  map[string]string // id → placeholder
	back map[string]string // placeholder → id
}

// NewNormalizer returns a Normalizer for a service whose base URL (what
// its meta.location values start with, before /scim/v2) is base.
func NewNormalizer(base string) *Normalizer {
	return &Normalizer{base: strings.TrimSuffix(base, "/"), ids: map[string]string{}, back: map[string]string{}}
}

// Normalize returns b, a JSON text, normalised.
func (n *Normalizer) Normalize(b []byte) []byte {
	s := strings.ReplaceAll(string(b), n.base, "https://example.com")
	s = idPattern.ReplaceAllStringFunc(s, func(id string) string {
		if p, ok := n.ids[id]; ok {
			return p
		}
		kind, _, _ := strings.Cut(id, "_")
		p := "<" + kind + ":" + strconv.Itoa(len(n.ids)+1) + ">"
		n.ids[id], n.back[p] = p, id
		return p
	})
	s = etagPattern.ReplaceAllString(s, `<etag>`)
	return []byte(timePattern.ReplaceAllString(s, `"<time>"`))
}

// Resolve puts the ids seen so far back in s, a request's path or body.
func (n *Normalizer) Resolve(s string) string {
	for p, id := range n.back {
		s = strings.ReplaceAll(s, p, id)
	}
	return s
}

// Marshal is v as indented JSON without HTML escapes, keys sorted: the
// form answers are compared and response files written in.
func Marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return bytes.TrimSpace(b.Bytes())
}

// Canonical returns a JSON text re-encoded by Marshal, so that two texts
// of the same value compare equal.
func Canonical(b []byte) ([]byte, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	return Marshal(v), nil
}

// Config says where and how Run sends the table.
type Config struct {
	// Dir holds the request/response pairs.
	Dir string
	// Client sends the requests; nil is http.DefaultClient.
	Client *http.Client
	// Base is the service's base URL: requests go to Base + "/scim/v2" +
	// path, and answers' URLs are normalised from it.
	Base string
	// Header is set on every request before the exchange's own headers
	// (the Authorization header, typically).
	Header http.Header
	// Update rewrites each response file from the service's answer
	// instead of comparing.
	Update bool
}

// Run replays the table of cfg.Dir in order, one subtest per exchange
// named after its file: each subtest fails when the normalised answer
// differs from the file. Later exchanges still run after a failure, as
// the table is one story (ids come from earlier answers).
func Run(t *testing.T, cfg Config) {
	t.Helper()
	table, err := Load(cfg.Dir)
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Client
	if c == nil {
		c = http.DefaultClient
	}
	n := NewNormalizer(cfg.Base)
	for _, x := range table {
		t.Run(x.Name, func(t *testing.T) {
			got, err := x.Send(c, cfg.Base, cfg.Header, n)
			if err != nil {
				t.Fatal(err)
			}
			gotJSON := Marshal(got)
			if cfg.Update {
				if err := os.WriteFile(x.ResponseFile, append(gotJSON, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want := Marshal(x.Want)
			if a, b := string(mustCanonical(t, want)), string(mustCanonical(t, gotJSON)); a != b {
				t.Errorf("%s %s:\ngot  %s\nwant %s", x.Method, x.Path, b, a)
			}
		})
	}
}

func mustCanonical(t *testing.T, b []byte) []byte {
	t.Helper()
	c, err := Canonical(b)
	if err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return c
}

// Send sends x to the service at base with header (then x's own
// headers), its ids resolved by n, and returns the answer normalised by
// n. An answer whose body is not JSON is an error.
func (x Exchange) Send(c *http.Client, base string, header http.Header, n *Normalizer) (Answer, error) {
	req, err := http.NewRequest(x.Method, strings.TrimSuffix(base, "/")+"/scim/v2"+n.Resolve(x.Path), strings.NewReader(n.Resolve(string(x.Body))))
	if err != nil {
		return Answer{}, fmt.Errorf("scimtest: %s: %w", x.Name, err)
	}
	for k, v := range header {
		req.Header[k] = slices.Clone(v)
	}
	req.Header.Set("Content-Type", "application/scim+json")
	req.Header.Set("Accept", "application/scim+json")
	for k, v := range x.Headers {
		req.Header.Set(k, n.Resolve(v))
	}
	resp, err := c.Do(req)
	if err != nil {
		return Answer{}, fmt.Errorf("scimtest: %s: %w", x.Name, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return Answer{}, fmt.Errorf("scimtest: %s: %w", x.Name, err)
	}
	got := Answer{Status: resp.StatusCode}
	if len(body) > 0 {
		var v any
		if err := json.Unmarshal(body, &v); err != nil {
			return Answer{}, fmt.Errorf("scimtest: %s: body %q: %w", x.Name, body, err)
		}
		got.Body = n.Normalize(Marshal(v))
	}
	return got, nil
}
