package scim

import (
	"bytes"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/rfc7644/*.response.json from the service's answers")

// exchange is a request of testdata/rfc7644, after RFC 7644's examples.
type exchange struct {
	Method  string            `json:"method"`
	Path    string            `json:"path"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// expected is the normalised answer to an exchange.
type expected struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body,omitempty"`
}

var (
	idPattern   = regexp.MustCompile(`\b(usr|grp)_[0-9a-z]{26}\b`)
	etagPattern = regexp.MustCompile(`W/\\"[0-9a-f]+\\"`)
	timePattern = regexp.MustCompile(`"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"`)
)

// normalizer replaces ids by "<usr:1>"-style placeholders in order of
// appearance, entity tags by "<etag>", times by "<time>" and the test
// server's address by https://example.com.
type normalizer struct {
	base string
	ids  map[string]string // id → placeholder
	back map[string]string // placeholder → id
}

func (n *normalizer) normalize(b []byte) []byte {
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

// marshal is v as indented JSON without HTML escapes, for readable files.
func marshal(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return bytes.TrimSpace(b.Bytes())
}

// resolve puts the ids back in a request.
func (n *normalizer) resolve(s string) string {
	for p, id := range n.back {
		s = strings.ReplaceAll(s, p, id)
	}
	return s
}

// TestRFC7644 replays testdata/rfc7644/*.request.json in name order on one
// service and compares each answer, normalised, to its .response.json.
func TestRFC7644(t *testing.T) {
	reqs, err := filepath.Glob("testdata/rfc7644/*.request.json")
	if err != nil || len(reqs) == 0 {
		t.Fatalf("no exchanges: %v", err)
	}
	sort.Strings(reqs)
	eachBackend(t, func(t *testing.T, e *env) {
		n := &normalizer{base: e.srv.URL, ids: map[string]string{}, back: map[string]string{}}
		for _, file := range reqs {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var x exchange
			if err := json.Unmarshal(raw, &x); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			req, err := http.NewRequest(x.Method, e.srv.URL+"/scim/v2"+n.resolve(x.Path), strings.NewReader(n.resolve(string(x.Body))))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+allScopes)
			req.Header.Set("Content-Type", "application/scim+json")
			for k, v := range x.Headers {
				req.Header.Set(k, v)
			}
			resp, err := e.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			got := expected{Status: resp.StatusCode}
			if len(body) > 0 {
				var v any
				if err := json.Unmarshal(body, &v); err != nil {
					t.Fatalf("%s: body %q: %v", file, body, err)
				}
				got.Body = n.normalize(marshal(v))
			}
			gotJSON := marshal(got)
			respFile := strings.TrimSuffix(file, ".request.json") + ".response.json"
			if *update && strings.HasPrefix(t.Name(), "TestRFC7644/sqlite") {
				if err := os.WriteFile(respFile, append(gotJSON, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(respFile)
			if err != nil {
				t.Fatal(err)
			}
			var w any
			if err := json.Unmarshal(want, &w); err != nil {
				t.Fatalf("%s: %v", respFile, err)
			}
			var g any
			_ = json.Unmarshal(gotJSON, &g)
			if a, b := string(marshal(w)), string(marshal(g)); a != b {
				t.Errorf("%s:\ngot  %s\nwant %s", filepath.Base(file), b, a)
			}
		}
	})
}
