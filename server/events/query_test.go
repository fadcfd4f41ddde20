package events

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lintel-id/lintel/internal/invalid"
)

func TestQuery(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"selects a half-open time range", testQueryTimeRange},
		{"selects by exact type and by prefix", testQueryTypes},
		{"selects by actor", testQueryActor},
		{"keeps tenants apart", testQueryTenantIsolation},
		{"pages with the cursor without gaps or duplicates while events are appended", testQueryPagination},
		{"refuses bad queries naming the field", testQueryRefuses},
	})
}

func testQueryTimeRange(t *testing.T, e *env) {
	var evs []Event
	for i := range 3 {
		ev := change("app.updated")
		ev.Time = t0.Add(time.Duration(i) * time.Hour)
		evs = append(evs, e.append(t, ev)...)
	}
	tests := []struct {
		name     string
		from, to time.Time
		want     []Event
	}{
		{"unbounded", time.Time{}, time.Time{}, evs},
		{"from is inclusive", t0.Add(time.Hour), time.Time{}, evs[1:]},
		{"to is exclusive", time.Time{}, t0.Add(time.Hour), evs[:1]},
		{"both bounds", t0.Add(time.Hour), t0.Add(2 * time.Hour), evs[1:2]},
		{"a microsecond after an event excludes it", t0.Add(time.Hour + time.Microsecond), t0.Add(2*time.Hour + time.Microsecond), evs[2:]},
		{"an empty range", t0.Add(3 * time.Hour), t0.Add(4 * time.Hour), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.all(t, Query{TenantID: "ten_a", From: tc.from, To: tc.to})
			if !slices.Equal(ids(got), ids(tc.want)) {
				t.Fatalf("got %v, want %v", ids(got), ids(tc.want))
			}
		})
	}
}

func testQueryTypes(t *testing.T, e *env) {
	evs := e.append(t,
		change("app.created"),
		change("app.secret.rotated"),
		change("application.created"),
		change("tenant.updated"),
		change("mgmt_token.created"),
		change("mgmtxtoken.created"), // "_" must not match any character
	)
	tests := []struct {
		name  string
		types []string
		want  []Event
	}{
		{"exact type", []string{"app.created"}, evs[:1]},
		{"prefix matches every depth but not a longer word", []string{"app.*"}, evs[:2]},
		{"nested prefix", []string{"app.secret.*"}, evs[1:2]},
		{"an underscore in a prefix is literal", []string{"mgmt_token.*"}, evs[4:5]},
		{"several patterns select the union", []string{"tenant.updated", "app.*"}, []Event{evs[0], evs[1], evs[3]}},
		{"a type nothing has", []string{"user.created"}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.all(t, Query{TenantID: "ten_a", Types: tc.types})
			if !slices.Equal(ids(got), ids(tc.want)) {
				t.Fatalf("got %v, want %v", ids(got), ids(tc.want))
			}
		})
	}
}

func testQueryActor(t *testing.T, e *env) {
	a, b := change("app.created"), change("app.created")
	b.Actor = Ref{Type: "user", ID: "usr_admin"}
	evs := e.append(t, a, b, a)
	got := e.all(t, Query{TenantID: "ten_a", ActorID: "usr_admin"})
	if !slices.Equal(ids(got), ids(evs[1:2])) {
		t.Fatalf("got %v, want %v", ids(got), ids(evs[1:2]))
	}
}

func testQueryTenantIsolation(t *testing.T, e *env) {
	a, b, inst := change("app.created"), change("app.created"), change("instance.updated")
	b.TenantID, inst.TenantID = "ten_b", ""
	evs := e.append(t, a, b, inst)
	tests := []struct {
		name string
		q    Query
		want []Event
	}{
		{"tenant A sees only its events", Query{TenantID: "ten_a"}, evs[:1]},
		{"tenant B sees only its events", Query{TenantID: "ten_b"}, evs[1:2]},
		{"an unknown tenant sees nothing", Query{TenantID: "ten_c"}, nil},
		{"tenant A does not see B's events by B's actor", Query{TenantID: "ten_a", ActorID: "tok_1", Types: []string{"app.*"}}, evs[:1]},
		{"all tenants see everything, instance-wide included", Query{AllTenants: true}, evs},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := e.all(t, tc.q)
			if !slices.Equal(ids(got), ids(tc.want)) {
				t.Fatalf("got %v, want %v", ids(got), ids(tc.want))
			}
		})
	}
}

func testQueryPagination(t *testing.T, e *env) {
	var want []Event
	for range 250 {
		want = append(want, e.append(t, change("app.updated"))...)
	}
	// Another tenant's events interleave and must not shift pages.
	other := change("app.updated")
	other.TenantID = "ten_b"
	e.append(t, other, other)

	var got []Event
	q := Query{TenantID: "ten_a", Limit: 100}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("cursor does not end")
		}
		page, next, err := e.log.Query(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > q.Limit {
			t.Fatalf("page of %d events, limit %d", len(page), q.Limit)
		}
		got = append(got, page...)
		if next == "" {
			break
		}
		if next != page[len(page)-1].ID {
			t.Fatalf("cursor %q is not the page's last ID %q", next, page[len(page)-1].ID)
		}
		// Appends between pages land after the cursor.
		want = append(want, e.append(t, change("app.updated"))...)
		q.After = next
	}
	if !slices.Equal(ids(got), ids(want)) {
		t.Fatalf("paged %d events, want %d in order without gaps or duplicates", len(got), len(want))
	}
	page, next, err := e.log.Query(context.Background(), Query{TenantID: "ten_a", Limit: len(want)})
	if err != nil || len(page) != len(want) || next != "" {
		t.Fatalf("an exact last page: %d events, next %q, err %v; want %d, no cursor", len(page), next, err, len(want))
	}
}

func testQueryRefuses(t *testing.T, e *env) {
	tests := []struct {
		name  string
		q     Query
		field string
	}{
		{"no tenant", Query{}, "tenant_id"},
		{"a tenant and all tenants", Query{TenantID: "ten_a", AllTenants: true}, "tenant_id"},
		{"to not after from", Query{TenantID: "ten_a", From: t0, To: t0}, "to"},
		{"a bad type pattern", Query{TenantID: "ten_a", Types: []string{"app.created", "app*"}}, "types[1]"},
		{"a bare wildcard", Query{TenantID: "ten_a", Types: []string{"*"}}, "types[0]"},
		{"a cursor that is not an event ID", Query{TenantID: "ten_a", After: "x' OR 1=1"}, "after"},
		{"a negative limit", Query{TenantID: "ten_a", Limit: -1}, "limit"},
		{"a limit over the maximum", Query{TenantID: "ten_a", Limit: MaxLimit + 1}, "limit"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := e.log.Query(context.Background(), tc.q)
			var fields []string
			for _, f := range invalid.All(err) {
				fields = append(fields, f.Field)
			}
			if !slices.Contains(fields, tc.field) {
				t.Fatalf("error %v names fields %v, want %q", err, fields, tc.field)
			}
		})
	}
}
