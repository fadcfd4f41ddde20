package scim

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// remarshal converts decoded JSON into a typed value.
func remarshal(from, to any) error {
	b, err := json.Marshal(from)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, to)
}

// listParams are the query parameters of a list request (RFC 7644
// §3.4.2).
type listParams struct {
	startIndex int // 1-based
	count      int
	filter     Filter // nil: every resource
	sortBy     string
	descending bool
}

// readListParams reads startIndex and count: a start below 1 is 1, a
// negative count 0, and a count over MaxCount is MaxCount (§3.4.2.4).
func readListParams(r *http.Request) (listParams, error) {
	p := listParams{startIndex: 1, count: DefaultCount}
	qv := r.URL.Query()
	if v := qv.Get("startIndex"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, refuse(ScimInvalidValue, "startIndex must be an integer")
		}
		p.startIndex = max(n, 1)
	}
	if v := qv.Get("count"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return p, refuse(ScimInvalidValue, "count must be an integer")
		}
		p.count = min(max(n, 0), MaxCount)
	}
	if v := qv.Get("filter"); v != "" {
		f, err := ParseFilter(v)
		if err != nil {
			return p, err
		}
		p.filter = f
	}
	p.sortBy = qv.Get("sortBy")
	switch qv.Get("sortOrder") {
	case "", "ascending":
	case "descending":
		p.descending = true
	default:
		return p, refuse(ScimInvalidValue, "sortOrder must be ascending or descending")
	}
	return p, nil
}

// caseExact says which attributes compare case-sensitively in filters:
// ids and references (RFC 7643 §4.1, §4.2).
func caseExact(path string) bool {
	switch path {
	case "id", "members.value", "members.$ref", "meta.location", "meta.version":
		return true
	}
	return false
}

// listResponse answers the page of all that p selects, filtered and
// sorted.
func listResponse(w http.ResponseWriter, q *request, p listParams, all []map[string]any) {
	if p.filter != nil {
		all = slices.DeleteFunc(all, func(res map[string]any) bool { return !p.filter.MatchWith(res, caseExact) })
	}
	if p.sortBy != "" {
		SortBy(all, p.sortBy, p.descending)
	}
	page := []map[string]any{}
	if from := p.startIndex - 1; from < len(all) {
		for _, res := range all[from:min(from+p.count, len(all))] {
			page = append(page, project(res, q))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas": []string{SchemaListResp}, "totalResults": len(all),
		"startIndex": p.startIndex, "itemsPerPage": len(page), "Resources": page,
	})
}

func (s *Service) listUsers(w http.ResponseWriter, q *request) {
	p, err := readListParams(q.Request)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	var all []map[string]any
	err = s.d.Store.View(q.Context(), func(ctx context.Context, tx store.Tx) error {
		// Every page of the directory, in creation order: totalResults and
		// filters need them all.
		for after := ""; ; {
			users, next, err := s.d.Directory.Search(ctx, tx, q.tenantID, directory.SearchQuery{After: after, Limit: directory.MaxSearchLimit})
			if err != nil {
				return err
			}
			for _, u := range users {
				res, err := s.userResource(ctx, tx, q, u)
				if err != nil {
					return err
				}
				all = append(all, res)
			}
			if next == "" {
				return nil
			}
			after = next
		}
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	listResponse(w, q, p, all)
}

// alwaysReturned are the attributes attributes= and excludedAttributes=
// never remove (RFC 7643 §7, returned "always").
var alwaysReturned = map[string]bool{"id": true, "schemas": true, "meta": true}

// project applies the attributes and excludedAttributes parameters to a
// resource, at the top level (a sub-attribute keeps its whole parent).
func project(res map[string]any, q *request) map[string]any {
	qv := q.URL.Query()
	keep, drop := names(qv.Get("attributes")), names(qv.Get("excludedAttributes"))
	if len(keep) == 0 && len(drop) == 0 {
		return res
	}
	out := map[string]any{}
	for k, v := range res {
		lk := strings.ToLower(k)
		switch {
		case alwaysReturned[k]:
		case len(keep) > 0 && !keep[lk]:
			continue
		case drop[lk]:
			continue
		}
		out[k] = v
	}
	return out
}

// names reads a comma-separated attribute list into lowercase top-level
// names ("name.givenName" → "name", a core URN prefix dropped).
func names(s string) map[string]bool {
	if s == "" {
		return nil
	}
	out := map[string]bool{}
	for n := range strings.SplitSeq(s, ",") {
		n = strings.TrimSpace(n)
		for _, urn := range []string{SchemaUser + ":", SchemaGroup + ":"} {
			if len(n) > len(urn) && strings.EqualFold(n[:len(urn)], urn) {
				n = n[len(urn):]
			}
		}
		if !strings.HasPrefix(strings.ToLower(n), "urn:") {
			n, _, _ = strings.Cut(n, ".")
		}
		out[strings.ToLower(n)] = true
	}
	return out
}
