package ownership_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lintel-id/lintel/edge/ownership"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/tenant"
)

// loopback is the egress allowlist of the tests.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// world is a DNS zone and an HTTP server on loopback, and a Checker that
// uses both; handlers maps a domain ID to what its token URL answers.
type world struct {
	zone     *zone
	resolver *net.Resolver
	handlers map[string]http.HandlerFunc
	port     int
	checker  *ownership.Checker
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{handlers: map[string]http.HandlerFunc{}}
	w.zone, w.resolver = startDNS(t)
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		id, ok := strings.CutPrefix(r.URL.Path, tenant.ChallengePath)
		h := w.handlers[id]
		if !ok || h == nil {
			http.NotFound(rw, r)
			return
		}
		h(rw, r)
	}))
	t.Cleanup(srv.Close)
	w.port = srv.Listener.Addr().(*net.TCPAddr).Port
	client := egress.New(egress.Options{Resolver: w.resolver, Allow: loopback}).Client()
	w.checker = ownership.NewChecker(w.resolver, client, ownership.CheckerOptions{HTTPPort: w.port, Timeout: 3 * time.Second})
	return w
}

// answer makes the token URL of domain id answer status and body.
func (w *world) answer(id string, status int, body string) {
	w.handlers[id] = func(rw http.ResponseWriter, _ *http.Request) {
		rw.WriteHeader(status)
		_, _ = rw.Write([]byte(body))
	}
}

// redirect makes the token URL of domain id redirect to host's token URL
// of domain to.
func (w *world) redirect(id, host, to string) {
	w.handlers[id] = func(rw http.ResponseWriter, r *http.Request) {
		http.Redirect(rw, r, "http://"+net.JoinHostPort(host, strconv.Itoa(w.port))+tenant.ChallengePath+to, http.StatusFound)
	}
}

const (
	token      = "mzxw6ytboi4tqnbvgm3dcmzqgq2tmnzy"
	otherToken = "nbswy3dpeb3w64tmmqqho33snrsgqzlr"
)

func domain(id, host string) tenant.Domain {
	return tenant.Domain{ID: id, TenantID: "ten_acme", Hostname: host, State: tenant.DomainPending, VerificationToken: token}
}

func TestChecker(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		name    string
		host    string
		setup   func(id, host string)
		want    ownership.Method
		wantErr []error
		// hidden must not show in the reason.
		hidden string
	}{
		{name: "proves by a TXT record among others", host: "txt.acme.test", setup: func(_, host string) {
			w.zone.setTXT("_lintel-challenge."+host, "v=spf1 -all")
			w.zone.setTXT("_lintel-challenge."+host, "lintel-verification="+token)
		}, want: ownership.MethodDNS},
		{name: "joins a TXT value split into character-strings", host: "split.acme.test", setup: func(_, host string) {
			w.zone.setTXT("_lintel-challenge."+host, "lintel-verification=", token[:10], token[10:])
		}, want: ownership.MethodDNS},
		{name: "refuses a TXT record with a wrong value", host: "wrongtxt.acme.test", setup: func(_, host string) {
			w.zone.setTXT("_lintel-challenge."+host, "lintel-verification=nope")
		}, wantErr: []error{ownership.ErrTXTMismatch, ownership.ErrHTTPRequest}},
		{name: "refuses the token of another domain", host: "othertxt.acme.test", setup: func(_, host string) {
			w.zone.setTXT("_lintel-challenge."+host, "lintel-verification="+otherToken)
		}, wantErr: []error{ownership.ErrTXTMismatch}, hidden: otherToken},
		{name: "refuses the token on the hostname itself", host: "apex.acme.test", setup: func(_, host string) {
			w.zone.setTXT(host, "lintel-verification="+token)
		}, wantErr: []error{ownership.ErrNoTXTRecord}},
		{name: "reports a missing record", host: "none.acme.test", setup: func(string, string) {},
			wantErr: []error{ownership.ErrNoTXTRecord, ownership.ErrHTTPRequest}},
		{name: "reports a resolver error", host: "servfail.acme.test", setup: func(_, host string) {
			w.zone.fail("_lintel-challenge." + host)
		}, wantErr: []error{ownership.ErrDNSLookup}},
		{name: "proves by the HTTP token, white space aside", host: "http.acme.test", setup: func(id, host string) {
			w.zone.setA(host, "127.0.0.1")
			w.answer(id, http.StatusOK, token+"\r\n")
		}, want: ownership.MethodHTTP},
		{name: "follows a redirect on the same host", host: "samehost.acme.test", setup: func(id, host string) {
			w.zone.setA(host, "127.0.0.1")
			w.redirect(id, host, id+"-target")
			w.answer(id+"-target", http.StatusOK, token)
		}, want: ownership.MethodHTTP},
		{name: "refuses a wrong body without repeating it", host: "wrongbody.acme.test", setup: func(id, host string) {
			w.zone.setA(host, "127.0.0.1")
			w.answer(id, http.StatusOK, "hello-from-the-page "+otherToken)
		}, wantErr: []error{ownership.ErrNoTXTRecord, ownership.ErrHTTPBody}, hidden: "hello-from-the-page"},
		{name: "refuses a 404", host: "notfound.acme.test", setup: func(id, host string) {
			w.zone.setA(host, "127.0.0.1")
		}, wantErr: []error{ownership.ErrHTTPStatus}},
		{name: "refuses the token with another status", host: "created.acme.test", setup: func(id, host string) {
			w.zone.setA(host, "127.0.0.1")
			w.answer(id, http.StatusCreated, token)
		}, wantErr: []error{ownership.ErrHTTPStatus}},
		{name: "refuses a redirect to another host", host: "elsewhere.acme.test", setup: func(id, host string) {
			w.zone.setA(host, "127.0.0.1")
			w.zone.setA("evil.test", "127.0.0.1")
			w.redirect(id, "evil.test", id)
		}, wantErr: []error{ownership.ErrHTTPRedirect}},
		{name: "refuses a third redirect", host: "loop.acme.test", setup: func(id, host string) {
			w.zone.setA(host, "127.0.0.1")
			w.redirect(id, host, id+"-1")
			w.redirect(id+"-1", host, id+"-2")
			w.redirect(id+"-2", host, id+"-3")
			w.answer(id+"-3", http.StatusOK, token)
		}, wantErr: []error{ownership.ErrHTTPRedirect}},
		{name: "reads no more than 1 KiB of a huge body", host: "huge.acme.test", setup: func(id, host string) {
			w.zone.setA(host, "127.0.0.1")
			w.handlers[id] = func(rw http.ResponseWriter, r *http.Request) {
				// Endless: a reader without a bound would time out instead.
				chunk := []byte(token + strings.Repeat(" ", 4096))
				for r.Context().Err() == nil {
					if _, err := rw.Write(chunk); err != nil {
						return
					}
				}
			}
		}, wantErr: []error{ownership.ErrHTTPBody}},
		{name: "refuses an address the egress policy does not allow", host: "private.acme.test", setup: func(_, host string) {
			w.zone.setA(host, "10.0.0.1")
		}, wantErr: []error{ownership.ErrHTTPRequest, egress.ErrForbidden}},
		{name: "reports a refused connection", host: "refused.acme.test", setup: func(_, host string) {
			w.zone.setA(host, "127.0.0.2") // the server listens on 127.0.0.1 only
		}, wantErr: []error{ownership.ErrHTTPRequest}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := domain("dom_"+strings.Split(tc.host, ".")[0], tc.host)
			tc.setup(d.ID, d.Hostname)
			got, err := w.checker.Check(t.Context(), d)
			if tc.wantErr == nil {
				if err != nil || got != tc.want {
					t.Fatalf("Check = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			var f *ownership.Failure
			if !errors.As(err, &f) || !errors.Is(err, ownership.ErrNotProven) {
				t.Fatalf("Check = %q, %v; want a *Failure wrapping ErrNotProven", got, err)
			}
			for _, want := range tc.wantErr {
				if !errors.Is(err, want) {
					t.Errorf("error %q does not wrap %v", err, want)
				}
			}
			reason := f.Reason()
			if tc.hidden != "" && strings.Contains(reason, tc.hidden) {
				t.Errorf("reason %q shows %q", reason, tc.hidden)
			}
			if !strings.Contains(reason, "_lintel-challenge."+tc.host) || !strings.Contains(reason, "; HTTP token: ") || len(reason) > 300 {
				t.Errorf("reason %q does not name the record and both methods briefly", reason)
			}
		})
	}
}

func TestCheckerStopsWithItsContext(t *testing.T) {
	w := newWorld(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := w.checker.Check(ctx, domain("dom_cancelled", "cancelled.acme.test"))
	var f *ownership.Failure
	if !errors.Is(err, context.Canceled) || errors.As(err, &f) {
		t.Fatalf("Check = %v; want context.Canceled and no *Failure", err)
	}
}

// TestReasonExample pins the shape of the text that becomes last_error.
func TestReasonExample(t *testing.T) {
	w := newWorld(t)
	w.zone.setA("login.acme.test", "127.0.0.2")
	_, err := w.checker.Check(t.Context(), domain("dom_login", "login.acme.test"))
	var f *ownership.Failure
	if !errors.As(err, &f) {
		t.Fatalf("Check = %v; want a *Failure", err)
	}
	want := `no TXT record "lintel-verification=…" at _lintel-challenge.login.acme.test; HTTP token: connection refused`
	if f.Reason() != want {
		t.Fatalf("reason %q, want %q", f.Reason(), want)
	}
}
