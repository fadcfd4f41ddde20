package mgmt

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/lintel-id/lintel/server/store/storetest"
)

// operations returns "METHOD path" for every operation of an OpenAPI JSON
// document, whatever its version.
func operations(t *testing.T, doc []byte) map[string]bool {
	t.Helper()
	var d struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	ops := map[string]bool{}
	for path, item := range d.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "patch", "delete":
				ops[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	return ops
}

// TestOpenAPIDocuments validates the 3.0 document with kin-openapi and the
// 3.1 document with libopenapi, and checks that both list exactly the
// routes registered on the mux.
func TestOpenAPIDocuments(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	get := func(path string) []byte {
		status, h, body := w.do(t, http.MethodGet, path, "", "")
		if status != http.StatusOK || !strings.Contains(h.Get("Content-Type"), "json") {
			t.Fatalf("GET %s: %d %s", path, status, h.Get("Content-Type"))
		}
		return []byte(body)
	}
	doc30 := get(Prefix + "/openapi-3.0.json")
	doc31 := get(Prefix + "/openapi.json")

	t.Run("3.0 validates with kin-openapi", func(t *testing.T) {
		loader := openapi3.NewLoader()
		d, err := loader.LoadFromData(doc30)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(d.OpenAPI, "3.0") {
			t.Fatalf("version %q", d.OpenAPI)
		}
		if err := d.Validate(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("3.1 validates with libopenapi", func(t *testing.T) {
		d, err := libopenapi.NewDocument(doc31)
		if err != nil {
			t.Fatal(err)
		}
		if v := d.GetVersion(); !strings.HasPrefix(v, "3.1") {
			t.Fatalf("version %q", v)
		}
		if _, errs := d.BuildV3Model(); errs != nil {
			t.Fatalf("model: %v", errs)
		}
		v, errs := validator.NewValidator(d)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if ok, verrs := v.ValidateDocument(); !ok {
			for _, e := range verrs {
				t.Errorf("%s: %s", e.Message, e.Reason)
			}
		}
	})
	for name, doc := range map[string][]byte{"3.0": doc30, "3.1": doc31} {
		t.Run(name+" lists every route on the mux and no other", func(t *testing.T) {
			ops := operations(t, doc)
			for _, r := range w.api.Routes() {
				key := r.Method + " " + r.Path
				if !ops[key] {
					t.Errorf("route %s is not in the document", key)
				}
				delete(ops, key)
			}
			for op := range ops {
				t.Errorf("document has %s, which is not a registered route", op)
			}
		})
	}
}

// TestDocsPage serves a script-free page that names every operation.
func TestDocsPage(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	status, h, body := w.do(t, http.MethodGet, Prefix+"/docs", "", "")
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("docs: %d %s", status, h.Get("Content-Type"))
	}
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe") {
		t.Fatalf("CSP %q", csp)
	}
	if strings.Contains(body, "<script") {
		t.Fatal("docs page has a script")
	}
	for _, r := range w.api.Routes() {
		if !strings.Contains(body, `id="`+r.ID+`"`) {
			t.Errorf("docs page lacks %s", r.ID)
		}
	}
}
