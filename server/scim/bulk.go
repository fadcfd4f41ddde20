package scim

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
)

// The Bulk schemas and limits (RFC 7644 §3.7), announced in the
// ServiceProviderConfig.
const (
	SchemaBulkRequest  = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	SchemaBulkResponse = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
	MaxBulkOperations  = 100
	MaxBulkPayload     = maxBody
)

// bulkOp is one operation of a Bulk request.
type bulkOp struct {
	Method  string          `json:"method"`
	BulkID  string          `json:"bulkId"`
	Version string          `json:"version"`
	Path    string          `json:"path"`
	Data    json.RawMessage `json:"data"`
}

// bulkRef is a reference to the resource another operation creates.
var bulkRef = regexp.MustCompile(`bulkId:([^"/\s]+)`)

// bulkPath is a path a Bulk operation may name.
var bulkPath = regexp.MustCompile(`^/(Users|Groups)(/[^/?#]+)?$`)

// bulk serves POST /Bulk: each operation is served by h as a request of
// its own, with the outer request's credentials (so its scope is
// checked), in its own transaction, in order. bulkId references in paths
// and data are replaced by the IDs the earlier operations created.
func (s *Service) bulk(h http.Handler) func(w http.ResponseWriter, q *request) {
	return func(w http.ResponseWriter, q *request) {
		if q.ContentLength > MaxBulkPayload {
			writeError(w, http.StatusRequestEntityTooLarge, "", "the payload is larger than "+strconv.Itoa(MaxBulkPayload)+" bytes")
			return
		}
		var body struct {
			Schemas      []string `json:"schemas"`
			FailOnErrors int      `json:"failOnErrors"`
			Operations   []bulkOp `json:"Operations"`
		}
		if err := decodeBody(w, q.Request, &body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				writeError(w, http.StatusRequestEntityTooLarge, "", "the payload is larger than "+strconv.Itoa(MaxBulkPayload)+" bytes")
				return
			}
			writeError(w, http.StatusBadRequest, ScimInvalidSyntax, err.Error())
			return
		}
		if len(body.Operations) > MaxBulkOperations {
			writeError(w, http.StatusRequestEntityTooLarge, ScimTooMany, "a Bulk request holds at most "+strconv.Itoa(MaxBulkOperations)+" operations")
			return
		}
		ids := map[string]string{} // bulkId → created resource ID
		results := []map[string]any{}
		errs := 0
		for _, op := range body.Operations {
			if body.FailOnErrors > 0 && errs >= body.FailOnErrors {
				break
			}
			res := s.bulkOne(h, q, op, ids)
			if st, _ := strconv.Atoi(res["status"].(string)); st >= 400 {
				errs++
			}
			results = append(results, res)
		}
		writeJSON(w, http.StatusOK, map[string]any{"schemas": []string{SchemaBulkResponse}, "Operations": results})
	}
}

// bulkOne runs one operation and returns its result.
func (s *Service) bulkOne(h http.Handler, q *request, op bulkOp, ids map[string]string) map[string]any {
	out := map[string]any{"method": op.Method}
	if op.BulkID != "" {
		out["bulkId"] = op.BulkID
	}
	failed := func(status int, scimType, detail string) map[string]any {
		e := map[string]any{"schemas": []string{SchemaErrorResp}, "status": strconv.Itoa(status), "detail": detail}
		if scimType != "" {
			e["scimType"] = scimType
		}
		out["status"], out["response"] = strconv.Itoa(status), e
		return out
	}
	method := strings.ToUpper(op.Method)
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
	default:
		return failed(http.StatusBadRequest, ScimInvalidSyntax, "method must be POST, PUT, PATCH or DELETE")
	}
	if method == http.MethodPost && op.BulkID == "" {
		return failed(http.StatusBadRequest, ScimInvalidSyntax, "a POST needs a bulkId")
	}
	var unknown string
	resolve := func(b []byte) []byte {
		return bulkRef.ReplaceAllFunc(b, func(m []byte) []byte {
			ref := string(bulkRef.FindSubmatch(m)[1])
			id, ok := ids[ref]
			if !ok {
				unknown = ref
				return m
			}
			return []byte(id)
		})
	}
	path, data := string(resolve([]byte(op.Path))), resolve(op.Data)
	if unknown != "" {
		return failed(http.StatusConflict, ScimInvalidValue, "bulkId "+strconv.Quote(unknown)+" names no resource created earlier in the request")
	}
	m := bulkPath.FindStringSubmatch(path)
	if m == nil || (method == http.MethodPost) != (m[2] == "") {
		return failed(http.StatusBadRequest, ScimInvalidPath, "path must be /Users or /Groups, with an id except for POST")
	}
	req, err := http.NewRequestWithContext(q.Context(), method, path, bytes.NewReader(data))
	if err != nil {
		return failed(http.StatusBadRequest, ScimInvalidPath, "bad path")
	}
	req.Header.Set("Authorization", q.Header.Get("Authorization"))
	req.Header.Set("Content-Type", "application/scim+json")
	if op.Version != "" {
		req.Header.Set("If-Match", op.Version)
	}
	req.Host, req.RemoteAddr, req.TLS = q.Host, q.RemoteAddr, q.TLS
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out["status"] = strconv.Itoa(rec.Code)
	if loc := rec.Header().Get("Location"); loc != "" {
		out["location"] = loc
	} else if method != http.MethodDelete && rec.Code < 300 {
		out["location"] = q.base + path
	}
	if v := rec.Header().Get("ETag"); v != "" {
		out["version"] = v
	}
	if rec.Code >= 400 {
		var e map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &e)
		out["response"] = e
		return out
	}
	if method == http.MethodPost {
		var created struct {
			ID string `json:"id"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &created)
		ids[op.BulkID] = created.ID
	}
	return out
}
