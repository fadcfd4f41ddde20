package logstream

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/internal/hooksig"
	"github.com/lintel-id/lintel/server/events"
)

// MaxBatch is the most events one POST carries.
const MaxBatch = 100

// Defaults for the zero values of WebhookOptions.
const (
	defaultTimeout    = 10 * time.Second
	defaultAttempts   = 3
	defaultBackoff    = time.Second
	maxBackoff        = 30 * time.Second
	maxResponseToRead = 64 << 10
)

// ErrRejected is a receiver that answered with a status other than 2xx.
var ErrRejected = errors.New("logstream: receiver did not accept the batch")

// WebhookOptions configure a Webhook.
type WebhookOptions struct {
	// URL is where batches are POSTed.
	URL string
	// Secret signs each request (hooksig, header Lintel-Signature).
	Secret []byte
	// Client sends the requests: the egress client, whose dialer refuses
	// internal addresses. Redirects are not followed (a 3xx is a failure):
	// a signed batch goes only where it was configured to.
	Client *http.Client
	// Clock stamps the signatures.
	Clock clock.Clock
	// StreamID, when set, is sent in the Lintel-Stream-Id header.
	StreamID string
	// Personal sends the events' personal details; without it they are
	// sent pseudonymous (personal null).
	Personal bool
	// Timeout bounds one POST (default 10s).
	Timeout time.Duration
	// Attempts is how many times Write tries one POST before it fails
	// (default 3); Backoff is the wait after the first failure (default
	// 1s), doubling after each, at most 30s.
	Attempts int
	Backoff  time.Duration
}

// Webhook is a Sink that POSTs batches of events to a receiver as a JSON
// array of objects in the format of events.Export, at most MaxBatch per
// request, signed with internal/hooksig. A batch is accepted when every
// request of it was answered 2xx. It is safe for concurrent use.
type Webhook struct {
	o      WebhookOptions
	client http.Client
}

// NewWebhook returns a Webhook for o, filling in the defaults.
func NewWebhook(o WebhookOptions) (*Webhook, error) {
	if o.URL == "" || o.Client == nil || o.Clock == nil || len(o.Secret) == 0 {
		return nil, errors.New("logstream: webhook needs a URL, a secret, a client and a clock")
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if o.Attempts <= 0 {
		o.Attempts = defaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = defaultBackoff
	}
	w := &Webhook{o: o, client: *o.Client}
	w.client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return w, nil
}

// Write POSTs batch in requests of at most MaxBatch events, each tried up
// to Attempts times with backoff. When one fails for good, Write returns
// its error and the whole batch is sent again later (receivers drop the
// duplicates by event ID). A status of 4xx other than 408 and 429 is not
// retried within Write: the receiver refused the request as it is.
func (w *Webhook) Write(ctx context.Context, batch []events.Event) error {
	for len(batch) > 0 {
		n := min(len(batch), MaxBatch)
		if err := w.send(ctx, batch[:n]); err != nil {
			return err
		}
		batch = batch[n:]
	}
	return nil
}

// send delivers one request's worth of events, with retries.
func (w *Webhook) send(ctx context.Context, evs []events.Event) error {
	if !w.o.Personal {
		evs = pseudonymous(evs)
	}
	body, err := events.MarshalExport(evs)
	if err != nil {
		return err
	}
	wait := w.o.Backoff
	for attempt := 1; ; attempt++ {
		retry, err := w.post(ctx, body)
		if err == nil {
			return nil
		}
		if !retry || attempt >= w.o.Attempts {
			return fmt.Errorf("logstream: deliver %d events from %s (attempt %d): %w", len(evs), evs[0].ID, attempt, err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, maxBackoff)
	}
}

// post makes one request and says whether a failure is worth retrying.
// Errors never hold the URL (it may carry a token in its query).
func (w *Webhook) post(ctx context.Context, body []byte) (retry bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, w.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.o.URL, bytes.NewReader(body))
	if err != nil {
		return false, errors.New("logstream: bad webhook URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Lintel-Log-Stream/1")
	req.Header.Set(hooksig.Header, hooksig.Sign(w.o.Clock.Now(), body, w.o.Secret))
	if w.o.StreamID != "" {
		req.Header.Set("Lintel-Stream-Id", w.o.StreamID)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return true, transportError(err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseToRead))
	_ = resp.Body.Close()
	switch c := resp.StatusCode; {
	case c >= 200 && c <= 299:
		return false, nil
	case c == http.StatusRequestTimeout || c == http.StatusTooManyRequests || c >= 500:
		return true, fmt.Errorf("%w: status %d", ErrRejected, c)
	default:
		return false, fmt.Errorf("%w: status %d", ErrRejected, c)
	}
}

// sanitized is an error whose text is a fixed description, for a cause
// whose own text may name the URL or the addresses a name resolved to
// (which would tell a tenant about the network Lintel runs in). The cause
// stays reachable with errors.Is and errors.As.
type sanitized struct {
	msg   string
	cause error
}

func (e *sanitized) Error() string { return e.msg }
func (e *sanitized) Unwrap() error { return e.cause }

// transportError describes a failed request without the URL or the
// addresses it met.
func transportError(err error) error {
	var (
		ne     net.Error
		op     *net.OpError
		verify *tls.CertificateVerificationError
		alert  tls.AlertError
		record tls.RecordHeaderError
	)
	msg := "POST failed"
	switch {
	case errors.Is(err, egress.ErrForbidden):
		msg = "POST refused: the destination is not allowed"
	case errors.Is(err, context.Canceled):
		msg = "POST cancelled"
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		msg = "POST timed out"
	case errors.As(err, &verify) || errors.As(err, &alert) || errors.As(err, &record):
		msg = "POST failed: TLS handshake"
	case errors.As(err, &op) && op.Op == "dial":
		msg = "POST failed: could not connect"
	}
	return &sanitized{msg: msg, cause: err}
}

// pseudonymous returns copies of evs without their personal details.
func pseudonymous(evs []events.Event) []events.Event {
	out := make([]events.Event, len(evs))
	for i, e := range evs {
		e.Personal = nil
		out[i] = e
	}
	return out
}

var _ events.Sink = (*Webhook)(nil)
