package mgmt

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
)

// domainOf decodes a domain answer, failing unless status is want.
func domainOf(t *testing.T, status int, body string, want int) DomainView {
	t.Helper()
	if status != want {
		t.Fatalf("status %d, want %d: %s", status, want, body)
	}
	var v DomainView
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return v
}

func TestVerifyDomain(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	admin := w.token[RoleTenantAdmin]
	path := func(tn tenant.Tenant, domainID string) string {
		return Prefix + "/tenants/" + tn.ID + "/domains/" + domainID
	}
	mine := w.fixture[w.a.ID]["domain"]

	t.Run("shows what to publish", func(t *testing.T) {
		status, _, body := w.do(t, http.MethodGet, path(w.a, mine), admin, "")
		d := domainOf(t, status, body, http.StatusOK)
		want := DomainVerificationView{
			DNS:  DNSChallengeView{Name: "_lintel-challenge.login.tenant-a.example.com", Type: "TXT", Value: "lintel-verification=" + d.VerificationToken},
			HTTP: HTTPChallengeView{URL: "http://login.tenant-a.example.com/.well-known/lintel-challenge/" + mine, Body: d.VerificationToken},
		}
		if d.Verification != want || d.VerifiedAt != nil || d.Certificate != nil || strings.Contains(body, `"certificate"`) {
			t.Fatalf("got %s", body)
		}
	})
	t.Run("a failed check answers the domain in state failed, with the reason", func(t *testing.T) {
		status, _, body := w.do(t, http.MethodPost, path(w.a, mine)+"/verify", admin, "")
		d := domainOf(t, status, body, http.StatusOK)
		if d.State != "failed" || d.VerifiedAt != nil || !strings.Contains(d.LastError, "_lintel-challenge.login.tenant-a.example.com") {
			t.Fatalf("got %s", body)
		}
	})
	t.Run("proves ownership by a DNS TXT record on loopback", func(t *testing.T) {
		_, _, body := w.do(t, http.MethodGet, path(w.a, mine), admin, "")
		before := domainOf(t, http.StatusOK, body, http.StatusOK)
		w.dns.SetTXT(before.Verification.DNS.Name, "v=spf1 -all", before.Verification.DNS.Value)
		w.clock.Advance(time.Minute)
		status, h, body := w.do(t, http.MethodPost, path(w.a, mine)+"/verify", admin, "")
		d := domainOf(t, status, body, http.StatusOK)
		if d.State != "verified" || d.LastError != "" || d.VerifiedAt == nil || !d.VerifiedAt.Equal(w.clock.Now()) {
			t.Fatalf("got %s", body)
		}
		evs, _, err := w.events.Query(context.Background(), events.Query{TenantID: w.a.ID, Types: []string{"domain.*"}})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ev := range evs {
			if ev.Target.ID != mine || ev.RequestID != h.Get("X-Request-Id") {
				continue
			}
			got = append(got, ev.Type+" by "+ev.Actor.Type+":"+ev.Actor.ID)
		}
		slices.Sort(got)
		want := []string{"domain.verification_requested by mgmt_token:" + w.tokenRec[RoleTenantAdmin].ID, "domain.verified by system:ownership"}
		if !slices.Equal(got, want) {
			t.Fatalf("events of the request %q, want %q", got, want)
		}
	})
	t.Run("needs the domains:write scope", func(t *testing.T) {
		for _, role := range []Role{RoleReadOnly, RoleHelpDesk} {
			if status, _, body := w.do(t, http.MethodPost, path(w.a, mine)+"/verify", w.token[role], ""); status != http.StatusForbidden {
				t.Errorf("as %s: %d %s", role, status, body)
			}
		}
	})
	t.Run("answers 404 for an unknown domain", func(t *testing.T) {
		status, h, body := w.do(t, http.MethodPost, path(w.a, "dom_00000000000000000000000000")+"/verify", admin, "")
		if status != http.StatusNotFound || !strings.Contains(h.Get("Content-Type"), "problem+json") {
			t.Fatalf("%d %s %s", status, h.Get("Content-Type"), body)
		}
	})
	t.Run("keeps tenants apart", func(t *testing.T) {
		theirs := w.fixture[w.b.ID]["domain"]
		if status, _, body := w.do(t, http.MethodPost, path(w.a, theirs)+"/verify", admin, ""); status != http.StatusNotFound {
			t.Errorf("their domain under my tenant: %d %s", status, body)
		}
		if status, _, body := w.do(t, http.MethodPost, path(w.b, theirs)+"/verify", admin, ""); status != http.StatusForbidden {
			t.Errorf("their domain under their tenant: %d %s", status, body)
		}
		status, _, body := w.do(t, http.MethodGet, path(w.b, theirs), w.token[RoleInstanceAdmin], "")
		if d := domainOf(t, status, body, http.StatusOK); d.State != "pending" || d.LastError != "" {
			t.Fatalf("their domain changed: %s", body)
		}
	})
}

// fakeCertificates answers one certificate for every hostname, or err.
type fakeCertificates struct {
	status CertificateStatus
	err    error
}

func (f fakeCertificates) CertificateStatus(_ context.Context, hostname string) (CertificateStatus, error) {
	s := f.status
	s.Names = []string{hostname}
	return s, f.err
}

func TestDomainsWithoutVerifierAndWithCertificates(t *testing.T) {
	w := newWorld(t, storetest.SQLite())
	serve := func(d Deps) *httptest.Server {
		api, err := New(d)
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewServer(api.Handler())
		t.Cleanup(srv.Close)
		return srv
	}
	do := func(srv *httptest.Server, method, path string) (int, http.Header, string) {
		req, err := http.NewRequest(method, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+w.token[RoleTenantAdmin])
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header, string(b)
	}
	path := Prefix + "/tenants/" + w.a.ID + "/domains/" + w.fixture[w.a.ID]["domain"]
	notBefore := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	deps := w.api.Deps
	deps.DomainVerifier = nil
	deps.Certificates = fakeCertificates{status: CertificateStatus{Status: CertificateValid, Issuer: "R11", Serial: "0a1b",
		NotBefore: notBefore, NotAfter: notBefore.AddDate(0, 0, 90)}}
	srv := serve(deps)

	t.Run("answers 501 without a verifier", func(t *testing.T) {
		status, h, body := do(srv, http.MethodPost, path+"/verify")
		if status != http.StatusNotImplemented || !strings.Contains(h.Get("Content-Type"), "problem+json") {
			t.Fatalf("%d %s %s", status, h.Get("Content-Type"), body)
		}
	})
	t.Run("shows the certificate", func(t *testing.T) {
		status, _, body := do(srv, http.MethodGet, path)
		d := domainOf(t, status, body, http.StatusOK)
		c := d.Certificate
		if c == nil || c.Status != "valid" || c.Issuer != "R11" || c.Serial != "0a1b" || !c.NotBefore.Equal(notBefore) ||
			!c.NotAfter.Equal(notBefore.AddDate(0, 0, 90)) || !slices.Equal(c.Names, []string{"login.tenant-a.example.com"}) {
			t.Fatalf("got %s", body)
		}
		status, _, body = do(srv, http.MethodGet, Prefix+"/tenants/"+w.a.ID+"/domains")
		if status != http.StatusOK || strings.Count(body, `"status":"valid"`) != 1 {
			t.Fatalf("list: %d %s", status, body)
		}
	})
	t.Run("shows none without dates", func(t *testing.T) {
		deps.Certificates = fakeCertificates{}
		status, _, body := do(serve(deps), http.MethodGet, path)
		if d := domainOf(t, status, body, http.StatusOK); d.Certificate == nil || d.Certificate.Status != "none" || strings.Contains(body, "not_after") {
			t.Fatalf("got %s", body)
		}
	})
	t.Run("fails when the certificate cannot be read", func(t *testing.T) {
		deps.Certificates = fakeCertificates{err: errors.New("storage unreachable")}
		status, _, body := do(serve(deps), http.MethodGet, path)
		if status != http.StatusInternalServerError || strings.Contains(body, "storage unreachable") {
			t.Fatalf("%d %s", status, body)
		}
	})
}
