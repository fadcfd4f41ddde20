package autotls

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/caddyserver/certmagic"
)

// Events of certmagic v0.25.6 the Manager acts on, and their data keys:
// "identifier" (string) on all three, "renewal" (bool) on cert_obtained
// and cert_failed (and on cert_obtaining for renewals), "error" (error)
// on cert_failed.
const (
	eventObtaining = "cert_obtaining"
	eventObtained  = "cert_obtained"
	eventFailed    = "cert_failed"
)

// domainsTimeout bounds a call to Domains from an event: events are
// synchronous and the issuance (or handshake) waits on them.
const domainsTimeout = 10 * time.Second

// shouldEmit spares certmagic building event data nobody reads, such as
// tls_get_certificate on every handshake.
func shouldEmit(event string) bool {
	switch event {
	case eventObtaining, eventObtained, eventFailed:
		return true
	}
	return false
}

// onEvent is certmagic's OnEvent. Only an error returned for
// cert_obtaining has an effect: it cancels that issuance attempt.
func (m *Manager) onEvent(ctx context.Context, event string, data map[string]any) error {
	name, _ := data["identifier"].(string)
	renewal, _ := data["renewal"].(bool)
	switch event {
	case eventObtaining:
		return m.obtaining(ctx, name)
	case eventObtained:
		m.backoff.succeeded(name)
		m.log.InfoContext(ctx, "autotls: certificate obtained", "host", name, "renewal", renewal)
		if m.custom(name) {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), domainsTimeout)
			defer cancel()
			if err := m.domains.Obtained(dctx, name); err != nil {
				m.log.ErrorContext(ctx, "autotls: recording an obtained certificate", "host", name, "err", err)
			}
		}
	case eventFailed:
		cause, _ := data["error"].(error)
		if cause == nil {
			cause = errors.New("unknown error")
		}
		until := m.backoff.failed(name)
		m.log.WarnContext(ctx, "autotls: obtaining a certificate failed", "host", name, "renewal", renewal, "retry_after", until, "err", cause)
		if renewal {
			cause = fmt.Errorf("%w: %w", ErrRenewal, cause)
		}
		if m.custom(name) {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), domainsTimeout)
			defer cancel()
			if err := m.domains.Failed(dctx, name, cause); err != nil {
				m.log.ErrorContext(ctx, "autotls: recording a failed issuance", "host", name, "err", err)
			}
		}
		// A handshake waiting on this issuance fails now rather than after
		// certmagic's one-minute retry wait; the backoff decides the retry.
		if abort, ok := ctx.Value(abortKey{}).(context.CancelCauseFunc); ok {
			abort(fmt.Errorf("autotls: obtaining a certificate for %s: %w", name, cause))
		}
	}
	return nil
}

// obtaining runs once certmagic holds the issuance lock for name and has
// seen Storage has no usable certificate, just before it contacts the CA.
// It refuses the attempt while name is in backoff or while our listeners
// are missing. When a handshake waits on the attempt, the refusal ends it
// (certmagic.ErrNoRetry); in the background (a renewal started by a
// handshake that is served the current certificate meanwhile) certmagic's
// own retry loop waits and asks again, which keeps the name's renewal
// slot taken, so later handshakes do not start renewals of their own.
func (m *Manager) obtaining(ctx context.Context, name string) error {
	var err error
	if until, ok := m.backoff.blocked(name); ok {
		err = fmt.Errorf("%w: %s until %s", ErrBackoff, name, until.Format(time.RFC3339))
	} else if err = m.checkListeners(); err != nil {
		m.log.ErrorContext(ctx, "autotls: refusing to obtain a certificate", "host", name, "err", err)
	}
	if err == nil {
		return nil
	}
	if _, waiting := ctx.Value(abortKey{}).(context.CancelCauseFunc); waiting {
		return certmagic.ErrNoRetry{Err: err}
	}
	return err
}

// checkListeners makes sure certmagic will not open a listener of its
// own. Its solvers bind ListenHost:port for each enabled challenge and,
// when the address is in use, assume the process already answers there
// (solvers.go, robustTryListen); only when the bind succeeds do they
// serve the challenge themselves. So each address must be taken by our
// listeners: this tries the same bind first and refuses the issuance if
// it succeeds. (A listener closing between this check and certmagic's
// bind, milliseconds later, is the remaining gap.)
func (m *Manager) checkListeners() error {
	var ports []int
	if m.httpPort > 0 {
		ports = append(ports, m.httpPort)
	}
	if m.tlsALPN {
		ports = append(ports, m.tlsPort)
	}
	for _, p := range ports {
		addr := net.JoinHostPort(m.listenHost, strconv.Itoa(p))
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			continue // in use (ours) or not bindable: certmagic cannot bind it either
		}
		if err := ln.Close(); err != nil {
			return fmt.Errorf("%w: %s (closing probe: %w)", ErrNotListening, addr, err)
		}
		return fmt.Errorf("%w: %s", ErrNotListening, addr)
	}
	return nil
}
