package hooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/lintel-id/lintel/internal/hooksig"
)

// Request headers of HTTP hooks, beside hooksig.Header.
const (
	// HeaderHookID names the hook called, so that one endpoint serving
	// several hooks knows which secret verifies the signature.
	HeaderHookID = "Lintel-Hook-Id"
	// HeaderInvocationID repeats the document's "id".
	HeaderInvocationID = "Lintel-Invocation-Id"
)

// errTimeout is the cause of a call stopped at its hook's timeout.
var errTimeout = errors.New("timed out")

// callHTTP POSTs body to an HTTP hook, signed, and returns its answer
// and status code. It follows no redirect; a status other than 2xx is an
// error. Errors never name the URL (its query may hold a token).
func (s *Service) callHTTP(ctx context.Context, h loaded, invocation string, body []byte) ([]byte, int, error) {
	ctx, cancel := context.WithTimeout(ctx, h.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return nil, 0, errors.New("cannot make the request for the hook's URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "Lintel-Hooks/"+ProtocolVersion)
	req.Header.Set(HeaderHookID, h.ID)
	req.Header.Set(HeaderInvocationID, invocation)
	req.Header.Set(hooksig.Header, hooksig.Sign(s.d.Clock.Now(), body, h.secrets...))
	resp, err := s.http.Do(req)
	if err != nil {
		return nil, 0, callError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10)) // lets the connection be reused
		return nil, resp.StatusCode, fmt.Errorf("status %d", resp.StatusCode)
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseSize+1))
	if err != nil {
		return nil, resp.StatusCode, callError(ctx, err)
	}
	if len(answer) > MaxResponseSize {
		return nil, resp.StatusCode, fmt.Errorf("%w: larger than %d bytes", ErrBadResponse, MaxResponseSize)
	}
	return answer, resp.StatusCode, nil
}

// callError describes a failed round trip without the URL.
func callError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return errTimeout
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("request failed: %w", err)
}

// callWASM runs a WASM hook's module with body as input.
func (s *Service) callWASM(ctx context.Context, h loaded, body []byte) ([]byte, error) {
	if s.d.WASM == nil {
		return nil, errors.New("wasm hooks are not available on this server")
	}
	out, err := s.d.WASM.Call(ctx, h.ModuleSHA256, h.module, body, h.Timeout)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: %w", errTimeout, err)
		}
		return nil, err // the runtime's errors name it ("wasm: …")
	}
	return out, nil
}
