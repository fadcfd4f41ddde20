package directory

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func userIDs(us []User) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.ID)
	}
	return out
}

func groupIDs(gs []Group) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.ID)
	}
	return out
}

func TestUserExternalID(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ann := e.user(t, tenantA, UserInput{Login: "ann", ExternalID: "HR-1"})
		e.clk.Advance(time.Second)
		bob := e.user(t, tenantA, UserInput{Login: "bob", ExternalID: "HR-1"})
		e.clk.Advance(time.Second)
		cat := e.user(t, tenantA, UserInput{Login: "cat"})
		e.user(t, tenantB, UserInput{Login: "ann", ExternalID: "HR-1"})
		if got := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) { return e.dir.User(ctx, tx, tenantA, ann.ID) }); got.ExternalID != "HR-1" {
			t.Fatalf("stored external ID %q", got.ExternalID)
		}
		for _, tc := range []struct {
			name string
			q    SearchQuery
			want []string
		}{
			{"finds every user of the tenant with the external ID, which is not unique", SearchQuery{ExternalID: "HR-1"}, []string{ann.ID, bob.ID}},
			{"compares external IDs exactly", SearchQuery{ExternalID: "hr-1"}, []string{}},
			{"combines with other conditions", SearchQuery{ExternalID: "HR-1", Q: "bo"}, []string{bob.ID}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, _ := search(t, e, tc.q)
				if !slices.Equal(userIDs(got), tc.want) {
					t.Fatalf("got %v, want %v", userIDs(got), tc.want)
				}
			})
		}
		str := func(s string) *string { return &s }
		t.Run("an update sets and clears it, and names the field", func(t *testing.T) {
			got := get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
				return e.dir.UpdateUser(ctx, tx, tenantA, cat.ID, UserUpdate{ExternalID: str("00000000-aaaa")}, admin)
			})
			if got.ExternalID != "00000000-aaaa" {
				t.Fatalf("updated %+v", got)
			}
			if f := changedFields(cat, got); !slices.Equal(f, []string{"external_id"}) {
				t.Fatalf("changed fields %v", f)
			}
			got = get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
				return e.dir.UpdateUser(ctx, tx, tenantA, cat.ID, UserUpdate{Name: str("Cat")}, admin)
			})
			if got.ExternalID != "00000000-aaaa" {
				t.Fatalf("an update without it changed it: %+v", got)
			}
			got = get(t, e, func(ctx context.Context, tx store.Tx) (User, error) {
				return e.dir.UpdateUser(ctx, tx, tenantA, cat.ID, UserUpdate{ExternalID: str("")}, admin)
			})
			if got.ExternalID != "" {
				t.Fatalf("not cleared: %+v", got)
			}
		})
		t.Run("refuses one too long or unprintable", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.CreateUser(ctx, tx, tenantA, UserInput{Login: "dan", ExternalID: strings.Repeat("x", MaxExternalIDLen+1)})
				return err
			})
			wantFields(t, err, "external_id")
			err = e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.UpdateUser(ctx, tx, tenantA, ann.ID, UserUpdate{ExternalID: str("a\x00b")}, admin)
				return err
			})
			wantFields(t, err, "external_id")
		})
		t.Run("is exported", func(t *testing.T) {
			out := get(t, e, func(ctx context.Context, tx store.Tx) (map[string]any, error) {
				return e.dir.Export(ctx, tx, tenantA, ann.ID)
			})
			if out["user"].(map[string]any)["external_id"] != "HR-1" {
				t.Fatalf("export %v", out["user"])
			}
		})
	})
}

func TestSearchOffsetAndCount(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var all []User
		for _, login := range []string{"a", "b", "c", "d", "e"} {
			e.clk.Advance(time.Second) // IDs are time-ordered
			st := StatusActive
			if login == "c" {
				st = StatusStaged
			}
			all = append(all, e.user(t, tenantA, UserInput{Login: login, Status: st}))
		}
		e.user(t, tenantB, UserInput{Login: "a"})
		for _, tc := range []struct {
			name     string
			q        SearchQuery
			want     []User
			wantNext bool
		}{
			{"skips the offset", SearchQuery{Offset: 2, Limit: 2}, all[2:4], true},
			{"ends at the last user", SearchQuery{Offset: 3, Limit: 5}, all[3:], false},
			{"is empty past the end", SearchQuery{Offset: 9}, nil, false},
			{"skips after the cursor", SearchQuery{After: all[0].ID, Offset: 1, Limit: 1}, all[2:3], true},
			{"skips within the selection", SearchQuery{Status: StatusActive, Offset: 2}, all[3:], false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, next := search(t, e, tc.q)
				if !slices.Equal(userIDs(got), userIDs(tc.want)) || (next != "") != tc.wantNext {
					t.Fatalf("got %v (next %q), want %v", userIDs(got), next, userIDs(tc.want))
				}
			})
		}
		count := func(q SearchQuery) (int, error) {
			var n int
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				n, err = e.dir.CountUsers(ctx, tx, tenantA, q)
				return err
			})
			return n, err
		}
		for _, tc := range []struct {
			name string
			q    SearchQuery
			want int
		}{
			{"counts every user of the tenant", SearchQuery{}, 5},
			{"counts a selection", SearchQuery{Status: StatusStaged}, 1},
			{"ignores the paging", SearchQuery{After: all[3].ID, Offset: 3, Limit: 1}, 5},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if n, err := count(tc.q); err != nil || n != tc.want {
					t.Fatalf("count %d, %v; want %d", n, err, tc.want)
				}
			})
		}
		t.Run("refuses bad input", func(t *testing.T) {
			_, err := count(SearchQuery{Status: "nope"})
			wantFields(t, err, "status")
			err = e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.dir.Search(ctx, tx, tenantA, SearchQuery{Offset: -1})
				return err
			})
			wantFields(t, err, "offset")
		})
	})
}

func TestGroupLookups(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var gs []Group
		for _, name := range []string{"Sales", "Ops", "Dev"} {
			e.clk.Advance(time.Second)
			gs = append(gs, e.group(t, tenantA, name))
		}
		e.group(t, tenantB, "Sales")
		setExt := func(id, ext string) (Group, error) {
			var g Group
			err := e.do(t, func(ctx context.Context, tx store.Tx) (err error) {
				g, err = e.dir.SetGroupExternalID(ctx, tx, tenantA, id, ext)
				return err
			})
			return g, err
		}
		t.Run("sets an external ID, which moves the version and survives an update", func(t *testing.T) {
			e.clk.Advance(time.Minute)
			g, err := setExt(gs[0].ID, "AAD-1")
			if err != nil || g.ExternalID != "AAD-1" || !g.UpdatedAt.After(gs[0].UpdatedAt) {
				t.Fatalf("set %+v, %v", g, err)
			}
			same, err := setExt(gs[0].ID, "AAD-1")
			if err != nil || same != g {
				t.Fatalf("setting it again changed %+v into %+v (%v)", g, same, err)
			}
			got := get(t, e, func(ctx context.Context, tx store.Tx) (Group, error) {
				return e.dir.UpdateGroup(ctx, tx, tenantA, gs[0].ID, GroupInput{Name: "Sales"})
			})
			if got.ExternalID != "AAD-1" {
				t.Fatalf("UpdateGroup lost the external ID: %+v", got)
			}
			if _, err := setExt(gs[1].ID, "AAD-1"); err != nil {
				t.Fatalf("a shared external ID: %v", err)
			}
		})
		t.Run("refuses a bad external ID and an unknown group", func(t *testing.T) {
			_, err := setExt(gs[2].ID, strings.Repeat("x", MaxExternalIDLen+1))
			wantFields(t, err, "external_id")
			_, err = setExt("grp_nothing", "x")
			wantNotFound(t, err)
		})
		t.Run("finds groups by external ID, exactly, bounded by the limit", func(t *testing.T) {
			for _, tc := range []struct {
				ext   string
				limit int
				want  []string
			}{
				{"AAD-1", 0, []string{gs[0].ID, gs[1].ID}},
				{"AAD-1", 1, []string{gs[0].ID}},
				{"aad-1", 0, []string{}},
				{"", 0, []string{}},
			} {
				got := get(t, e, func(ctx context.Context, tx store.Tx) ([]Group, error) {
					return e.dir.GroupsByExternalID(ctx, tx, tenantA, tc.ext, tc.limit)
				})
				if !slices.Equal(groupIDs(got), tc.want) {
					t.Errorf("%q limit %d: got %v, want %v", tc.ext, tc.limit, groupIDs(got), tc.want)
				}
			}
		})
		t.Run("finds a group by name ignoring case, only in its tenant", func(t *testing.T) {
			got := get(t, e, func(ctx context.Context, tx store.Tx) (Group, error) {
				return e.dir.GroupByName(ctx, tx, tenantA, "oPS")
			})
			if got.ID != gs[1].ID {
				t.Fatalf("got %+v", got)
			}
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.GroupByName(ctx, tx, tenantB, "Ops")
				return err
			})
			wantNotFound(t, err)
		})
		t.Run("counts and pages by position", func(t *testing.T) {
			n := get(t, e, func(ctx context.Context, tx store.Tx) (int, error) { return e.dir.CountGroups(ctx, tx, tenantA) })
			if n != 3 {
				t.Fatalf("count %d", n)
			}
			for _, tc := range []struct {
				offset, limit int
				want          []Group
			}{
				{0, 2, gs[:2]}, {1, 5, gs[1:]}, {3, 1, nil},
			} {
				got := get(t, e, func(ctx context.Context, tx store.Tx) ([]Group, error) {
					return e.dir.GroupsAt(ctx, tx, tenantA, tc.offset, tc.limit)
				})
				if !slices.Equal(groupIDs(got), groupIDs(tc.want)) {
					t.Errorf("offset %d limit %d: got %v, want %v", tc.offset, tc.limit, groupIDs(got), groupIDs(tc.want))
				}
			}
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.GroupsAt(ctx, tx, tenantA, -1, 0)
				return err
			})
			wantFields(t, err, "offset", "limit")
		})
	})
}
