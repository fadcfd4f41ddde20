package oidc_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// TestRevokeClientGrants shows that ending a client's grants (its app is
// deleted) ends its refresh and access tokens at once, and no other
// client's.
func TestRevokeClientGrants(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			web := w.issue(t, w.iss, "web", offlineScope)
			post := w.issue(t, w.iss, "post", offlineScope)
			var n int64
			w.tx(t, func(ctx context.Context, tx store.Tx) error {
				var err error
				n, err = w.p.RevokeClientGrants(ctx, tx, w.iss.TenantID, w.apps["web"].ID)
				return err
			})
			if n != 1 {
				t.Fatalf("revoked %d grants, want 1", n)
			}
			if rec := w.refresh(w.iss, "web", web.refresh, ""); rec.Code != http.StatusBadRequest {
				t.Fatalf("refresh of a revoked client's token: %d %s", rec.Code, rec.Body)
			}
			if got := w.introspection(t, w.iss, "service", web.access); got["active"] != false {
				t.Fatalf("the revoked client's access token is %v", got)
			}
			if got := w.introspection(t, w.iss, "service", post.access); got["active"] != true {
				t.Fatalf("another client's access token is %v", got)
			}
			w.refreshed(t, "post", post.refresh, "")
		})
	}
}
