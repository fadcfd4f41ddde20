package mgmt

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// termsRows counts a tenant's documents and acceptances.
func (w *world) termsRows(t *testing.T, tenantID string) (docs, accepted int) {
	t.Helper()
	err := w.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM terms_documents WHERE tenant_id = ?`, tenantID).Scan(&docs); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT count(*) FROM terms_acceptances WHERE tenant_id = ?`, tenantID).Scan(&accepted)
	})
	if err != nil {
		t.Fatal(err)
	}
	return docs, accepted
}

// accept records, as the sign-in would, that a user accepted documents.
func (w *world) accept(t *testing.T, tenantID, userID string, docs ...string) {
	t.Helper()
	if err := w.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return w.terms.Accept(ctx, tx, tenantID, userID, docs)
	}); err != nil {
		t.Fatal(err)
	}
}

// TestTermsAPI publishes versions of the terms and the privacy policy,
// lists them newest first with the current ones marked, refuses bad or
// repeated versions naming the field, shows a user's acceptances, and
// forgets them with the user and the tenant.
func TestTermsAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			admin, reader, desk := w.token[RoleTenantAdmin], w.token[RoleReadOnly], w.token[RoleHelpDesk]
			base := "/api/v1/mgmt/tenants/" + w.a.ID
			path := base + "/terms"
			if l := call[List[TermsDocumentView]](t, w, http.MethodGet, path, reader, "", http.StatusOK); l.Items == nil || len(l.Items) != 0 {
				t.Fatalf("before publishing: %+v", l)
			}
			v1 := call[TermsDocumentView](t, w, http.MethodPost, path, admin,
				`{"kind":"terms","version":" 2026-01 ","title":"Terms of service","url":"https://acme.example.com/terms/2026-01","required":true}`, http.StatusCreated)
			if !strings.HasPrefix(v1.ID, "tdoc_") || v1.TenantID != w.a.ID || v1.Version != "2026-01" || !v1.Required || !v1.Current || !v1.PublishedAt.Equal(w.clock.Now()) {
				t.Fatalf("published %+v", v1)
			}
			w.clock.Advance(time.Second)
			privacy := call[TermsDocumentView](t, w, http.MethodPost, path, admin,
				`{"kind":"privacy","version":"v1","title":"Privacy policy","url":"http://localhost:8080/privacy"}`, http.StatusCreated)
			w.clock.Advance(time.Second)
			v2 := call[TermsDocumentView](t, w, http.MethodPost, path, admin,
				`{"kind":"terms","version":"2026-02","title":"Terms of service","url":"https://acme.example.com/terms/2026-02","required":true}`, http.StatusCreated)

			l := call[List[TermsDocumentView]](t, w, http.MethodGet, path, reader, "", http.StatusOK)
			var listed []string
			for _, d := range l.Items {
				listed = append(listed, d.ID+" "+map[bool]string{true: "current", false: "old"}[d.Current])
			}
			if want := []string{v2.ID + " current", privacy.ID + " current", v1.ID + " old"}; !slices.Equal(listed, want) || l.Next != "" {
				t.Fatalf("listed %q, want %q", listed, want)
			}

			for _, c := range []refusal{
				{"a version the kind already has", http.MethodPost, path, admin, `{"kind":"terms","version":"2026-02","title":"T","url":"https://acme.example.com/t"}`,
					http.StatusConflict, "body.version"},
				{"plain http off loopback", http.MethodPost, path, admin, `{"kind":"terms","version":"3","title":"T","url":"http://acme.example.com/t"}`,
					http.StatusUnprocessableEntity, "body.url"},
				{"a URL with user info", http.MethodPost, path, admin, `{"kind":"terms","version":"3","title":"T","url":"https://u:p@acme.example.com/t"}`,
					http.StatusUnprocessableEntity, "body.url"},
				{"an unknown kind", http.MethodPost, path, admin, `{"kind":"cookies","version":"3","title":"T","url":"https://acme.example.com/t"}`,
					http.StatusUnprocessableEntity, "body.kind"},
				{"a blank title", http.MethodPost, path, admin, `{"kind":"terms","version":"3","title":"  ","url":"https://acme.example.com/t"}`,
					http.StatusUnprocessableEntity, "body.title"},
				{"a blank version", http.MethodPost, path, admin, `{"kind":"terms","version":"","title":"T","url":"https://acme.example.com/t"}`,
					http.StatusUnprocessableEntity, "body.version"},
				{"another tenant", http.MethodGet, "/api/v1/mgmt/tenants/" + w.b.ID + "/terms", admin, "", http.StatusForbidden, "tenant"},
				{"a read-only admin publishing", http.MethodPost, path, reader, `{"kind":"terms","version":"3","title":"T","url":"https://acme.example.com/t"}`,
					http.StatusForbidden, "terms:write"},
				{"a help-desk admin listing", http.MethodGet, path, desk, "", http.StatusForbidden, "terms:read"},
			} {
				w.refuseWithout(t, c)
			}
			// Publish records its own event, once per version.
			if got := w.loggedTypes(t, "terms.*", "terms_document"); !slices.Equal(got, []string{"terms.published", "terms.published", "terms.published"}) {
				t.Fatalf("logged %q", got)
			}

			// Acceptances, read with users:read (help-desk may).
			user := w.fixture[w.a.ID]["user"]
			acceptances := base + "/users/" + user + "/terms-acceptances"
			if l := call[List[TermsAcceptanceView]](t, w, http.MethodGet, acceptances, desk, "", http.StatusOK); len(l.Items) != 0 {
				t.Fatalf("before accepting: %+v", l)
			}
			w.accept(t, w.a.ID, user, v1.ID, privacy.ID)
			w.clock.Advance(time.Minute)
			w.accept(t, w.a.ID, user, v2.ID)
			got := call[List[TermsAcceptanceView]](t, w, http.MethodGet, acceptances, desk, "", http.StatusOK).Items
			if len(got) != 3 || got[0].DocumentID != v1.ID || got[0].Kind != "terms" || got[0].Version != "2026-01" ||
				got[1].DocumentID != privacy.ID || got[2].DocumentID != v2.ID || !got[2].AcceptedAt.Equal(w.clock.Now()) {
				t.Fatalf("acceptances %+v", got)
			}
			for _, c := range []refusal{
				{"the acceptances of an unknown user", http.MethodGet, base + "/users/usr_nope/terms-acceptances", desk, "", http.StatusNotFound, ""},
				{"the acceptances of another tenant's user", http.MethodGet, base + "/users/" + w.fixture[w.b.ID]["user"] + "/terms-acceptances", admin, "", http.StatusNotFound, ""},
				{"the acceptances of a user of another tenant", http.MethodGet, "/api/v1/mgmt/tenants/" + w.b.ID + "/users/" + w.fixture[w.b.ID]["user"] + "/terms-acceptances", admin, "", http.StatusForbidden, "tenant"},
			} {
				w.refuseWithout(t, c)
			}

			// Erasing the user forgets what they accepted; the documents stay.
			if status, _, body := w.do(t, http.MethodDelete, base+"/users/"+user, admin, ""); status != http.StatusNoContent {
				t.Fatalf("erase: %d %s", status, body)
			}
			if docs, accepted := w.termsRows(t, w.a.ID); docs != 3 || accepted != 0 {
				t.Fatalf("after erasing the user: %d documents, %d acceptances", docs, accepted)
			}

			// Deleting a tenant forgets its documents and acceptances, in
			// the tenant's own event.
			child := "/api/v1/mgmt/tenants/" + w.c1.ID
			doc := call[TermsDocumentView](t, w, http.MethodPost, child+"/terms", admin,
				`{"kind":"terms","version":"1","title":"Terms","url":"https://child.example.com/terms","required":true}`, http.StatusCreated)
			w.accept(t, w.c1.ID, w.fixture[w.c1.ID]["user"], doc.ID)
			if docs, accepted := w.termsRows(t, w.c1.ID); docs != 1 || accepted != 1 {
				t.Fatalf("the child has %d documents, %d acceptances", docs, accepted)
			}
			if status, _, body := w.do(t, http.MethodDelete, child, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete the child: %d %s", status, body)
			}
			if docs, accepted := w.termsRows(t, w.c1.ID); docs != 0 || accepted != 0 {
				t.Fatalf("after deleting the child: %d documents, %d acceptances", docs, accepted)
			}
			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.c1.ID, Types: []string{"terms.*"}})
			if err != nil || len(evs) != 1 || evs[0].Actor.ID != w.tokenRec[RoleTenantAdmin].ID || evs[0].Details["version"] != "1" {
				t.Fatalf("the child's events %+v, %v", evs, err)
			}
		})
	}
}
