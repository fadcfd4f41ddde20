package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"

	"github.com/lintel-id/lintel/server/store"
)

func (s *Service) serviceProviderConfig(w http.ResponseWriter, q *request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas":          []string{SchemaSPConfig},
		"documentationUri": "https://lintel.id/docs/scim",
		"patch":            map[string]any{"supported": true},
		"bulk":             map[string]any{"supported": true, "maxOperations": MaxBulkOperations, "maxPayloadSize": MaxBulkPayload},
		"filter":           map[string]any{"supported": true, "maxResults": MaxCount},
		"changePassword":   map[string]any{"supported": false},
		"sort":             map[string]any{"supported": true},
		"etag":             map[string]any{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "An OAuth 2.0 access token with the scim.users.* and scim.groups.* scopes (RFC 6750)",
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig", "location": q.base + "/ServiceProviderConfig"},
	})
}

func (s *Service) resourceTypes(w http.ResponseWriter, q *request) {
	res, err := s.resourceTypeList(q)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	listResponse(w, q, listParams{startIndex: 1, count: len(res)}, res)
}

// resourceType serves /ResourceTypes/{id}: "User" or "Group".
func (s *Service) resourceType(w http.ResponseWriter, q *request) {
	res, err := s.resourceTypeList(q)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	writeOne(w, res, q.PathValue("id"), "resource type")
}

// resourceTypeList describes the User and Group resource types, with the
// tenant's user types as User extensions.
func (s *Service) resourceTypeList(q *request) ([]map[string]any, error) {
	var types []typeSchema
	err := s.d.Store.View(q.Context(), func(ctx context.Context, tx store.Tx) error {
		var err error
		types, err = s.userTypes(ctx, tx, q.tenantID)
		return err
	})
	if err != nil {
		return nil, err
	}
	var ext []map[string]any
	for _, t := range types {
		ext = append(ext, map[string]any{"schema": profileSchema(t.Name), "required": false})
	}
	return []map[string]any{
		{"schemas": []string{SchemaResType}, "id": "User", "name": "User", "endpoint": "/Users",
			"description": "User Account", "schema": SchemaUser, "schemaExtensions": ext,
			"meta": map[string]any{"resourceType": "ResourceType", "location": q.base + "/ResourceTypes/User"}},
		{"schemas": []string{SchemaResType}, "id": "Group", "name": "Group", "endpoint": "/Groups",
			"description": "Group", "schema": SchemaGroup, "schemaExtensions": []any{},
			"meta": map[string]any{"resourceType": "ResourceType", "location": q.base + "/ResourceTypes/Group"}},
	}, nil
}

// writeOne answers the resource of list whose id is id, or a 404 naming
// kind. Ids compare exactly: schema URNs hold user type names, which do.
func writeOne(w http.ResponseWriter, list []map[string]any, id, kind string) {
	for _, res := range list {
		if res["id"] == id {
			writeJSON(w, http.StatusOK, res)
			return
		}
	}
	writeError(w, http.StatusNotFound, "", "no "+kind+" "+strconv.Quote(id))
}

// typeSchema is a user type's name and profile schema, as the Schemas
// endpoint describes it.
type typeSchema struct {
	Name   string
	Schema json.RawMessage
}

// userTypes lists the tenant's user types by name.
func (s *Service) userTypes(ctx context.Context, tx store.Tx, tenantID string) ([]typeSchema, error) {
	ts, err := s.d.Directory.UserTypes(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	out := make([]typeSchema, 0, len(ts))
	for _, t := range ts {
		out = append(out, typeSchema{Name: t.Name, Schema: t.Schema})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// attr describes one SCIM attribute (RFC 7643 §7).
func attr(name, typ string, multi, required bool, mutability string, sub ...map[string]any) map[string]any {
	a := map[string]any{"name": name, "type": typ, "multiValued": multi, "required": required,
		"caseExact": false, "mutability": mutability, "returned": "default", "uniqueness": "none"}
	if len(sub) > 0 {
		a["subAttributes"] = sub
	}
	return a
}

// coreSchemas are the parts of the core User and Group schemas Lintel maps.
func coreSchemas() []map[string]any {
	multi := func(name string) map[string]any {
		return attr(name, "complex", true, false, "readWrite",
			attr("value", "string", false, false, "readWrite"),
			attr("type", "string", false, false, "readWrite"),
			attr("primary", "boolean", false, false, "readWrite"))
	}
	userName := attr("userName", "string", false, true, "immutable")
	userName["uniqueness"] = "server"
	return []map[string]any{
		{"id": SchemaUser, "name": "User", "description": "User Account", "attributes": []map[string]any{
			userName,
			attr("name", "complex", false, false, "readWrite",
				attr("givenName", "string", false, false, "readWrite"),
				attr("familyName", "string", false, false, "readWrite")),
			attr("displayName", "string", false, false, "readWrite"),
			multi("emails"), multi("phoneNumbers"),
			attr("active", "boolean", false, false, "readWrite"),
			attr("locale", "string", false, false, "readWrite"),
		}},
		{"id": SchemaGroup, "name": "Group", "description": "Group", "attributes": []map[string]any{
			attr("displayName", "string", false, true, "readWrite"),
			attr("members", "complex", true, false, "readWrite",
				attr("value", "string", false, false, "immutable"),
				attr("$ref", "reference", false, false, "immutable"),
				attr("display", "string", false, false, "readOnly")),
		}},
	}
}

// profileAttributes describes a user type's profile schema (JSON Schema
// properties) as SCIM attributes.
func profileAttributes(schema json.RawMessage) []map[string]any {
	var js struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(schema, &js) // a stored schema is valid JSON; an odd one lists nothing
	required := map[string]bool{}
	for _, n := range js.Required {
		required[n] = true
	}
	names := make([]string, 0, len(js.Properties))
	for n := range js.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	out := []map[string]any{}
	for _, n := range names {
		typ := "string"
		switch js.Properties[n].Type {
		case "integer":
			typ = "integer"
		case "number":
			typ = "decimal"
		case "boolean":
			typ = "boolean"
		case "array":
			out = append(out, attr(n, "string", true, required[n], "readWrite"))
			continue
		case "object":
			typ = "complex"
		}
		out = append(out, attr(n, typ, false, required[n], "readWrite"))
	}
	return out
}

func (s *Service) schemas(w http.ResponseWriter, q *request) {
	all, err := s.schemaList(q)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	listResponse(w, q, listParams{startIndex: 1, count: len(all)}, all)
}

// schema serves /Schemas/{id}: the core User or Group schema, or the
// profile extension of one of the tenant's user types, by its URN.
func (s *Service) schema(w http.ResponseWriter, q *request) {
	all, err := s.schemaList(q)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	writeOne(w, all, q.PathValue("id"), "schema")
}

// schemaList describes the core schemas and the profile extension of each
// of the tenant's user types.
func (s *Service) schemaList(q *request) ([]map[string]any, error) {
	var types []typeSchema
	err := s.d.Store.View(q.Context(), func(ctx context.Context, tx store.Tx) error {
		var err error
		types, err = s.userTypes(ctx, tx, q.tenantID)
		return err
	})
	if err != nil {
		return nil, err
	}
	all := coreSchemas()
	for _, t := range types {
		all = append(all, map[string]any{"id": profileSchema(t.Name), "name": t.Name,
			"description": "Profile of user type " + t.Name, "attributes": profileAttributes(t.Schema)})
	}
	for _, sc := range all {
		sc["schemas"] = []string{SchemaSchema}
		sc["meta"] = map[string]any{"resourceType": "Schema", "location": q.base + "/Schemas/" + sc["id"].(string)}
	}
	return all, nil
}
