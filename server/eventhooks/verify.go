package eventhooks

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/lintel-id/lintel/internal/hooksig"
	"github.com/lintel-id/lintel/server/store"
)

// Headers of the requests to receivers.
const (
	// ChallengeHeader carries the verification challenge.
	ChallengeHeader = "Lintel-Verification-Challenge"
	// EventIDHeader carries the ID of the delivered event, the key
	// receivers dedupe on.
	EventIDHeader = "Lintel-Event-Id"
	// HookIDHeader carries the hook's ID.
	HookIDHeader = "Lintel-Hook-Id"
	// DeliveryIDHeader carries the delivery's ID.
	DeliveryIDHeader = "Lintel-Delivery-Id"
	// AttemptHeader carries the attempt's number, from 1.
	AttemptHeader = "Lintel-Delivery-Attempt"
)

// userAgent names the sender to receivers' logs.
const userAgent = "Lintel-EventHooks/1"

// maxAnswer bounds what is read of a receiver's answer.
const maxAnswer = 64 << 10

// verificationType is the type of the handshake's body; it has no dot,
// so no event type can ever equal it.
const verificationType = "verification"

// verificationBody is the handshake's request body.
type verificationBody struct {
	Type      string `json:"type"`
	HookID    string `json:"hook_id"`
	TenantID  string `json:"tenant_id"`
	Challenge string `json:"challenge"`
}

// Verify runs the handshake that proves the hook's URL is the tenant's
// receiver: a POST, signed like every delivery, with a JSON body
// {"type":"verification","hook_id":…,"tenant_id":…,"challenge":…} and the
// challenge also in the Lintel-Verification-Challenge header. The
// receiver must answer 200 with {"verification":"<challenge>"}. Then the
// hook is active and its pending deliveries are due at once.
//
// It calls the receiver outside any transaction, so it must not be
// called inside one. A receiver that does not complete the handshake is
// ErrVerification (the hook stays as it was); a disabled hook is
// ErrDisabled; a hook whose URL changed during the handshake is
// ErrVerification too (verify the new URL).
func (s *Service) Verify(ctx context.Context, tenantID, hookID string) error {
	var h Hook
	var keys [][]byte
	err := s.st.View(ctx, func(ctx context.Context, tx store.Tx) error {
		var err error
		if h, err = s.Get(ctx, tx, tenantID, hookID); err != nil {
			return err
		}
		ss, err := loadSecrets(ctx, tx, h.ID)
		if err != nil {
			return err
		}
		keys, err = s.open(ctx, tx, h, ss, s.clk.Now())
		return err
	})
	if err != nil {
		return fmt.Errorf("eventhooks: verify %s: %w", hookID, err)
	}
	if h.Status == Disabled {
		return fmt.Errorf("eventhooks: verify %s: %w", hookID, ErrDisabled)
	}
	c := make([]byte, 24)
	if _, err := rand.Read(c); err != nil {
		return fmt.Errorf("eventhooks: verify %s: challenge: %w", hookID, err)
	}
	challenge := base64.RawURLEncoding.EncodeToString(c)
	body, err := json.Marshal(verificationBody{Type: verificationType, HookID: h.ID, TenantID: h.TenantID, Challenge: challenge})
	if err != nil {
		return fmt.Errorf("eventhooks: verify %s: %w", hookID, err)
	}
	status, answer, err := s.post(ctx, h.URL, body, keys, map[string]string{HookIDHeader: h.ID, ChallengeHeader: challenge})
	if err != nil {
		return fmt.Errorf("eventhooks: verify %s: %w: %s", hookID, ErrVerification, err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("eventhooks: verify %s: %w: answered HTTP %d, want 200", hookID, ErrVerification, status)
	}
	var echo struct {
		Verification string `json:"verification"`
	}
	if json.Unmarshal(answer, &echo) != nil || subtle.ConstantTimeCompare([]byte(echo.Verification), []byte(challenge)) != 1 {
		return fmt.Errorf(`eventhooks: verify %s: %w: the answer is not {"verification":"<challenge>"}`, hookID, ErrVerification)
	}
	return s.st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		now := s.now()
		n, err := tx.Exec(ctx, `UPDATE event_hooks SET status = ?, verified_at = ?, updated_at = ?
			WHERE id = ? AND tenant_id = ? AND url = ? AND status <> ?`,
			string(Active), now, now, h.ID, tenantID, h.URL, string(Disabled))
		if err != nil {
			return fmt.Errorf("eventhooks: verify %s: %w", hookID, err)
		}
		if n == 0 {
			return fmt.Errorf("eventhooks: verify %s: %w: the hook changed or was disabled meanwhile", hookID, ErrVerification)
		}
		return s.wake(ctx, tx, h.ID)
	})
}

// post sends a signed JSON body to url within SendTimeout, and returns the
// answer's status and at most maxAnswer bytes of its body. The error is
// about the exchange (refused, timed out), summarised without the URL.
func (s *Service) post(ctx context.Context, url string, body []byte, keys [][]byte, headers map[string]string) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, SendTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, fmt.Errorf("request: %s", summary(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set(hooksig.Header, hooksig.Sign(s.clk.Now(), body, keys...))
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, nil, errors.New(summary(err))
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		// The status is known; a body cut short matters to the handshake
		// only, which then fails to decode it.
		return resp.StatusCode, nil, nil
	}
	// Drain a little more so the connection can be reused.
	_, _ = io.CopyN(io.Discard, resp.Body, maxAnswer)
	return resp.StatusCode, answer, nil
}
