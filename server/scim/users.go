package scim

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/store"
)

// multiValue is one entry of emails or phoneNumbers.
type multiValue struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

// userBody is a User resource as a client sends it.
type userBody struct {
	Schemas  []string `json:"schemas"`
	UserName string   `json:"userName"`
	// ExternalID is the client's own id of the user (RFC 7643 §3.1),
	// stored as given.
	ExternalID string `json:"externalId"`
	Name       *struct {
		GivenName  string `json:"givenName"`
		FamilyName string `json:"familyName"`
	} `json:"name"`
	DisplayName  string       `json:"displayName"`
	Emails       []multiValue `json:"emails"`
	PhoneNumbers []multiValue `json:"phoneNumbers"`
	Active       *bool        `json:"active"`
	Locale       string       `json:"locale"`
	// profile is the user type's extension object, if sent, and
	// typeName the type its URN names.
	profile  map[string]any
	typeName string
}

// decodeUser reads a User resource, with its profile extension.
func decodeUser(w http.ResponseWriter, r *http.Request) (userBody, error) {
	var raw map[string]any
	if err := decodeBody(w, r, &raw); err != nil {
		return userBody{}, refuse(ScimInvalidSyntax, err.Error())
	}
	return userFromMap(raw)
}

// userFromMap reads a User resource from its decoded JSON.
func userFromMap(raw map[string]any) (userBody, error) {
	// A value of the wrong type is invalidValue (RFC 7644 §3.12), whether
	// the client sent it or a PATCH made it.
	var b userBody
	if err := remarshal(raw, &b); err != nil {
		return userBody{}, refuse(ScimInvalidValue, "not a User resource: "+err.Error())
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if !strings.HasPrefix(k, ProfileSchemaPrefix) {
			continue
		}
		p, ok := raw[k].(map[string]any)
		if !ok {
			return userBody{}, refuse(ScimInvalidValue, k+" must be an object")
		}
		name, ok := strings.CutSuffix(k[len(ProfileSchemaPrefix):], ":2.0:User")
		if !ok || name == "" {
			return userBody{}, refuse(ScimInvalidValue, "unknown schema "+k)
		}
		if b.typeName != "" {
			// A user has one type: two extensions cannot both be its profile.
			return userBody{}, refuse(ScimInvalidValue, "a user carries the profile extension of one user type, not "+
				profileSchema(b.typeName)+" and "+k)
		}
		b.profile, b.typeName = p, name
	}
	if b.UserName == "" {
		return userBody{}, refuse(ScimInvalidValue, "userName is required")
	}
	return b, nil
}

// primary returns the value of the primary entry (else the first).
func primary(vs []multiValue) string {
	for _, v := range vs {
		if v.Primary {
			return v.Value
		}
	}
	if len(vs) > 0 {
		return vs[0].Value
	}
	return ""
}

func (b userBody) names() (given, family string) {
	if b.Name != nil {
		return b.Name.GivenName, b.Name.FamilyName
	}
	return "", ""
}

// userResource maps a directory user to a SCIM User.
func (s *Service) userResource(ctx context.Context, tx store.Tx, q *request, u directory.User) (map[string]any, error) {
	tag := etag(u.ID, u.UpdatedAt)
	res := map[string]any{
		"id": u.ID, "userName": u.Login, "active": u.Status == directory.StatusActive,
		"meta": meta("User", q.location("Users", u.ID), u.CreatedAt, u.UpdatedAt, tag),
	}
	if u.ExternalID != "" {
		res["externalId"] = u.ExternalID
	}
	schemas := []string{SchemaUser}
	name := map[string]any{}
	if u.GivenName != "" {
		name["givenName"] = u.GivenName
	}
	if u.FamilyName != "" {
		name["familyName"] = u.FamilyName
	}
	if len(name) > 0 {
		res["name"] = name
	}
	if u.Name != "" {
		res["displayName"] = u.Name
	}
	if u.Email != "" {
		res["emails"] = []map[string]any{{"value": u.Email, "primary": true}}
	}
	if u.Phone != "" {
		res["phoneNumbers"] = []map[string]any{{"value": u.Phone, "primary": true}}
	}
	if u.Locale != "" {
		res["locale"] = u.Locale
	}
	if len(u.Profile) > 0 {
		name, ok := q.typeNames[u.TypeID]
		if !ok {
			t, err := s.d.Directory.UserType(ctx, tx, q.tenantID, u.TypeID)
			if err != nil {
				return nil, err
			}
			if q.typeNames == nil {
				q.typeNames = map[string]string{}
			}
			name, q.typeNames[u.TypeID] = t.Name, t.Name
		}
		urn := profileSchema(name)
		schemas = append(schemas, urn)
		res[urn] = u.Profile
	}
	res["schemas"] = schemas
	return res, nil
}

// profileSchema is the URN of a user type's profile extension.
func profileSchema(typeName string) string {
	return ProfileSchemaPrefix + typeName + ":2.0:User"
}

func (s *Service) getUser(w http.ResponseWriter, q *request) {
	var res map[string]any
	err := s.d.Store.View(q.Context(), func(ctx context.Context, tx store.Tx) error {
		u, err := s.d.Directory.User(ctx, tx, q.tenantID, q.PathValue("id"))
		if err != nil {
			return err
		}
		res, err = s.userResource(ctx, tx, q, u)
		return err
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	if h := q.Header.Get("If-None-Match"); h != "" && matchTag(h, res["meta"].(map[string]any)["version"].(string)) {
		w.Header().Set("ETag", res["meta"].(map[string]any)["version"].(string))
		w.WriteHeader(http.StatusNotModified)
		return
	}
	writeResource(w, http.StatusOK, project(res, q))
}

func (s *Service) createUser(w http.ResponseWriter, q *request) {
	b, err := decodeUser(w, q.Request)
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	var res map[string]any
	err = s.d.Store.Tx(q.Context(), func(ctx context.Context, tx store.Tx) error {
		u, err := s.insertUser(ctx, tx, q.tenantID, b)
		if err != nil {
			return err
		}
		res, err = s.userResource(ctx, tx, q, u)
		return err
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	writeResource(w, http.StatusCreated, res)
}

// insertUser creates the user b describes; one that is not active is
// created STAGED.
func (s *Service) insertUser(ctx context.Context, tx store.Tx, tenantID string, b userBody) (directory.User, error) {
	given, family := b.names()
	in := directory.UserInput{
		Login: b.UserName, Email: primary(b.Emails), Name: b.DisplayName, GivenName: given, FamilyName: family,
		Phone: primary(b.PhoneNumbers), Locale: b.Locale, ExternalID: b.ExternalID, Status: directory.StatusActive,
		Profile: b.profile, Actor: actor,
	}
	if in.Email == "" && strings.Contains(in.Login, "@") {
		// The directory would take the login as the address; SCIM said
		// nothing of one, so there is none to verify either way.
		in.Email = in.Login
	}
	if b.Active != nil && !*b.Active {
		in.Status = directory.StatusStaged
	}
	if b.typeName != "" {
		t, err := s.typeNamed(ctx, tx, tenantID, b.typeName)
		if err != nil {
			return directory.User{}, err
		}
		in.TypeID = t.ID
	}
	return s.d.Directory.CreateUser(ctx, tx, tenantID, in)
}

func (s *Service) replaceUser(w http.ResponseWriter, q *request) {
	b, err := decodeUser(w, q.Request)
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
	writeResource(w, http.StatusOK, res)
}

// putUser replaces the attributes of u with b's, then its status.
func (s *Service) putUser(ctx context.Context, tx store.Tx, tenantID string, u directory.User, b userBody) (directory.User, error) {
	if directory.NormalizeLogin(b.UserName) != u.Login {
		return directory.User{}, refuse(ScimMutability, "userName cannot be changed")
	}
	if b.typeName != "" {
		t, err := s.typeNamed(ctx, tx, tenantID, b.typeName)
		if err != nil {
			return directory.User{}, err
		}
		if t.ID != u.TypeID {
			return directory.User{}, refuse(ScimMutability, "the user type (profile extension) cannot be changed")
		}
	}
	given, family := b.names()
	email, phone := primary(b.Emails), primary(b.PhoneNumbers)
	profile := b.profile
	if profile == nil {
		profile = map[string]any{}
	}
	up := directory.UserUpdate{Email: &email, Name: &b.DisplayName, GivenName: &given, FamilyName: &family,
		Phone: &phone, Locale: &b.Locale, ExternalID: &b.ExternalID, Profile: profile}
	u, err := s.d.Directory.UpdateUser(ctx, tx, tenantID, u.ID, up, actor)
	if err != nil {
		return directory.User{}, err
	}
	if b.Active != nil {
		return s.setActive(ctx, tx, tenantID, u, *b.Active)
	}
	return u, nil
}

// setActive moves u to ACTIVE or SUSPENDED as the lifecycle allows: a
// deprovisioned user goes back through STAGED.
func (s *Service) setActive(ctx context.Context, tx store.Tx, tenantID string, u directory.User, active bool) (directory.User, error) {
	switch {
	case active && u.Status != directory.StatusActive:
		if u.Status == directory.StatusDeprovisioned {
			var err error
			if u, err = s.d.Directory.Transition(ctx, tx, tenantID, u.ID, directory.StatusStaged, actor); err != nil {
				return directory.User{}, err
			}
		}
		return s.d.Directory.Transition(ctx, tx, tenantID, u.ID, directory.StatusActive, actor)
	case !active && u.Status == directory.StatusActive:
		return s.d.Directory.Transition(ctx, tx, tenantID, u.ID, directory.StatusSuspended, actor)
	}
	return u, nil
}

// deleteUser erases the user (directory.Erase): RFC 7644 §3.6 wants it
// gone, not merely switched off; a client that wants that sets active.
func (s *Service) deleteUser(w http.ResponseWriter, q *request) {
	err := s.d.Store.Tx(q.Context(), func(ctx context.Context, tx store.Tx) error {
		u, err := s.d.Directory.User(ctx, tx, q.tenantID, q.PathValue("id"))
		if err != nil {
			return err
		}
		if err := checkIfMatch(q.Request, etag(u.ID, u.UpdatedAt)); err != nil {
			return err
		}
		return s.d.Directory.Erase(ctx, tx, q.tenantID, u.ID)
	})
	if err != nil {
		s.fail(w, q.Request, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// typeNamed finds the user type a profile extension names.
func (s *Service) typeNamed(ctx context.Context, tx store.Tx, tenantID, name string) (directory.UserType, error) {
	ts, err := s.d.Directory.UserTypes(ctx, tx, tenantID)
	if err != nil {
		return directory.UserType{}, err
	}
	for _, t := range ts {
		if t.Name == name {
			return t, nil
		}
	}
	return directory.UserType{}, refuse(ScimInvalidValue, "no user type is named "+strconv.Quote(name))
}
