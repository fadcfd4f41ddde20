package scim

import (
	"context"
	"net/http"
	"strings"

	"github.com/lintel-id/lintel/server/store"
)

// SchemaPatchOp is the schema of a PATCH request body (RFC 7644 §3.5.2).
const SchemaPatchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

// maxPatchOps bounds the operations of one PATCH request.
const maxPatchOps = 1000

// patchOp is one PATCH operation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

// readOnly are the attributes a PATCH never changes.
var readOnly = map[string]bool{"id": true, "meta": true, "schemas": true}

// decodePatch reads a PATCH request body.
func decodePatch(w http.ResponseWriter, r *http.Request) ([]patchOp, error) {
	var body struct {
		Schemas    []string  `json:"schemas"`
		Operations []patchOp `json:"Operations"`
	}
	if err := decodeBody(w, r, &body); err != nil {
		return nil, refuse(ScimInvalidSyntax, err.Error())
	}
	if len(body.Operations) == 0 || len(body.Operations) > maxPatchOps {
		return nil, refuse(ScimInvalidValue, "Operations must hold 1 to 1000 operations")
	}
	return body.Operations, nil
}

// applyPatch applies ops to a resource held as its JSON map, in order.
// Attribute names match case-insensitively.
func applyPatch(res map[string]any, ops []patchOp) error {
	for _, op := range ops {
		kind := strings.ToLower(op.Op)
		if kind != "add" && kind != "replace" && kind != "remove" {
			return refuse(ScimInvalidSyntax, "op must be add, replace or remove")
		}
		if op.Path == "" {
			if kind == "remove" {
				return &Error{Status: http.StatusBadRequest, ScimType: ScimNoTarget, Detail: "remove needs a path"}
			}
			vals, ok := op.Value.(map[string]any)
			if !ok {
				return refuse(ScimInvalidValue, "an operation without a path needs an object value")
			}
			for k, v := range vals {
				if err := applyAt(res, kind, k, v); err != nil {
					return err
				}
			}
			continue
		}
		if err := applyAt(res, kind, op.Path, op.Value); err != nil {
			return err
		}
	}
	return nil
}

// applyAt applies one operation at a path.
func applyAt(res map[string]any, kind, rawPath string, value any) error {
	var p Path
	if strings.HasPrefix(strings.ToLower(rawPath), "urn:") && isSchemaURN(res, rawPath) {
		// A whole extension object: "urn:…:User" with a map of its
		// attributes.
		p = Path{Attr: rawPath}
	} else {
		var err error
		if p, err = ParsePath(rawPath); err != nil {
			return err
		}
	}
	container, top := res, true
	if p.Schema != "" && !strings.EqualFold(p.Schema, SchemaUser) && !strings.EqualFold(p.Schema, SchemaGroup) {
		k := key(res, p.Schema)
		ext, ok := res[k].(map[string]any)
		if !ok {
			if kind == "remove" {
				return nil
			}
			ext = map[string]any{}
			res[p.Schema] = ext
		}
		container, top = ext, false
	}
	attr := key(container, p.Attr)
	if top && readOnly[strings.ToLower(attr)] {
		return refuse(ScimMutability, attr+" is read-only")
	}
	cur, exists := container[attr]
	switch {
	case p.Filter != nil:
		return applyFiltered(container, attr, p, kind, value)
	case p.Sub != "":
		sub, ok := cur.(map[string]any)
		if !ok {
			if !exists || cur == nil {
				if kind == "remove" {
					return nil
				}
				sub = map[string]any{}
				container[attr] = sub
			} else {
				return refuse(ScimInvalidPath, attr+" has no sub-attributes")
			}
		}
		if kind == "remove" {
			delete(sub, key(sub, p.Sub))
		} else {
			sub[key(sub, p.Sub)] = value
		}
	case kind == "remove":
		if vs, ok := value.([]any); ok {
			// Azure AD's member removal: the values to drop, by "value".
			container[attr] = dropValues(cur, vs)
			return nil
		}
		delete(container, attr)
	case kind == "add":
		container[attr] = merge(cur, value)
	default:
		container[attr] = value
	}
	return nil
}

// isSchemaURN reports whether s names a schema the resource holds or an
// extension, rather than an attribute of one.
func isSchemaURN(res map[string]any, s string) bool {
	if _, ok := res[key(res, s)].(map[string]any); ok {
		return true
	}
	return strings.HasPrefix(s, ProfileSchemaPrefix) && strings.HasSuffix(s, ":2.0:User")
}

// applyFiltered applies an operation to the values of a multi-valued
// attribute its filter selects: "emails[type eq \"work\"].value".
func applyFiltered(container map[string]any, attr string, p Path, kind string, value any) error {
	vals, _ := container[attr].([]any)
	var out []any
	matched := false
	for _, v := range vals {
		m, ok := v.(map[string]any)
		if !ok || !p.Filter.MatchWith(m, caseExact) {
			out = append(out, v)
			continue
		}
		matched = true
		switch {
		case kind == "remove" && p.Sub == "":
			continue
		case kind == "remove":
			delete(m, key(m, p.Sub))
		case p.Sub != "":
			m[key(m, p.Sub)] = value
		default:
			nv, ok := value.(map[string]any)
			if !ok {
				return refuse(ScimInvalidValue, "the value of "+attr+" must be an object")
			}
			for k, x := range nv {
				m[key(m, k)] = x
			}
		}
		out = append(out, m)
	}
	if !matched {
		return &Error{Status: http.StatusBadRequest, ScimType: ScimNoTarget, Detail: "no value of " + attr + " matches the filter"}
	}
	if out == nil {
		delete(container, attr)
		return nil
	}
	container[attr] = out
	return nil
}

// merge adds value to cur: values appended to a multi-valued attribute,
// attributes merged into a complex one, anything else replaced.
func merge(cur, value any) any {
	switch c := cur.(type) {
	case []any:
		if vs, ok := value.([]any); ok {
			return append(c, vs...)
		}
		return append(c, value)
	case map[string]any:
		if vs, ok := value.(map[string]any); ok {
			for k, v := range vs {
				c[key(c, k)] = v
			}
			return c
		}
	}
	return value
}

// dropValues removes from a multi-valued attribute the values whose
// "value" one of vs names.
func dropValues(cur any, vs []any) any {
	drop := map[any]bool{}
	for _, v := range vs {
		if m, ok := v.(map[string]any); ok {
			drop[m["value"]] = true
		}
	}
	list, _ := cur.([]any)
	var out []any
	for _, v := range list {
		if m, ok := v.(map[string]any); ok && drop[m["value"]] {
			continue
		}
		out = append(out, v)
	}
	return out
}

// key returns the key of m that equals name ignoring case, else name.
func key(m map[string]any, name string) string {
	if _, ok := m[name]; ok {
		return name
	}
	for k := range m {
		if strings.EqualFold(k, name) {
			return k
		}
	}
	return name
}

// jsonRoundTrip turns a resource built in Go into decoded JSON (maps of
// []any), the shape applyPatch works on.
func jsonRoundTrip(res map[string]any) (map[string]any, error) {
	var out map[string]any
	err := remarshal(res, &out)
	return out, err
}

func (s *Service) patchUser(w http.ResponseWriter, q *request) {
	ops, err := decodePatch(w, q.Request)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	var res map[string]any
	err = s.d.Store.Tx(q.Context(), func(ctx context.Context, tx store.Tx) error {
		u, err := s.d.Directory.User(ctx, tx, q.tenantID, q.PathValue("id"))
		if err != nil {
			return err
		}
		if err := checkIfMatch(q.Request, etag(u.ID, u.UpdatedAt)); err != nil {
			return err
		}
		cur, err := s.userResource(ctx, tx, q, u)
		if err != nil {
			return err
		}
		if cur, err = jsonRoundTrip(cur); err != nil {
			return err
		}
		if err := applyPatch(cur, ops); err != nil {
			return err
		}
		b, err := userFromMap(cur)
		if err != nil {
			return err
		}
		if u, err = s.putUser(ctx, tx, q.tenantID, u, b); err != nil {
			return err
		}
		res, err = s.userResource(ctx, tx, q, u)
		return err
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	writeResource(w, http.StatusOK, project(res, q))
}

func (s *Service) patchGroup(w http.ResponseWriter, q *request) {
	ops, err := decodePatch(w, q.Request)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	var res map[string]any
	err = s.d.Store.Tx(q.Context(), func(ctx context.Context, tx store.Tx) error {
		g, tag, err := s.loadGroup(ctx, tx, q.tenantID, q.PathValue("id"))
		if err != nil {
			return err
		}
		if err := checkIfMatch(q.Request, tag); err != nil {
			return err
		}
		have, err := s.members(ctx, tx, q.tenantID, g.ID)
		if err != nil {
			return err
		}
		cur, err := s.groupResource(ctx, tx, q, g)
		if err != nil {
			return err
		}
		if cur, err = jsonRoundTrip(cur); err != nil {
			return err
		}
		if err := applyPatch(cur, ops); err != nil {
			return err
		}
		var b groupBody
		if err := remarshal(cur, &b); err != nil {
			return refuse(ScimInvalidValue, "not a Group resource: "+err.Error())
		}
		if b.DisplayName == "" {
			return refuse(ScimInvalidValue, "displayName is required")
		}
		if b.DisplayName != g.Name {
			if g, err = s.d.Directory.UpdateGroup(ctx, tx, q.tenantID, g.ID, groupInput(g, b)); err != nil {
				return err
			}
		}
		if g, err = s.d.Directory.SetGroupExternalID(ctx, tx, q.tenantID, g.ID, b.ExternalID); err != nil {
			return err
		}
		if err := s.setMembers(ctx, tx, q.tenantID, g.ID, have, b); err != nil {
			return err
		}
		res, err = s.groupResource(ctx, tx, q, g)
		return err
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	writeResource(w, http.StatusOK, project(res, q))
}
