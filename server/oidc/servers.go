package oidc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/lintel-id/lintel/server/oidc/authserver"
	"github.com/lintel-id/lintel/server/store"
)

// serverTTL is how long a node trusts its copy of an authorization
// server's settings, so that a change made on another node applies
// within it.
const serverTTL = 30 * time.Second

// ErrUnknownServer means a tenant has no active authorization server of
// that name reachable on that host.
var ErrUnknownServer = errors.New("oidc: unknown authorization server")

// serverCache keeps authorization servers by tenant and name.
type serverCache struct {
	mu sync.Mutex
	m  map[string]cachedServer
}

type cachedServer struct {
	srv authserver.Server
	at  time.Time
}

// server returns a tenant's authorization server by name, from the cache
// when fresh; the default server is created on first use. It runs its
// own transactions: never call it inside one.
func (p *Provider) server(ctx context.Context, tenantID, name string) (authserver.Server, error) {
	key := tenantID + "/" + name
	now := p.clk.Now()
	p.servers.mu.Lock()
	c, ok := p.servers.m[key]
	p.servers.mu.Unlock()
	if ok && now.Sub(c.at) < serverTTL {
		return c.srv, nil
	}
	var srv authserver.Server
	read := func(ctx context.Context, tx store.Tx) error {
		var err error
		srv, err = p.authz.ServerByName(ctx, tx, tenantID, name)
		return err
	}
	var err error
	if name == DefaultServer {
		// The default server is made on first use, which writes.
		err = p.st.Tx(ctx, read)
		if errors.Is(err, store.ErrConflict) {
			err = p.st.Tx(ctx, read) // another node made it meanwhile
		}
	} else {
		err = p.st.View(ctx, read)
	}
	if errors.Is(err, store.ErrNotFound) {
		return authserver.Server{}, fmt.Errorf("%w: %s", ErrUnknownServer, name)
	}
	if err != nil {
		return authserver.Server{}, err
	}
	p.servers.mu.Lock()
	p.servers.m[key] = cachedServer{srv: srv, at: now}
	p.servers.mu.Unlock()
	return srv, nil
}

// Issuer returns the issuer of a tenant's authorization server as reached
// at base (scheme://host[:port], plus a path prefix for the system
// tenant's site): {base}/oauth2/{name}, with the server's audiences. A
// server that does not exist, is inactive, or has a fixed issuer on
// another host is ErrUnknownServer. It runs its own transactions.
func (p *Provider) Issuer(ctx context.Context, tenantID, name, base string) (Issuer, error) {
	if name == "" || len(name) > 63 {
		return Issuer{}, ErrUnknownServer
	}
	srv, err := p.server(ctx, tenantID, name)
	if err != nil {
		return Issuer{}, err
	}
	if !srv.Active {
		return Issuer{}, fmt.Errorf("%w: %s is inactive", ErrUnknownServer, name)
	}
	if srv.IssuerMode == authserver.IssuerFixed && !strings.EqualFold(hostOf(base), srv.IssuerHost) {
		return Issuer{}, fmt.Errorf("%w: %s answers on %s only", ErrUnknownServer, name, srv.IssuerHost)
	}
	return Issuer{TenantID: tenantID, Server: name, URL: base + "/oauth2/" + name, Audiences: srv.Audiences}, nil
}

// hostOf returns the host name of a base URL.
func hostOf(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return ""
	}
	if h, _, err := net.SplitHostPort(u.Host); err == nil {
		return h
	}
	return u.Host
}
