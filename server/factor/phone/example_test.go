package phone_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lintel-id/lintel/internal/clock"
	"github.com/lintel-id/lintel/internal/egress"
	"github.com/lintel-id/lintel/server/factor/phone"
	"github.com/lintel-id/lintel/server/secrets"
	"github.com/lintel-id/lintel/server/store"
)

// unlimited stands in for the engine's adapter of edge/ratelimit.
type unlimited struct{}

func (unlimited) Allow(context.Context, string, phone.Limit) (bool, time.Duration, error) {
	return true, 0, nil
}

func ExampleParseNumber() {
	n, err := phone.ParseNumber("+1 (416) 555-0100")
	fmt.Println(n, n.Country(), n.Masked(), err)
	_, err = phone.ParseNumber("(416) 555-0100")
	fmt.Println(errors.Is(err, phone.ErrInvalidNumber))
	// Output:
	// +14165550100 CA +1 ••• ••• ••00 <nil>
	// true
}

// A tenant sends sign-in codes through its own SMS gateway: the engine
// enqueues the rendered code in the transaction of the sign-in step, and
// every node runs delivery.
func ExampleOutbox() {
	ctx := context.Background()
	// The tenant's gateway, here on loopback, which the egress dialer
	// allows only in tests.
	gateway := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var m struct{ To, Channel, Body, Country string }
		_ = json.Unmarshal(body, &m)
		fmt.Printf("gateway: %s to %s (%s): %s\n", m.Channel, m.To, m.Country, m.Body)
	}))
	defer gateway.Close()
	roots := x509.NewCertPool()
	roots.AddCert(gateway.Certificate())
	dialer := egress.New(egress.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		TLS: &tls.Config{RootCAs: roots}})

	dir, err := os.MkdirTemp("", "phone-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	st, err := store.Open(ctx, store.Options{Dialect: store.SQLite, Path: filepath.Join(dir, "lintel.db"), Migrate: true})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	clk := clock.System()
	kek, _ := secrets.GenerateKEK(clk.Now())
	sec, err := secrets.New(ctx, st, secrets.Keyring{Current: kek}, clk)
	if err != nil {
		panic(err)
	}
	settings := phone.NewSettings(st, sec, clk, phone.SettingsOptions{Egress: dialer})
	outbox := phone.NewOutbox(st, settings, unlimited{}, dialer.Client(), clk, phone.Options{})

	// An admin configures the tenant: its gateway, SMS only, to the US.
	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := settings.Put(ctx, tx, "ten_acme", phone.SettingsInput{
			Kind:      phone.KindWebhook,
			Webhook:   phone.WebhookConfig{URL: gateway.URL + "/sms", Secret: "whsec-0123456789abcdef0123456789abcdef"},
			Channels:  []phone.Channel{phone.SMS},
			Countries: []string{"US"},
		})
		return err
	})
	if err != nil {
		panic(err)
	}

	// The engine sends a code to the number a person typed.
	to, err := phone.ParseNumber("+1 (415) 555-0100")
	if err != nil {
		panic(err)
	}
	client := netip.MustParseAddr("203.0.113.7")
	var id string
	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		id, err = outbox.Enqueue(ctx, tx, "ten_acme", phone.Message{To: to, Channel: phone.SMS, Locale: "en",
			Body: "123456 is your Acme sign-in code. Don't share it."}, client)
		return err
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("code sent to", to.Masked())

	// A number in a country the tenant did not allow is refused.
	uk, _ := phone.ParseNumber("+44 20 7946 0000")
	err = st.Tx(ctx, func(ctx context.Context, tx store.Tx) error {
		_, err := outbox.Enqueue(ctx, tx, "ten_acme", phone.Message{To: uk, Channel: phone.SMS, Body: "654321"}, client)
		return err
	})
	fmt.Println("UK refused:", errors.Is(err, phone.ErrCountryNotAllowed))

	sent, failed, err := outbox.Deliver(ctx, 10)
	fmt.Println("sent", sent, "failed", failed, err)
	e, _ := outbox.Lookup(ctx, id)
	fmt.Println(e.Status, e.BodyStored)
	// Output:
	// code sent to +1 ••• ••• ••00
	// UK refused: true
	// gateway: sms to +14155550100 (US): 123456 is your Acme sign-in code. Don't share it.
	// sent 1 failed 0 <nil>
	// sent false
}

// A receiver of the webhook checks each request's signature: HMAC-SHA256
// under the shared secret of "<t>.<raw body>", compared in constant time,
// with t close to its own clock.
func ExampleWebhookSignature() {
	const secret = "whsec-0123456789abcdef0123456789abcdef"
	body := []byte(`{"id":"phone_01","to":"+14155550100","channel":"sms","body":"…","locale":"en","country":"US"}`)
	header := phone.WebhookSignature(secret, time.Unix(1772366400, 0), body) // what Lintel sends

	// The receiver's side, with the standard library only.
	var ts int64
	var sig string
	if _, err := fmt.Sscanf(strings.Replace(header, ",v1=", " ", 1), "t=%d %s", &ts, &sig); err != nil {
		panic(err)
	}
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.%s", ts, body)
	got, _ := hex.DecodeString(sig)
	fmt.Println("verified:", hmac.Equal(got, mac.Sum(nil)), "age:", time.Unix(1772366410, 0).Sub(time.Unix(ts, 0)))
	// Output:
	// verified: true age: 10s
}
