package mgmt

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/store/storetest"
)

// txtZone answers DKIM lookups with the records a test publishes.
type txtZone struct {
	mu  sync.Mutex
	txt map[string][]string
}

func (z *txtZone) LookupTXT(_ context.Context, name string) ([]string, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if v, ok := z.txt[name]; ok {
		return v, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (z *txtZone) publish(r DNSRecordView) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.txt[r.Name] = []string{r.Value}
}

// TestBrandSenderAPI sets a brand's sender, reads its DNS records, checks
// them, rotates its key, removes it, and checks that no private key is
// ever shown, that refused input names the field, and that every change
// is in the system log.
func TestBrandSenderAPI(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			w := newWorld(t, b)
			z := &txtZone{txt: map[string][]string{}}
			w.api.BrandSenders = mail.NewBrandSenders(w.mail, mail.BrandSendersOptions{Resolver: z})
			admin := w.token[RoleTenantAdmin]
			base := "/api/v1/mgmt/tenants/" + w.a.ID + "/brands/" + w.fixture[w.a.ID]["brand"] + "/sender"
			view := func(status int, body string, wantStatus int) BrandSenderView {
				t.Helper()
				var v BrandSenderView
				if err := json.Unmarshal([]byte(body), &v); status != wantStatus || err != nil {
					t.Fatalf("status %d, want %d: %s", status, wantStatus, body)
				}
				if strings.Contains(body, "PRIVATE") || strings.Contains(body, "sealed") || strings.Contains(body, "MIIE") {
					t.Fatalf("answer shows a private key: %s", body)
				}
				return v
			}
			records := func(v BrandSenderView) map[string]DNSRecordView {
				out := map[string]DNSRecordView{}
				for _, r := range v.DNSRecords {
					out[r.Purpose] = r
				}
				return out
			}

			if status, _, body := w.do(t, http.MethodGet, base, admin, ""); status != http.StatusNotFound {
				t.Fatalf("get before any sender: %d %s", status, body)
			}
			status, _, body := w.do(t, http.MethodPut, base, admin, `{"address":"acme.example"}`)
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, "body.address") {
				t.Fatalf("bad address: %d %s", status, body)
			}
			status, _, body = w.do(t, http.MethodPut, base, admin, `{"address":"no-reply@[192.0.2.1]"}`)
			if status != http.StatusUnprocessableEntity || !strings.Contains(body, "body.address") ||
				!strings.Contains(body, "application/problem+json") && !strings.Contains(body, `"status":422`) {
				t.Fatalf("IP literal: %d %s", status, body)
			}
			status, _, body = w.do(t, http.MethodPut, base, admin, `{"address":"no-reply@Mail.Acme.example","name":"Acme"}`)
			set := view(status, body, http.StatusOK)
			rec := records(set)
			if set.Address != "no-reply@mail.acme.example" || set.From != `"Acme" <no-reply@mail.acme.example>` || set.Domain != "mail.acme.example" ||
				set.Algorithm != "rsa-sha256" || set.Status != "pending" || set.VerifiedAt != nil || len(set.DNSRecords) != 3 ||
				rec["dkim"].Name != set.Selector+"._domainkey.mail.acme.example" || !strings.HasPrefix(rec["dkim"].Value, "v=DKIM1; k=rsa; p=") ||
				rec["spf"].Name != "mail.acme.example" || rec["dmarc"].Name != "_dmarc.mail.acme.example" ||
				!strings.HasPrefix(rec["dmarc"].Value, "v=DMARC1; p=none; rua=mailto:") {
				t.Fatalf("put %+v", set)
			}
			status, _, body = w.do(t, http.MethodGet, base, w.token[RoleReadOnly], "")
			if got := view(status, body, http.StatusOK); got.Selector != set.Selector || len(got.DNSRecords) != 3 {
				t.Fatalf("read %+v", got)
			}
			if status, _, _ := w.do(t, http.MethodPut, base, w.token[RoleReadOnly], `{"address":"x@acme.example"}`); status != http.StatusForbidden {
				t.Fatalf("read-only put: %d", status)
			}

			// Unpublished, the check fails and says why; published, it passes.
			status, _, body = w.do(t, http.MethodPost, base+"/verify", admin, "")
			if got := view(status, body, http.StatusOK); got.Status != "failed" || !strings.Contains(got.LastError, "no TXT record") {
				t.Fatalf("verify unpublished %+v", got)
			}
			z.publish(rec["dkim"])
			status, _, body = w.do(t, http.MethodPost, base+"/verify", admin, "")
			if got := view(status, body, http.StatusOK); got.Status != "verified" || got.VerifiedAt == nil || got.LastError != "" {
				t.Fatalf("verify published %+v", got)
			}

			// A rotation signs with the new key once its record is verified.
			status, _, body = w.do(t, http.MethodPost, base+"/rotate", admin, "")
			rotated := view(status, body, http.StatusOK)
			next := records(rotated)["dkim-next"]
			if rotated.NextSelector == "" || rotated.Selector != set.Selector || next.Name != rotated.NextSelector+"._domainkey.mail.acme.example" {
				t.Fatalf("rotate %+v", rotated)
			}
			z.publish(next)
			status, _, body = w.do(t, http.MethodPost, base+"/verify", admin, "")
			switched := view(status, body, http.StatusOK)
			if switched.Selector != rotated.NextSelector || switched.NextSelector != "" || records(switched)["dkim-retired"].Name != rec["dkim"].Name {
				t.Fatalf("verify after rotation %+v", switched)
			}

			if status, _, body := w.do(t, http.MethodDelete, base, admin, ""); status != http.StatusNoContent {
				t.Fatalf("delete: %d %s", status, body)
			}
			for _, m := range []string{http.MethodGet, http.MethodDelete} {
				if status, _, body := w.do(t, m, base, admin, ""); status != http.StatusNotFound {
					t.Fatalf("%s after delete: %d %s", m, status, body)
				}
			}
			for _, p := range []string{"/rotate", "/verify"} {
				if status, _, body := w.do(t, http.MethodPost, base+p, admin, ""); status != http.StatusNotFound {
					t.Fatalf("%s after delete: %d %s", p, status, body)
				}
			}
			other := "/api/v1/mgmt/tenants/" + w.a.ID + "/brands/" + w.fixture[w.b.ID]["brand"] + "/sender"
			if status, _, body := w.do(t, http.MethodPut, other, admin, `{"address":"a@acme.example"}`); status != http.StatusNotFound {
				t.Fatalf("another tenant's brand: %d %s", status, body)
			}

			evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"mail.brand_sender.*"}})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, ev := range evs {
				if ev.Target.Type != "brand_sender" || ev.Target.ID != w.fixture[w.a.ID]["brand"] {
					t.Errorf("event %+v", ev)
				}
				got = append(got, ev.Type)
			}
			slices.Sort(got)
			want := []string{"mail.brand_sender.deleted", "mail.brand_sender.rotated", "mail.brand_sender.updated",
				"mail.brand_sender.verified", "mail.brand_sender.verified", "mail.brand_sender.verified"}
			if !slices.Equal(got, want) {
				t.Fatalf("events %q, want %q", got, want)
			}
		})
	}
}
