package ownership

import (
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"syscall"

	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/tenant"
)

// errOtherHost and errTooManyRedirects come from redirectRule through the
// client, inside a *url.Error.
var (
	errOtherHost        = errors.New("redirect to another host")
	errTooManyRedirects = errors.New("too many redirects")
)

// redirectRule follows at most c.maxRedirects redirects, only to the
// domain's own host (whatever the port or scheme), and then applies next,
// the egress client's own rule (schemes, no https to http).
func (c *Checker) redirectRule(next func(*http.Request, []*http.Request) error) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) > c.maxRedirects {
			return errTooManyRedirects
		}
		if !strings.EqualFold(req.URL.Hostname(), via[0].URL.Hostname()) {
			return errOtherHost
		}
		if next != nil {
			return next(req, via)
		}
		return nil
	}
}

// checkHTTP fetches the domain's token. Its errors never repeat the
// answer's body, nor the addresses the name resolved to.
func (c *Checker) checkHTTP(ctx context.Context, d tenant.Domain) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	host := d.Hostname
	if c.port != 80 {
		host = net.JoinHostPort(host, strconv.Itoa(c.port))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+host+tenant.ChallengePath+d.ID, nil)
	if err != nil {
		return because(ErrHTTPRequest, err, "invalid URL")
	}
	req.Header.Set("User-Agent", "Lintel-Ownership-Check")
	resp, err := c.client.Do(req)
	if err != nil {
		return requestFailure(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return because(ErrHTTPStatus, nil, "answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	switch {
	case err != nil:
		return requestFailure(err)
	case len(body) > MaxBody:
		return because(ErrHTTPBody, nil, "the answer is longer than %d bytes", MaxBody)
	case subtle.ConstantTimeCompare([]byte(strings.TrimSpace(string(body))), []byte(d.VerificationToken)) != 1:
		return because(ErrHTTPBody, nil, "the answer is not this domain's token")
	}
	return nil
}

// requestFailure says in a few words why a request got no answer.
func requestFailure(err error) error {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, errOtherHost):
		return because(ErrHTTPRedirect, err, "redirect to another host refused")
	case errors.Is(err, errTooManyRedirects):
		return because(ErrHTTPRedirect, err, "more redirects than allowed")
	case errors.Is(err, egress.ErrForbidden):
		return because(ErrHTTPRequest, err, "address not allowed")
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return because(ErrHTTPRequest, err, "no such host")
	case errors.Is(err, context.DeadlineExceeded), isTimeout(err):
		return because(ErrHTTPRequest, err, "timed out")
	case errors.Is(err, syscall.ECONNREFUSED):
		return because(ErrHTTPRequest, err, "connection refused")
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF):
		return because(ErrHTTPRequest, err, "connection reset")
	}
	return because(ErrHTTPRequest, err, "request failed")
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
