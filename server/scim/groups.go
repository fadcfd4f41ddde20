package scim

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// groupBody is a Group resource as a client sends it.
type groupBody struct {
	Schemas     []string `json:"schemas"`
	DisplayName string   `json:"displayName"`
	// ExternalID is the client's own id of the group (RFC 7643 §3.1).
	ExternalID string `json:"externalId"`
	// Members are users; Lintel's groups do not nest, so a member that is
	// a group is refused as a user that does not exist.
	Members []struct {
		Value string `json:"value"`
	} `json:"members"`
}

// decodeGroup reads a Group resource.
func decodeGroup(w http.ResponseWriter, r *http.Request) (groupBody, error) {
	var b groupBody
	if err := decodeBody(w, r, &b); err != nil {
		return groupBody{}, refuse(ScimInvalidSyntax, err.Error())
	}
	if b.DisplayName == "" {
		return groupBody{}, refuse(ScimInvalidValue, "displayName is required")
	}
	return b, nil
}

// members lists every member of a group.
func (s *Service) members(ctx context.Context, tx store.Tx, tenantID, groupID string) ([]directory.Member, error) {
	var all []directory.Member
	for after := ""; ; {
		page, next, err := s.d.Directory.Members(ctx, tx, tenantID, groupID, after, directory.MaxGroupPageLimit)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		if next == "" {
			return all, nil
		}
		after = next
	}
}

// groupResource maps a directory group and its members to a SCIM Group.
func (s *Service) groupResource(ctx context.Context, tx store.Tx, q *request, g directory.Group) (map[string]any, error) {
	return s.groupMap(ctx, tx, q, g, true)
}

// groupMap maps a directory group to a SCIM Group, its members only when
// withMembers (the version covers them either way).
func (s *Service) groupMap(ctx context.Context, tx store.Tx, q *request, g directory.Group, withMembers bool) (map[string]any, error) {
	ms, err := s.members(ctx, tx, q.tenantID, g.ID)
	if err != nil {
		return nil, err
	}
	members := []map[string]any{}
	for _, m := range ms {
		if !withMembers {
			break // only the version needs them
		}
		u, err := s.d.Directory.User(ctx, tx, q.tenantID, m.UserID)
		if err != nil {
			return nil, err
		}
		display := u.Name
		if display == "" {
			display = u.Login
		}
		members = append(members, map[string]any{"value": u.ID, "$ref": q.location("Users", u.ID), "display": display, "type": "User"})
	}
	// A membership changes no group row, so the version covers members too.
	updated := g.UpdatedAt
	for _, m := range ms {
		if m.AddedAt.After(updated) {
			updated = m.AddedAt
		}
	}
	res := map[string]any{
		"schemas": []string{SchemaGroup}, "id": g.ID, "displayName": g.Name,
		"meta": meta("Group", q.location("Groups", g.ID), g.CreatedAt, updated, groupTag(g, ms)),
	}
	if g.ExternalID != "" {
		res["externalId"] = g.ExternalID
	}
	if withMembers {
		res["members"] = members
	}
	return res, nil
}

// groupTag is a group's version: its row and its member list, since a
// membership changes no group row (a removal leaves no time behind).
func groupTag(g directory.Group, ms []directory.Member) string {
	id := g.ID
	for _, m := range ms {
		id += "|" + m.UserID
	}
	return etag(id, g.UpdatedAt)
}

// loadGroup reads a group and its version.
func (s *Service) loadGroup(ctx context.Context, tx store.Tx, tenantID, id string) (directory.Group, string, error) {
	g, err := s.d.Directory.Group(ctx, tx, tenantID, id)
	if err != nil {
		return directory.Group{}, "", err
	}
	ms, err := s.members(ctx, tx, tenantID, id)
	if err != nil {
		return directory.Group{}, "", err
	}
	return g, groupTag(g, ms), nil
}

func (s *Service) getGroup(w http.ResponseWriter, q *request) {
	var res map[string]any
	err := s.d.Store.View(q.Context(), func(ctx context.Context, tx store.Tx) error {
		g, err := s.d.Directory.Group(ctx, tx, q.tenantID, q.PathValue("id"))
		if err != nil {
			return err
		}
		res, err = s.groupResource(ctx, tx, q, g)
		return err
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	tag := res["meta"].(map[string]any)["version"].(string)
	if h := q.Header.Get("If-None-Match"); h != "" && matchTag(h, tag) {
		w.Header().Set("ETag", tag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeResource(w, http.StatusOK, project(res, q))
}

func (s *Service) listGroups(w http.ResponseWriter, q *request) {
	p, err := readListParams(q.Request)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	// Members are the costly part of a group (a user read for each); a
	// client that neither asks for them nor filters or sorts on them
	// (Entra ID and Okta send excludedAttributes=members) gets groups
	// without them, which the projection would have removed anyway.
	withMembers := returned(q, "members") || strings.Contains(strings.ToLower(p.sortBy), "members") ||
		p.filter != nil && strings.Contains(strings.ToLower(p.filter.String()), "members")
	var (
		all   []map[string]any
		paged bool // the directory answered the page
		total int
	)
	err = s.d.Store.View(q.Context(), func(ctx context.Context, tx store.Tx) error {
		var gs []directory.Group
		var err error
		if ps, ok := probes(p.filter, SchemaGroup, groupLookups); ok {
			gs, err = s.findGroups(ctx, tx, q.tenantID, ps)
		} else if p.filter == nil && p.sortBy == "" {
			paged = true
			total, gs, err = s.groupPage(ctx, tx, q.tenantID, p)
		} else {
			gs, err = s.allGroups(ctx, tx, q.tenantID)
		}
		if err != nil {
			return err
		}
		for _, g := range gs {
			res, err := s.groupMap(ctx, tx, q, g, withMembers)
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

// groupPage returns how many groups the tenant has and the page p asks
// for, in ID order.
func (s *Service) groupPage(ctx context.Context, tx store.Tx, tenantID string, p listParams) (int, []directory.Group, error) {
	total, err := s.d.Directory.CountGroups(ctx, tx, tenantID)
	if err != nil || p.count == 0 || p.startIndex-1 >= total {
		return total, nil, err
	}
	gs, err := s.d.Directory.GroupsAt(ctx, tx, tenantID, p.startIndex-1, p.count)
	return total, gs, err
}

// findGroups returns the groups the probes find, each once, in ID order;
// more than scanLimit is tooMany.
func (s *Service) findGroups(ctx context.Context, tx store.Tx, tenantID string, ps []probe) ([]directory.Group, error) {
	limit := s.scanLimit()
	found := map[string]directory.Group{}
	for _, pr := range ps {
		var gs []directory.Group
		var err error
		switch pr.attr {
		case "id", "displayname":
			var g directory.Group
			if pr.attr == "id" {
				g, err = s.d.Directory.Group(ctx, tx, tenantID, pr.value)
			} else {
				g, err = s.d.Directory.GroupByName(ctx, tx, tenantID, pr.value)
			}
			gs = []directory.Group{g}
			if errors.Is(err, store.ErrNotFound) {
				gs, err = nil, nil
			}
		case "externalid":
			gs, err = s.d.Directory.GroupsByExternalID(ctx, tx, tenantID, pr.value, limit+1)
		}
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			found[g.ID] = g
		}
		if len(found) > limit {
			return nil, tooMany("group", limit)
		}
	}
	return slices.SortedFunc(maps.Values(found), func(a, b directory.Group) int { return strings.Compare(a.ID, b.ID) }), nil
}

// allGroups reads every group of the tenant, in ID order; more than
// scanLimit is tooMany.
func (s *Service) allGroups(ctx context.Context, tx store.Tx, tenantID string) ([]directory.Group, error) {
	limit := s.scanLimit()
	n, err := s.d.Directory.CountGroups(ctx, tx, tenantID)
	if err != nil {
		return nil, err
	}
	if n > limit {
		return nil, tooMany("group", limit)
	}
	var all []directory.Group
	for after := ""; ; {
		gs, next, err := s.d.Directory.ListGroups(ctx, tx, tenantID, after, directory.MaxGroupPageLimit)
		if err != nil {
			return nil, err
		}
		if all = append(all, gs...); len(all) > limit {
			return nil, tooMany("group", limit) // groups created since the count
		}
		if next == "" {
			return all, nil
		}
		after = next
	}
}

func (s *Service) createGroup(w http.ResponseWriter, q *request) {
	b, err := decodeGroup(w, q.Request)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	var res map[string]any
	err = s.d.Store.Tx(q.Context(), func(ctx context.Context, tx store.Tx) error {
		g, err := s.d.Directory.CreateGroup(ctx, tx, q.tenantID, directory.GroupInput{Name: b.DisplayName})
		if err != nil {
			return err
		}
		if g, err = s.d.Directory.SetGroupExternalID(ctx, tx, q.tenantID, g.ID, b.ExternalID); err != nil {
			return err
		}
		if err := s.setMembers(ctx, tx, q.tenantID, g.ID, nil, b); err != nil {
			return err
		}
		res, err = s.groupResource(ctx, tx, q, g)
		return err
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	writeResource(w, http.StatusCreated, res)
}

// setMembers makes the group's members those b lists: it adds the new
// ones and removes the others of have.
func (s *Service) setMembers(ctx context.Context, tx store.Tx, tenantID, groupID string, have []directory.Member, b groupBody) error {
	want := map[string]bool{}
	for _, m := range b.Members {
		want[m.Value] = true
	}
	for _, m := range have {
		if want[m.UserID] {
			delete(want, m.UserID)
			continue
		}
		if err := s.d.Directory.RemoveMember(ctx, tx, tenantID, groupID, m.UserID); err != nil {
			return err
		}
	}
	for _, m := range b.Members {
		if !want[m.Value] {
			continue
		}
		delete(want, m.Value)
		err := s.d.Directory.AddMember(ctx, tx, tenantID, groupID, m.Value)
		if errors.Is(err, store.ErrNotFound) {
			return refuse(ScimInvalidValue, "member "+strconv.Quote(m.Value)+" is not a user of the tenant")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) replaceGroup(w http.ResponseWriter, q *request) {
	b, err := decodeGroup(w, q.Request)
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
		if g, err = s.d.Directory.UpdateGroup(ctx, tx, q.tenantID, g.ID, groupInput(g, b)); err != nil {
			return err
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
	writeResource(w, http.StatusOK, res)
}

func (s *Service) deleteGroup(w http.ResponseWriter, q *request) {
	err := s.d.Store.Tx(q.Context(), func(ctx context.Context, tx store.Tx) error {
		_, tag, err := s.loadGroup(ctx, tx, q.tenantID, q.PathValue("id"))
		if err != nil {
			return err
		}
		if err := checkIfMatch(q.Request, tag); err != nil {
			return err
		}
		return s.d.Directory.DeleteGroup(ctx, tx, q.tenantID, q.PathValue("id"))
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// groupInput is g renamed as b says; SCIM has no description to change.
func groupInput(g directory.Group, b groupBody) directory.GroupInput {
	return directory.GroupInput{Name: b.DisplayName, Description: g.Description}
}
