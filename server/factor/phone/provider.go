package phone

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/lintel-id/lintel/internal/egress"
)

// Provider carries messages to phones.
//
// Send hands m to the provider and returns its receipt once the provider
// has accepted the message (not once the phone has it: that arrives later
// through status callbacks, see Outbox.RecordStatus). An error wrapping
// ErrPermanent means retrying the same message cannot succeed (a bad or
// unsubscribed number, refused credentials); any other error is temporary
// and the outbox retries it with backoff. When ctx is cancelled Send
// returns an error wrapping ctx.Err(), and the message may or may not have
// been accepted. Errors never hold the number, the body or a secret.
// Implementations are safe for concurrent use.
type Provider interface {
	Send(ctx context.Context, m Message) (Receipt, error)
}

// maxResponseLen bounds how much of a provider's answer is read.
const maxResponseLen = 64 << 10

// userAgent identifies Lintel to providers.
const userAgent = "Lintel"

// noRedirects returns a copy of c that does not follow redirects: a 301,
// 302 or 303 would turn the POST into a GET and drop the message, and a
// provider that redirects is misconfigured. The copy shares c's transport
// (the egress dialer's, in production).
func noRedirects(c *http.Client) *http.Client {
	if c == nil {
		c = http.DefaultClient
	}
	cc := *c
	cc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &cc
}

// post sends req with c and returns the status and up to maxResponseLen
// bytes of the answer. A transport failure returns an error that names
// what failed but not the URL, which may carry an account ID or a token.
func post(c *http.Client, req *http.Request, who string) (int, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return 0, nil, fmt.Errorf("%s: %w", who, ctxErr)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if errors.Is(err, egress.ErrForbidden) {
			// The configured address is one outbound calls may not reach:
			// retrying will not change that.
			return 0, nil, fmt.Errorf("%w: %s: %w", ErrPermanent, who, err)
		}
		return 0, nil, fmt.Errorf("%s: request failed: %w", who, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseLen))
	if err != nil {
		return 0, nil, fmt.Errorf("%s: HTTP %d, reading the answer: %w", who, resp.StatusCode, err)
	}
	return resp.StatusCode, body, nil
}
