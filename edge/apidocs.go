package edge

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/danielgtaylor/huma/v2"
)

// apiDocs is the management API's documentation page, rendered once from
// its OpenAPI document: plain HTML with no script, so it needs nothing from
// the network and passes a strict Content-Security-Policy.
type apiDocs struct{ page []byte }

// apiDocsCSP allows the page's one stylesheet by its hash and nothing else.
var apiDocsCSP = func() string {
	sum := sha256.Sum256([]byte(apiDocsCSS))
	return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
}()

type docOperation struct {
	Method, Path, ID, Summary, Description string
	Scopes                                 []string
}

type docGroup struct {
	Tag        string
	Operations []docOperation
}

// apiDocsCSS is the page's only style; the CSP allows exactly it by hash.
const apiDocsCSS = `body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1f}
code{font:14px ui-monospace,monospace;background:#f1f1f4;padding:.1rem .3rem;border-radius:.2rem}
h2{margin-top:2rem;border-bottom:1px solid #ddd}
.op{margin:1rem 0}.m{display:inline-block;min-width:4.5rem;font-weight:700}
.s{color:#555;font-size:14px}
`

var apiDocsTemplate = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>{{.CSS}}</style></head><body>
<h1>{{.Title}} <small>{{.Version}}</small></h1>
<p>{{.Description}}</p>
<p>Machine-readable: <a href="openapi.json">OpenAPI 3.1</a> · <a href="openapi-3.0.json">OpenAPI 3.0</a>. Errors are <code>application/problem+json</code>.</p>
{{range .Groups}}<h2>{{.Tag}}</h2>
{{range .Operations}}<div class="op" id="{{.ID}}"><span class="m">{{.Method}}</span><code>{{.Path}}</code>
<div>{{.Summary}}</div><div class="s">scope: {{range .Scopes}}<code>{{.}}</code> {{end}}· operation <code>{{.ID}}</code></div></div>
{{end}}{{end}}
</body></html>
`))

func newAPIDocs(doc *huma.OpenAPI) (*apiDocs, error) {
	groups := map[string]*docGroup{}
	var order []string
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		item := doc.Paths[p]
		for _, mo := range []struct {
			method string
			op     *huma.Operation
		}{{"GET", item.Get}, {"POST", item.Post}, {"PUT", item.Put}, {"PATCH", item.Patch}, {"DELETE", item.Delete}} {
			if mo.op == nil {
				continue
			}
			tag := "Other"
			if len(mo.op.Tags) > 0 {
				tag = mo.op.Tags[0]
			}
			g, ok := groups[tag]
			if !ok {
				g = &docGroup{Tag: tag}
				groups[tag] = g
				order = append(order, tag)
			}
			var scopes []string
			for _, req := range mo.op.Security {
				for _, s := range req {
					scopes = append(scopes, s...)
				}
			}
			g.Operations = append(g.Operations, docOperation{Method: mo.method, Path: p, ID: mo.op.OperationID, Summary: mo.op.Summary, Description: mo.op.Description, Scopes: scopes})
		}
	}
	data := struct {
		Title, Version, Description string
		CSS                         template.CSS
		Groups                      []docGroup
	}{CSS: template.CSS(apiDocsCSS)}
	if doc.Info != nil {
		data.Title, data.Version, data.Description = doc.Info.Title, doc.Info.Version, strings.ReplaceAll(doc.Info.Description, "`", "")
	}
	for _, t := range order {
		data.Groups = append(data.Groups, *groups[t])
	}
	var buf bytes.Buffer
	if err := apiDocsTemplate.Execute(&buf, data); err != nil {
		return nil, err
	}
	return &apiDocs{page: buf.Bytes()}, nil
}

func (d *apiDocs) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", apiDocsCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(d.page)
}
