package mgmt

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lintel-id/lintel/edge"
	"github.com/lintel-id/lintel/edge/ownership"
	"github.com/lintel-id/lintel/edge/ratelimit"
	"github.com/lintel-id/lintel/internal/acmetest"
	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/egresstest"
	"github.com/lintel-id/lintel/internal/texttest"
	"github.com/lintel-id/lintel/server/directory"
	"github.com/lintel-id/lintel/server/eventhooks"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/factor"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/federation"
	"github.com/lintel-id/lintel/server/hooks"
	"github.com/lintel-id/lintel/server/mail"
	"github.com/lintel-id/lintel/server/mail/mailtest"
	"github.com/lintel-id/lintel/server/oidc"
	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/policy"
	"github.com/lintel-id/lintel/server/samlidp"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/session"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/store/storetest"
	"github.com/lintel-id/lintel/server/tenant"
	"github.com/lintel-id/lintel/server/terms"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// Relations of a target tenant to the caller's tenant A.
const (
	relOwn        = "own"
	relDelegated  = "child+"
	relUndelegate = "child-"
	relOther      = "other"
)

var relations = []string{relOwn, relDelegated, relUndelegate, relOther}

// world is a running management API over a fresh database with tenants
//
//	system, A, A/C1 (delegation to A), A/C2 (no delegation), B
//
// a token per role (instance-admin in system, the others in A), and in
// each of A, C1, C2 and B an app, brand, domain, trusted origin and token.
// Each of them also has an authorization server "orders" with a scope, a
// claim, and a policy with a rule (fixture kinds server, authscope, claim,
// policy, policyrule).
type world struct {
	st      store.Store
	sec     *secrets.Service
	tenants *tenant.Service
	events  *events.Log
	tokens  *Tokens
	dir     *directory.Directory
	oidc    *oidc.Provider
	authz   *authserver.Service
	preview *fakePreviewer
	mail    *mail.Settings
	phone   *phone.Settings
	clock   *clock.Fake
	api     *API
	srv     *httptest.Server
	logs    *syncBuffer
	// dns answers the ownership checks of verifier.
	dns      *acmetest.DNS
	verifier *ownership.Verifier

	// policies holds the sign-on and password policies.
	policies *policy.Service
	// sessions holds users' sign-in sessions.
	sessions *session.Sessions
	// terms holds the tenants' terms documents and acceptances.
	terms *terms.Service
	// outbox holds mail, delivered to sink by delivered (activation_api_test.go).
	outbox *mail.Outbox
	sink   *mailtest.Sink
	// fed holds identity providers and IdP routing rules.
	fed *federation.Service
	// hooks holds inline hooks (WASM modules run by fakeWASM);
	// eventHooks event hooks, dead after two failed attempts. Both call
	// receivers on loopback TLS (egresstest.Loopback).
	hooks      *hooks.Service
	eventHooks *eventhooks.Service

	sys, a, c1, c2, b tenant.Tenant
	token             map[Role]string
	tokenRec          map[Role]Token
	fixture           map[string]map[string]string // tenant ID → kind → ID
}

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newWorld(t testing.TB, backend storetest.Backend) *world {
	t.Helper()
	ctx := context.Background()
	w := &world{st: backend.Open(t), clock: clock.NewFake(time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)), logs: &syncBuffer{}}
	kek, err := secrets.GenerateKEK(w.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if w.sec, err = secrets.New(ctx, w.st, secrets.Keyring{Current: kek}, w.clock); err != nil {
		t.Fatal(err)
	}
	w.tenants = tenant.New(w.sec, w.clock, tenant.Options{PublicURL: "https://id.example.test"})
	w.events = events.New(w.st, w.sec, w.clock)
	w.tokens = NewTokens(w.sec, w.clock)
	w.dir = directory.New(w.clock, w.events, w.sec)
	w.authz = authserver.New(w.clock)
	w.authz.Zones, w.authz.Hosts = w.tenants, w.tenants
	w.preview = &fakePreviewer{}
	w.sessions = session.New(w.sec, w.clock, session.Options{})
	if w.policies, err = policy.New(policy.Deps{Store: w.st, Clock: w.clock, Passwords: factor.NewPasswords(0), Zones: w.tenants, Types: w.dir}); err != nil {
		t.Fatal(err)
	}
	if w.mail, err = mail.NewSettings(w.st, w.sec, w.clock, mail.SettingsOptions{}); err != nil {
		t.Fatal(err)
	}
	w.phone = phone.NewSettings(w.st, w.sec, w.clock, phone.SettingsOptions{})
	w.terms = terms.New(w.clock, w.events)
	w.outbox = mail.New(w.st, w.clock, mail.Options{})
	_, tpl := texttest.Builtin(t)
	log := slog.New(slog.NewJSONHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if w.oidc, err = oidc.New(oidc.Deps{Store: w.st, Secrets: w.sec, Tenants: w.tenants, Servers: w.authz, Users: userClaims{w.dir}, Events: w.events, Clock: w.clock, Logger: log}); err != nil {
		t.Fatal(err)
	}
	// Identity providers are reached on loopback only.
	if w.fed, err = federation.New(federation.Deps{Secrets: w.sec, Directory: w.dir, Tenants: w.tenants, Clock: w.clock, Logger: log,
		HTTP: egress.New(egress.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}).Client()}); err != nil {
		t.Fatal(err)
	}
	// Ownership checks ask a DNS server on loopback (dns), and fetch
	// HTTP tokens from loopback only.
	w.dns = acmetest.StartDNS(t)
	checker := ownership.NewChecker(w.dns.Resolver(), egress.New(egress.Options{Resolver: w.dns.Resolver(),
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}).Client(), ownership.CheckerOptions{Timeout: 5 * time.Second})
	if w.verifier, err = ownership.NewVerifier(ownership.Deps{Store: w.st, Tenants: w.tenants, Events: w.events, Checker: checker, Logger: log}, ownership.Options{}); err != nil {
		t.Fatal(err)
	}
	saml, err := samlidp.New(samlidp.Deps{Secrets: w.sec, Clock: w.clock})
	if err != nil {
		t.Fatal(err)
	}
	hookClient := egresstest.Loopback()
	if w.hooks, err = hooks.New(hooks.Deps{Store: w.st, Secrets: w.sec, Clock: w.clock, Logger: log, HTTP: hookClient, WASM: fakeWASM{}}); err != nil {
		t.Fatal(err)
	}
	if w.eventHooks, err = eventhooks.New(eventhooks.Deps{Store: w.st, Secrets: w.sec, Events: w.events, Clock: w.clock, Logger: log, HTTP: hookClient},
		eventhooks.Options{AllowInsecureLoopback: true, MaxAttempts: 2}); err != nil {
		t.Fatal(err)
	}
	if w.api, err = New(Deps{Store: w.st, Tenants: w.tenants, Directory: w.dir, Events: w.events, Tokens: w.tokens, Clock: w.clock, Logger: log, Version: "test",
		DomainVerifier: w.verifier,
		Consents:       w.oidc, Keys: w.oidc, Grants: w.oidc, Policies: w.policies,
		AuthServers: w.authz, Preview: w.preview, Mail: w.mail, PhoneSettings: w.phone, Sessions: w.sessions,
		Terms: w.terms, Outbox: w.outbox, Senders: w.mail, Templates: tpl, Federation: w.fed, SAML: saml,
		Hooks: w.hooks, EventHooks: w.eventHooks}); err != nil {
		t.Fatal(err)
	}
	// The authorization matrix alone sends thousands of requests at one
	// instant of the fake clock: no request limit may refuse them.
	unlimited := ratelimit.Limit{Rate: 1 << 20, Per: time.Second, Burst: 1 << 20}
	h, err := edge.New(edge.Config{Store: w.st, Logger: log, Registry: prometheus.NewRegistry(), Clock: w.clock, Mgmt: w.api.Handler(), MgmtOpenAPI: w.api.OpenAPI(),
		Limits: edge.Limits{IP: unlimited, Tenant: unlimited, Client: unlimited, TokenClient: unlimited, TokenIP: unlimited, MgmtIP: unlimited, MgmtCredential: unlimited}})
	if err != nil {
		t.Fatal(err)
	}
	w.token, w.tokenRec, w.fixture = map[Role]string{}, map[Role]Token{}, map[string]map[string]string{}
	err = w.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if w.sys, err = w.tenants.EnsureSystem(ctx, tx); err != nil {
			return err
		}
		mk := func(slug, parent string, delegate bool) tenant.Tenant {
			if err != nil {
				return tenant.Tenant{}
			}
			var tn tenant.Tenant
			tn, err = w.tenants.CreateTenant(ctx, tx, tenant.TenantInput{Slug: slug, Name: strings.ToUpper(slug), ParentID: parent, Delegate: delegate})
			return tn
		}
		w.a = mk("tenant-a", "", false)
		w.c1 = mk("child-one", w.a.ID, true)
		w.c2 = mk("child-two", w.a.ID, false)
		w.b = mk("tenant-b", "", false)
		if err != nil {
			return err
		}
		for _, r := range Roles {
			owner := w.a
			if r == RoleInstanceAdmin {
				owner = w.sys
			}
			tok, secret, err := w.tokens.Create(ctx, tx, TokenInput{TenantID: owner.ID, Name: string(r), Role: r, CreatedBy: "test"}, owner.System)
			if err != nil {
				return err
			}
			w.token[r], w.tokenRec[r] = secret, tok
		}
		for _, tn := range []tenant.Tenant{w.a, w.c1, w.c2, w.b} {
			f := map[string]string{}
			app, _, err := w.tenants.CreateApp(ctx, tx, tn.ID, tenant.AppInput{Name: "Fixture", Type: "web", RedirectURIs: []string{"https://app.example.com/cb"}})
			if err != nil {
				return err
			}
			brand, err := w.tenants.CreateBrand(ctx, tx, tn.ID, tenant.BrandInput{Name: "Fixture"})
			if err != nil {
				return err
			}
			dom, err := w.tenants.CreateDomain(ctx, tx, tn.ID, tenant.DomainInput{Hostname: "login." + tn.Slug + ".example.com", BrandID: brand.ID})
			if err != nil {
				return err
			}
			org, err := w.tenants.CreateOrigin(ctx, tx, tn.ID, tenant.OriginInput{Name: "Fixture", Origin: "https://www." + tn.Slug + ".example.com", Purposes: []string{"cors"}})
			if err != nil {
				return err
			}
			tok, _, err := w.tokens.Create(ctx, tx, TokenInput{TenantID: tn.ID, Name: "fixture", Role: RoleReadOnly, CreatedBy: "test"}, false)
			if err != nil {
				return err
			}
			f["app"], f["brand"], f["domain"], f["origin"], f["token"] = app.ID, brand.ID, dom.ID, org.ID, tok.ID
			zone, err := w.tenants.CreateZone(ctx, tx, tn.ID, tenant.ZoneInput{Name: "Fixture", CIDRs: []string{"192.0.2.0/24"}})
			if err != nil {
				return err
			}
			f["zone"] = zone.ID
			srv, err := w.authz.CreateServer(ctx, tx, tn.ID, authserver.ServerInput{Name: "orders", ScopePattern: `orders\.[a-z]+`})
			if err != nil {
				return err
			}
			sc, err := w.authz.CreateScope(ctx, tx, tn.ID, srv.ID, authserver.ScopeInput{Name: "orders.read", Kinds: []string{authserver.KindMachine}})
			if err != nil {
				return err
			}
			clm, err := w.authz.CreateClaim(ctx, tx, tn.ID, srv.ID, authserver.ClaimInput{Name: "tier", Target: authserver.TargetAccess, Expression: `"gold"`})
			if err != nil {
				return err
			}
			pol, err := w.authz.CreatePolicy(ctx, tx, tn.ID, srv.ID, authserver.PolicyInput{Name: "Fixture", Priority: 1, Clients: []string{authserver.AllClients}})
			if err != nil {
				return err
			}
			rul, err := w.authz.CreateRule(ctx, tx, tn.ID, pol.ID, authserver.RuleInput{Name: "Fixture", Priority: 1,
				GrantTypes: []string{authserver.GrantClientCredentials}, Scopes: []string{"orders.read"}})
			if err != nil {
				return err
			}
			f["server"], f["authscope"], f["claim"], f["policy"], f["policyrule"] = srv.Name, sc.ID, clm.ID, pol.ID, rul.ID
			u, err := w.dir.CreateUser(ctx, tx, tn.ID, directory.UserInput{Login: "fixture@example.com", Name: "Fixture"})
			if err != nil {
				return err
			}
			if err := w.dir.SetCredential(ctx, tx, tn.ID, u.ID, directory.CredentialPassword, "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g"); err != nil {
				return err
			}
			cred, err := w.dir.Credential(ctx, tx, tn.ID, u.ID, directory.CredentialPassword)
			if err != nil {
				return err
			}
			grp, err := w.dir.CreateGroup(ctx, tx, tn.ID, directory.GroupInput{Name: "Fixture"})
			if err != nil {
				return err
			}
			typ, err := w.dir.CreateUserType(ctx, tx, tn.ID, directory.UserTypeInput{Name: "fixture", Schema: []byte(`{"type":"object","properties":{},"additionalProperties":false}`)})
			if err != nil {
				return err
			}
			rule, err := w.dir.CreateRule(ctx, tx, tn.ID, directory.RuleInput{Name: "Fixture", Expression: `user.status == "ACTIVE"`, GroupID: grp.ID}, map[string]bool{})
			if err != nil {
				return err
			}
			f["user"], f["credential"], f["group"], f["type"], f["rule"] = u.ID, cred.ID, grp.ID, typ.ID, rule.ID
			w.fixture[tn.ID] = f
		}
		return nil
	})
	if err != nil {
		t.Fatalf("world: %v", err)
	}
	w.srv = httptest.NewServer(h)
	t.Cleanup(w.srv.Close)
	return w
}

// target returns the tenant in relation rel to A.
func (w *world) target(rel string) tenant.Tenant {
	switch rel {
	case relOwn:
		return w.a
	case relDelegated:
		return w.c1
	case relUndelegate:
		return w.c2
	}
	return w.b
}

// do sends a request with the token (none when empty) and returns the
// status, headers and body.
func (w *world) do(t testing.TB, method, path, token, body string) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := w.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}
