package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/settings"
	"github.com/lintel-id/lintel/server/events"
	"github.com/lintel-id/lintel/server/mgmt"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
	"github.com/lintel-id/lintel/server/tenant"
)

// system is the identity server's parts, wired from the configuration;
// serve and the admin commands share it.
type system struct {
	log     *slog.Logger
	clock   clock.Clock
	store   *store.DB
	secrets *secrets.Service
	tenants *tenant.Service
	events  *events.Log
	tokens  *mgmt.Tokens
	// keyFile and keyCreated tell whether a KEK file was made on this start.
	keyFile    string
	keyCreated bool
}

// openSystem opens the store (migrating it), the secrets service and the
// services on top, and makes sure the system tenant exists. Close the
// store when done.
func (e *env) openSystem(ctx context.Context, c settings.Config) (*system, error) {
	s := &system{log: e.newLogger(c), clock: clock.System()}
	if err := checkKeyConfig(c); err != nil {
		return nil, err
	}
	st, err := openStore(ctx, c, s.log, true)
	if err != nil {
		return nil, err
	}
	s.store = st
	ring, keyFile, created, err := keyring(ctx, c, st, s.clock)
	if err != nil {
		_ = st.Close()
		return nil, err
	}
	s.keyFile, s.keyCreated = keyFile, created
	if s.secrets, err = secrets.New(ctx, st, ring, s.clock); err != nil {
		_ = st.Close()
		return nil, err
	}
	publicHost := ""
	if u, err := url.Parse(c.PublicURL); err == nil {
		publicHost = u.Hostname()
	}
	s.tenants = tenant.New(s.secrets, s.clock, tenant.Options{PublicHost: publicHost, MaxDepth: c.TenantMaxDepth()})
	s.events = events.New(st, s.secrets, s.clock)
	s.tokens = mgmt.NewTokens(s.secrets, s.clock)
	ensure := func(ctx context.Context, tx store.Tx) error {
		_, err := s.tenants.EnsureSystem(ctx, tx)
		return err
	}
	err = st.Tx(ctx, ensure)
	if errors.Is(err, store.ErrConflict) {
		// Another node created it at the same moment: it exists now.
		err = st.Tx(ctx, ensure)
	}
	if err != nil {
		_ = st.Close()
		return nil, fmt.Errorf("system tenant: %w", err)
	}
	return s, nil
}
