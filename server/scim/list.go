package scim

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
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
// ids, externalId and references (RFC 7643 §3.1, §4.1, §4.2).
func caseExact(path string) bool {
	switch path {
	case "id", "externalid", "members.value", "members.$ref", "meta.location", "meta.version":
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
	var page []map[string]any
	if from := p.startIndex - 1; from < len(all) {
		page = all[from:min(from+p.count, len(all))]
	}
	writeList(w, q, p, len(all), page)
}

// writeList answers a ListResponse of total resources, of which page is
// the one p asked for.
func writeList(w http.ResponseWriter, q *request, p listParams, total int, page []map[string]any) {
	items := []map[string]any{}
	for _, res := range page {
		items = append(items, project(res, q))
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"schemas": []string{SchemaListResp}, "totalResults": total,
		"startIndex": p.startIndex, "itemsPerPage": len(items), "Resources": items,
	})
}

// scanLimit is the most resources a list request reads into memory.
func (s *Service) scanLimit() int {
	if s.d.ScanLimit > 0 {
		return s.d.ScanLimit
	}
	return DefaultScanLimit
}

func (s *Service) listUsers(w http.ResponseWriter, q *request) {
	p, err := readListParams(q.Request)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	var (
		all   []map[string]any
		paged bool // the directory answered the page: total and page are set
		total int
	)
	err = s.d.Store.View(q.Context(), func(ctx context.Context, tx store.Tx) error {
		var users []directory.User
		var err error
		if ls, ok := probes(p.filter, SchemaUser, userLookups); ok {
			users, err = s.findUsers(ctx, tx, q.tenantID, ls)
		} else if p.filter == nil && p.sortBy == "" {
			paged = true
			if total, users, err = s.userPage(ctx, tx, q.tenantID, p); err != nil {
				return err
			}
		} else {
			users, err = s.allUsers(ctx, tx, q.tenantID)
		}
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
		return nil
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	if paged {
		writeList(w, q, p, total, all)
		return
	}
	listResponse(w, q, p, all)
}

// userPage returns how many users the tenant has and the page p asks
// for, in ID order, as the directory pages them.
func (s *Service) userPage(ctx context.Context, tx store.Tx, tenantID string, p listParams) (int, []directory.User, error) {
	total, err := s.d.Directory.CountUsers(ctx, tx, tenantID, directory.SearchQuery{})
	if err != nil || p.count == 0 || p.startIndex-1 >= total {
		return total, nil, err
	}
	users, _, err := s.d.Directory.Search(ctx, tx, tenantID, directory.SearchQuery{Offset: p.startIndex - 1, Limit: p.count})
	return total, users, err
}

// findUsers returns the users the probes find, each once, in ID order,
// as a scan would list them; more than scanLimit is tooMany.
func (s *Service) findUsers(ctx context.Context, tx store.Tx, tenantID string, ls []probe) ([]directory.User, error) {
	limit := s.scanLimit()
	found := map[string]directory.User{}
	add := func(us ...directory.User) error {
		for _, u := range us {
			found[u.ID] = u
		}
		if len(found) > limit {
			return tooMany("user", limit)
		}
		return nil
	}
	for _, l := range ls {
		var err error
		switch l.attr {
		case "id", "username":
			var u directory.User
			if l.attr == "id" {
				u, err = s.d.Directory.User(ctx, tx, tenantID, l.value)
			} else {
				u, err = s.d.Directory.UserByLogin(ctx, tx, tenantID, l.value)
			}
			if err == nil {
				err = add(u)
			} else if errors.Is(err, store.ErrNotFound) {
				err = nil
			}
		case "emails":
			var us []directory.User
			if us, err = s.d.Directory.UsersByEmail(ctx, tx, tenantID, l.value, limit+1); err == nil {
				err = add(us...)
			}
		case "externalid":
			// An absent externalId equals no string, "" included; an
			// empty ExternalID would select every user.
			for after := ""; l.value != "" && err == nil; {
				var us []directory.User
				us, after, err = s.d.Directory.Search(ctx, tx, tenantID,
					directory.SearchQuery{ExternalID: l.value, After: after, Limit: directory.MaxSearchLimit})
				if err == nil {
					err = add(us...)
				}
				if after == "" {
					break
				}
			}
		}
		if err != nil {
			return nil, err
		}
	}
	out := slices.SortedFunc(maps.Values(found), func(a, b directory.User) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

// allUsers reads every user of the tenant, in ID order, for a filter or
// sort the directory cannot evaluate; more than scanLimit is tooMany.
func (s *Service) allUsers(ctx context.Context, tx store.Tx, tenantID string) ([]directory.User, error) {
	limit := s.scanLimit()
	n, err := s.d.Directory.CountUsers(ctx, tx, tenantID, directory.SearchQuery{})
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, tooMany("user", limit)
	}
	var all []directory.User
	for after := ""; ; {
		users, next, err := s.d.Directory.Search(ctx, tx, tenantID, directory.SearchQuery{After: after, Limit: directory.MaxSearchLimit})
		if err != nil {
			return nil, err
		}
		if all = append(all, users...); len(all) > limit {
			return nil, tooMany("user", limit) // users created since the count
		}
		if next == "" {
			return all, nil
		}
		after = next
	}
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
