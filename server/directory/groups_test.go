package directory

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/ident"
	"github.com/lintel-id/lintel/server/store"
)

// group creates a group, failing the test on an error.
func (e *env) group(t *testing.T, tenantID, name string) Group {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) (Group, error) {
		return e.dir.CreateGroup(ctx, tx, tenantID, GroupInput{Name: name})
	})
}

// memberIDs lists the user IDs of a group's members with their sources.
func (e *env) members(t *testing.T, tenantID, groupID string) []Member {
	t.Helper()
	return get(t, e, func(ctx context.Context, tx store.Tx) ([]Member, error) {
		list, _, err := e.dir.Members(ctx, tx, tenantID, groupID, "", 0)
		return list, err
	})
}

func TestGroupCRUD(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		g := get(t, e, func(ctx context.Context, tx store.Tx) (Group, error) {
			return e.dir.CreateGroup(ctx, tx, tenantA, GroupInput{Name: "  Sales  ", Description: "people who sell"})
		})
		if !ident.Valid("grp", g.ID) || g.Name != "Sales" || g.Description != "people who sell" || !g.CreatedAt.Equal(t0) {
			t.Fatalf("created %+v", g)
		}
		t.Run("reads a group back", func(t *testing.T) {
			got := get(t, e, func(ctx context.Context, tx store.Tx) (Group, error) { return e.dir.Group(ctx, tx, tenantA, g.ID) })
			if got != g {
				t.Fatalf("read %+v, want %+v", got, g)
			}
		})
		t.Run("hides a group from another tenant", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.Group(ctx, tx, tenantB, g.ID)
				return err
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
		t.Run("updates name and description", func(t *testing.T) {
			e.clk.Advance(time.Minute)
			got := get(t, e, func(ctx context.Context, tx store.Tx) (Group, error) {
				return e.dir.UpdateGroup(ctx, tx, tenantA, g.ID, GroupInput{Name: "SALES", Description: ""})
			})
			if got.Name != "SALES" || got.Description != "" || !got.UpdatedAt.Equal(t0.Add(time.Minute)) || !got.CreatedAt.Equal(t0) {
				t.Fatalf("updated %+v", got)
			}
		})
		t.Run("lists groups page by page", func(t *testing.T) {
			// IDs order by creation time only across milliseconds.
			e.clk.Advance(time.Millisecond)
			e.group(t, tenantA, "b")
			e.clk.Advance(time.Millisecond)
			e.group(t, tenantA, "c")
			e.group(t, tenantB, "other tenant")
			var names []string
			after := ""
			for range 5 {
				var page []Group
				err := e.do(t, func(ctx context.Context, tx store.Tx) error {
					var err error
					page, after, err = e.dir.ListGroups(ctx, tx, tenantA, after, 2)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, g := range page {
					names = append(names, g.Name)
				}
				if after == "" {
					break
				}
			}
			if !slices.Equal(names, []string{"SALES", "b", "c"}) {
				t.Fatalf("listed %q", names)
			}
		})
		t.Run("deletes a group and its members", func(t *testing.T) {
			u := e.user(t, tenantA, UserInput{Login: "del"})
			d := e.group(t, tenantA, "doomed")
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.AddMember(ctx, tx, tenantA, d.ID, u.ID) }); err != nil {
				t.Fatal(err)
			}
			if err := e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.DeleteGroup(ctx, tx, tenantA, d.ID) }); err != nil {
				t.Fatal(err)
			}
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.Group(ctx, tx, tenantA, d.ID)
				return err
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("deleted group read: %v", err)
			}
			groups := get(t, e, func(ctx context.Context, tx store.Tx) ([]Group, error) { return e.dir.GroupsOf(ctx, tx, tenantA, u.ID) })
			if len(groups) != 0 {
				t.Fatalf("user still in %+v", groups)
			}
		})
	})
}

func TestGroupRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		taken := e.group(t, tenantA, "Admins")
		other := e.group(t, tenantA, "Other")
		e.group(t, tenantB, "Shared name")
		for _, tc := range []struct {
			name     string
			call     func(ctx context.Context, tx store.Tx) error
			conflict bool
			fields   []string
		}{
			{"refuses a duplicate name ignoring case", func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.CreateGroup(ctx, tx, tenantA, GroupInput{Name: "aDMINS"})
				return err
			}, true, []string{"name"}},
			{"refuses renaming onto another group's name", func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.UpdateGroup(ctx, tx, tenantA, other.ID, GroupInput{Name: "ADMINS"})
				return err
			}, true, []string{"name"}},
			{"refuses an empty name and an unprintable description", func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.CreateGroup(ctx, tx, tenantA, GroupInput{Name: "  ", Description: "a\x00b"})
				return err
			}, false, []string{"name", "description"}},
			{"refuses a name that is too long", func(ctx context.Context, tx store.Tx) error {
				_, err := e.dir.CreateGroup(ctx, tx, tenantA, GroupInput{Name: strings.Repeat("x", MaxGroupNameLen+1)})
				return err
			}, false, []string{"name"}},
			{"refuses a bad cursor and limit", func(ctx context.Context, tx store.Tx) error {
				_, _, err := e.dir.ListGroups(ctx, tx, tenantA, "nope", -1)
				return err
			}, false, []string{"after", "limit"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				err := e.do(t, tc.call)
				if errors.Is(err, store.ErrConflict) != tc.conflict {
					t.Fatalf("error %v: conflict %v, want %v", err, !tc.conflict, tc.conflict)
				}
				wantFields(t, err, tc.fields...)
			})
		}
		t.Run("allows the same name in another tenant and keeping one's own name", func(t *testing.T) {
			e.group(t, tenantA, "shared NAME")
			get(t, e, func(ctx context.Context, tx store.Tx) (Group, error) {
				return e.dir.UpdateGroup(ctx, tx, tenantA, taken.ID, GroupInput{Name: "admins"})
			})
		})
		if n := e.count(t, "groups"); n != 4 {
			t.Fatalf("%d groups, want 4", n)
		}
	})
}

func TestMembership(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		g := e.group(t, tenantA, "staff")
		alice := e.user(t, tenantA, UserInput{Login: "alice"})
		bob := e.user(t, tenantA, UserInput{Login: "bob"})
		stranger := e.user(t, tenantB, UserInput{Login: "stranger"})
		add := func(userID string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error { return e.dir.AddMember(ctx, tx, tenantA, g.ID, userID) })
		}
		remove := func(userID string) error {
			return e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.dir.RemoveMember(ctx, tx, tenantA, g.ID, userID)
			})
		}
		t.Run("adding twice keeps one manual membership", func(t *testing.T) {
			for range 2 {
				if err := add(alice.ID); err != nil {
					t.Fatal(err)
				}
			}
			if err := add(bob.ID); err != nil {
				t.Fatal(err)
			}
			got := e.members(t, tenantA, g.ID)
			if len(got) != 2 || got[0].Source != SourceManual || got[0].RuleID != "" || !got[0].AddedAt.Equal(t0) {
				t.Fatalf("members %+v", got)
			}
			groups := get(t, e, func(ctx context.Context, tx store.Tx) ([]Group, error) {
				return e.dir.GroupsOf(ctx, tx, tenantA, alice.ID)
			})
			if len(groups) != 1 || groups[0].ID != g.ID {
				t.Fatalf("alice is in %+v", groups)
			}
		})
		t.Run("pages members by user ID", func(t *testing.T) {
			var page []Member
			var next string
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				var err error
				page, next, err = e.dir.Members(ctx, tx, tenantA, g.ID, "", 1)
				return err
			})
			if err != nil || len(page) != 1 || next != page[0].UserID {
				t.Fatalf("page %+v next %q err %v", page, next, err)
			}
		})
		t.Run("removing twice is not an error", func(t *testing.T) {
			for range 2 {
				if err := remove(alice.ID); err != nil {
					t.Fatal(err)
				}
			}
			if got := e.members(t, tenantA, g.ID); len(got) != 1 || got[0].UserID != bob.ID {
				t.Fatalf("members %+v", got)
			}
		})
		t.Run("refuses a user of another tenant", func(t *testing.T) {
			if err := add(stranger.ID); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
		t.Run("refuses a group of another tenant", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.dir.AddMember(ctx, tx, tenantB, g.ID, stranger.ID)
			})
			if !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
		})
		t.Run("removes a user from every group", func(t *testing.T) {
			err := e.do(t, func(ctx context.Context, tx store.Tx) error {
				return e.dir.RemoveUserFromGroups(ctx, tx, tenantA, bob.ID)
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := e.members(t, tenantA, g.ID); len(got) != 0 {
				t.Fatalf("members %+v", got)
			}
		})
	})
}
