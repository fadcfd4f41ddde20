package tenant

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/store"
)

func TestListApps(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		ten := e.tenant(t, "acme", "")
		other := e.tenant(t, "other", "")
		e.app(t, other.ID, AppInput{Name: "Alpha elsewhere", Type: AppService, Tags: []string{"even"}})
		var all []App
		for i := range 15 {
			e.clk.Advance(time.Millisecond)
			in := AppInput{Name: fmt.Sprintf("Alpha %d", i), Type: AppService}
			if i >= 8 {
				in.Name = fmt.Sprintf("Beta %d", i)
			}
			if i == 14 {
				in.Name = "50%_Off"
			}
			if i%2 == 0 {
				in.Tags = append(in.Tags, "even")
			}
			if i%3 == 0 {
				in.Tags = append(in.Tags, "three", "x.y_z-1")
			}
			a, _ := e.app(t, ten.ID, in)
			all = append(all, a)
		}
		ids := func(keep func(App) bool) []string {
			var out []string
			for _, a := range all {
				if keep(a) {
					out = append(out, a.ID)
				}
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    AppFilter
			want []string
		}{
			{"lists every app of the tenant", AppFilter{}, ids(func(App) bool { return true })},
			{"filters by name substring ignoring case", AppFilter{Name: "ALPHA"}, ids(func(a App) bool { return strings.HasPrefix(a.Name, "Alpha") })},
			{"filters by a digit in the name", AppFilter{Name: "1"}, ids(func(a App) bool { return strings.Contains(a.Name, "1") })},
			{"treats LIKE wildcards literally", AppFilter{Name: "%_o"}, ids(func(a App) bool { return a.Name == "50%_Off" })},
			{"a lone underscore matches only underscores", AppFilter{Name: "_"}, ids(func(a App) bool { return a.Name == "50%_Off" })},
			{"filters by tag", AppFilter{Tag: "even"}, ids(func(a App) bool { return slices.Contains(a.Tags, "even") })},
			{"filters by tag with punctuation", AppFilter{Tag: "x.y_z-1"}, ids(func(a App) bool { return slices.Contains(a.Tags, "three") })},
			{"filters by name and tag", AppFilter{Name: "beta", Tag: "three"}, ids(func(a App) bool {
				return strings.HasPrefix(a.Name, "Beta") && slices.Contains(a.Tags, "three")
			})},
			{"a tag no app carries lists nothing", AppFilter{Tag: "eve"}, nil},
		} {
			t.Run(tc.name, func(t *testing.T) {
				for _, limit := range []int{1, 4, 200} {
					got := walk(t, e, func(a App) string { return a.ID }, func(ctx context.Context, tx store.Tx, after string) ([]App, string, error) {
						f := tc.f
						f.After, f.Limit = after, limit
						return e.svc.ListApps(ctx, tx, ten.ID, f)
					})
					if !slices.Equal(got, tc.want) {
						t.Fatalf("limit %d: got %q, want %q", limit, got, tc.want)
					}
				}
			})
		}
		for _, tc := range []struct {
			name  string
			f     AppFilter
			field string
		}{
			{"refuses a negative limit", AppFilter{Limit: -1}, "limit"},
			{"refuses a limit above 200", AppFilter{Limit: 201}, "limit"},
			{"refuses a malformed tag", AppFilter{Tag: "Bad Tag"}, "tag"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				wantFields(t, e.do(t, func(ctx context.Context, tx store.Tx) error {
					_, _, err := e.svc.ListApps(ctx, tx, ten.ID, tc.f)
					return err
				}), tc.field)
			})
		}
	})
}
