package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	msgauth "github.com/emersion/go-msgauth/dkim"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/mail/mailtest"
	"github.com/lintel-id/lintel/server/store"
)

// zone is a TXTResolver serving the records tests publish.
type zone struct {
	mu  sync.Mutex
	txt map[string][]string
}

func (z *zone) LookupTXT(_ context.Context, name string) ([]string, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	v, ok := z.txt[strings.ToLower(name)]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return v, nil
}

func (z *zone) set(name string, values ...string) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.txt == nil {
		z.txt = map[string][]string{}
	}
	z.txt[strings.ToLower(name)] = values
}

// publish puts the sender's records of the given purpose in z.
func (z *zone) publish(s BrandSender, purpose string) {
	for _, r := range s.Records {
		if r.Purpose == purpose {
			z.set(r.Name, r.Value)
		}
	}
}

// brand makes tenant ten_a (if needed) and a brand of it.
func (e *env) brand(t testing.TB, tenantID, brandID string) {
	t.Helper()
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		now := e.clk.Now()
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM tenants WHERE id = ?`, tenantID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			if _, err := tx.Exec(ctx, `INSERT INTO tenants (id, slug, name, parent_id, depth, system, created_at, updated_at)
				VALUES (?, ?, ?, NULL, 0, ?, ?, ?)`, tenantID, strings.ReplaceAll(tenantID, "_", "-"), tenantID, false, now, now); err != nil {
				return err
			}
		}
		_, err := tx.Exec(ctx, `INSERT INTO brands (id, tenant_id, name, name_fold, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			brandID, tenantID, brandID, brandID, now, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) senders(t testing.TB, s *Settings, z *zone) *BrandSenders {
	t.Helper()
	return NewBrandSenders(s, BrandSendersOptions{Resolver: z})
}

func inTx[T any](t testing.TB, e *env, fn func(ctx context.Context, tx store.Tx) (T, error)) (T, error) {
	t.Helper()
	var out T
	err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
		var err error
		out, err = fn(ctx, tx)
		return err
	})
	return out, err
}

func putSender(t testing.TB, e *env, b *BrandSenders, brandID string, in BrandSenderInput) (BrandSender, error) {
	t.Helper()
	return inTx(t, e, func(ctx context.Context, tx store.Tx) (BrandSender, error) {
		return b.PutBrandSender(ctx, tx, "ten_a", brandID, in)
	})
}

func getSender(t testing.TB, e *env, b *BrandSenders, brandID string) (BrandSender, error) {
	t.Helper()
	return inTx(t, e, func(ctx context.Context, tx store.Tx) (BrandSender, error) {
		return b.GetBrandSender(ctx, tx, "ten_a", brandID)
	})
}

func record(t testing.TB, s BrandSender, purpose string) DNSRecord {
	t.Helper()
	for _, r := range s.Records {
		if r.Purpose == purpose {
			return r
		}
	}
	t.Fatalf("no %s record in %+v", purpose, s.Records)
	return DNSRecord{}
}

func TestBrandSenders(t *testing.T) {
	runOnBackends(t, []behaviour{
		{"stores a sender with a sealed key and shows the records to publish", testSenderPut},
		{"refuses bad addresses and names, changing nothing", testSenderRefuses},
		{"FromBrand is the brand's sender, else the tenant's", testSenderFromBrand},
		{"verification finds, misses and mismatches the DKIM record", testSenderVerify},
		{"a rotation signs with the new key once its record is verified", testSenderRotate},
		{"a new domain gets a new key; a new name keeps it", testSenderDomainChange},
		{"the sender goes with its brand; Delete removes it", testSenderDelete},
		{"delivered mail is signed and go-msgauth verifies it; tampering fails", testSenderDeliverSigned},
		{"a key that does not open fails the send, retryably, logging no key", testSenderKeyDoesNotOpen},
	})
}

func testSenderPut(t *testing.T, e *env) {
	e.brand(t, "ten_a", "brand_a")
	s := e.settings(t, SettingsOptions{})
	if _, err := put(t, e, s, "ten_a", relayInput()); err != nil {
		t.Fatal(err)
	}
	b := e.senders(t, s, &zone{})
	got, err := putSender(t, e, b, "brand_a", BrandSenderInput{Address: "no-reply@Mail.Acme.Example", Name: " Acme Støre "})
	if err != nil {
		t.Fatal(err)
	}
	if got.Address != "no-reply@mail.acme.example" || got.Domain != "mail.acme.example" || got.Name != "Acme Støre" ||
		got.Algorithm != "rsa-sha256" || got.Status != DKIMPending || !strings.HasPrefix(got.Selector, "lintel202603-") {
		t.Fatalf("Put = %+v", got)
	}
	if got.From() != `=?utf-8?q?Acme_St=C3=B8re?= <no-reply@mail.acme.example>` {
		t.Errorf("From() = %q", got.From())
	}
	dk := record(t, got, PurposeDKIM)
	if dk.Name != got.Selector+"._domainkey.mail.acme.example" || !strings.HasPrefix(dk.Value, "v=DKIM1; k=rsa; p=MIIBIjAN") {
		t.Errorf("dkim record %+v", dk)
	}
	if spf := record(t, got, PurposeSPF); spf.Name != "mail.acme.example" || spf.Value != "v=spf1 a:smtp.acme.example ~all" {
		t.Errorf("spf record %+v", spf)
	}
	if dm := record(t, got, PurposeDMARC); dm.Name != "_dmarc.mail.acme.example" ||
		dm.Value != "v=DMARC1; p=none; rua=mailto:dmarc-reports@mail.acme.example" {
		t.Errorf("dmarc record %+v", dm)
	}
	if read, err := getSender(t, e, b, "brand_a"); err != nil || read.Selector != got.Selector || len(read.Records) != 3 {
		t.Fatalf("Get = %+v, %v", read, err)
	}
	var sealed []byte
	err = e.st.View(context.Background(), func(ctx context.Context, tx store.Tx) error {
		return tx.QueryRow(ctx, `SELECT private_sealed FROM brand_senders WHERE brand_id = ?`, "brand_a").Scan(&sealed)
	})
	if err != nil || len(sealed) < 1000 || bytes.HasPrefix(sealed, []byte{0x30, 0x82}) {
		t.Fatalf("sealed key %d bytes, %v", len(sealed), err)
	}
	if _, err := getSender(t, e, b, "brand_none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a brand without a sender = %v, want not found", err)
	}
	if _, err := inTx(t, e, func(ctx context.Context, tx store.Tx) (BrandSender, error) {
		return b.PutBrandSender(ctx, tx, "ten_other", "brand_a", BrandSenderInput{Address: "a@mail.acme.example"})
	}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Put on another tenant's brand = %v, want not found", err)
	}
	// Without any relay, SPF cannot be suggested and says why.
	s2 := e.settings(t, SettingsOptions{})
	e.brand(t, "ten_b", "brand_b")
	b2 := e.senders(t, s2, &zone{})
	got, err = inTx(t, e, func(ctx context.Context, tx store.Tx) (BrandSender, error) {
		return b2.PutBrandSender(ctx, tx, "ten_b", "brand_b", BrandSenderInput{Address: "x@acme.example"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if spf := record(t, got, PurposeSPF); spf.Value != "" || !strings.Contains(spf.Note, "No SMTP relay") {
		t.Errorf("spf without a relay %+v", spf)
	}
}

func testSenderRefuses(t *testing.T, e *env) {
	e.brand(t, "ten_a", "brand_a")
	b := e.senders(t, e.settings(t, SettingsOptions{}), &zone{})
	for _, tc := range []struct {
		name  string
		in    BrandSenderInput
		field string
	}{
		{"no address", BrandSenderInput{}, "address"},
		{"a display name in the address", BrandSenderInput{Address: "Acme <a@acme.example>"}, "address"},
		{"angle brackets", BrandSenderInput{Address: "<a@acme.example>"}, "address"},
		{"two addresses", BrandSenderInput{Address: "a@acme.example, b@acme.example"}, "address"},
		{"an IP literal", BrandSenderInput{Address: "a@[192.0.2.1]"}, "address"},
		{"an IP address", BrandSenderInput{Address: "a@192.0.2.1"}, "address"},
		{"a single label", BrandSenderInput{Address: "a@localhost"}, "address"},
		{"a bad domain", BrandSenderInput{Address: "a@acme_mail.example"}, "address"},
		{"a name with a line break", BrandSenderInput{Address: "a@acme.example", Name: "Acme\r\nBcc: x@y"}, "name"},
		{"a long name", BrandSenderInput{Address: "a@acme.example", Name: strings.Repeat("n", MaxSenderNameLen+1)}, "name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := putSender(t, e, b, "brand_a", tc.in)
			var ie *invalid.Error
			if !errors.As(err, &ie) || ie.Field != tc.field {
				t.Fatalf("Put = %v, want an invalid %s", err, tc.field)
			}
		})
	}
	if _, err := getSender(t, e, b, "brand_a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("refused input wrote a sender: %v", err)
	}
}

func testSenderFromBrand(t *testing.T, e *env) {
	e.brand(t, "ten_a", "brand_a")
	e.brand(t, "ten_a", "brand_b")
	s := e.settings(t, SettingsOptions{})
	if _, err := put(t, e, s, "ten_a", relayInput()); err != nil {
		t.Fatal(err)
	}
	b := e.senders(t, s, &zone{})
	if _, err := putSender(t, e, b, "brand_a", BrandSenderInput{Address: "hello@mail.acme.example", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	fromBrand := func(brandID string) string {
		got, err := inTx(t, e, func(ctx context.Context, tx store.Tx) (string, error) {
			return s.FromBrand(ctx, tx, "ten_a", brandID)
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := fromBrand("brand_a"); got != `"Acme" <hello@mail.acme.example>` {
		t.Errorf("FromBrand(brand_a) = %q", got)
	}
	if got := fromBrand("brand_b"); got != `"Acme" <no-reply@acme.example>` {
		t.Errorf("FromBrand(brand_b) = %q, want the tenant's", got)
	}
}

func testSenderVerify(t *testing.T, e *env) {
	e.brand(t, "ten_a", "brand_a")
	z := &zone{}
	b := e.senders(t, e.settings(t, SettingsOptions{}), z)
	s, err := putSender(t, e, b, "brand_a", BrandSenderInput{Address: "a@mail.acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	dk := record(t, s, PurposeDKIM)
	verify := func() BrandSender {
		t.Helper()
		e.clk.Advance(time.Minute)
		got, err := b.VerifyBrandSender(context.Background(), "ten_a", "brand_a")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := verify(); got.Status != DKIMFailed || !strings.Contains(got.LastError, "no TXT record at "+dk.Name) || !got.VerifiedAt.IsZero() {
		t.Fatalf("unpublished: %+v", got)
	}
	z.set(dk.Name, "v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong")
	if got := verify(); got.Status != DKIMFailed || !strings.Contains(got.LastError, "another key") {
		t.Fatalf("another key: %+v", got)
	}
	// Published as a zone file splits it: spaces inside p= are ignored.
	z.set(dk.Name, "unrelated", dk.Value[:120]+" "+dk.Value[120:])
	got := verify()
	if got.Status != DKIMVerified || got.LastError != "" || !got.VerifiedAt.Equal(e.clk.Now().UTC().Truncate(time.Microsecond)) {
		t.Fatalf("published: %+v", got)
	}
	z.set(dk.Name)
	if got := verify(); got.Status != DKIMFailed || got.VerifiedAt.IsZero() || got.LastError == "" {
		t.Fatalf("removed after a verification: %+v", got)
	}
	if _, err := b.VerifyBrandSender(context.Background(), "ten_a", "brand_x"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Verify of no sender = %v", err)
	}
}

func testSenderRotate(t *testing.T, e *env) {
	e.brand(t, "ten_a", "brand_a")
	z := &zone{}
	b := e.senders(t, e.settings(t, SettingsOptions{}), z)
	first, err := putSender(t, e, b, "brand_a", BrandSenderInput{Address: "a@mail.acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	z.publish(first, PurposeDKIM)
	rotated, err := inTx(t, e, func(ctx context.Context, tx store.Tx) (BrandSender, error) {
		return b.RotateBrandSender(ctx, tx, "ten_a", "brand_a")
	})
	if err != nil {
		t.Fatal(err)
	}
	next := record(t, rotated, PurposeDKIMNext)
	if rotated.Selector != first.Selector || rotated.NextSelector == "" || rotated.NextSelector == first.Selector ||
		next.Name != rotated.NextSelector+"._domainkey.mail.acme.example" {
		t.Fatalf("rotated %+v", rotated)
	}
	sg, err := b.signer(context.Background(), "ten_a", "a@mail.acme.example")
	if err != nil || sg.Selector != first.Selector {
		t.Fatalf("signer before the new record is verified = %+v, %v; want the old key", sg, err)
	}
	got, err := b.VerifyBrandSender(context.Background(), "ten_a", "brand_a")
	if err != nil || got.Selector != first.Selector || got.Status != DKIMVerified || !strings.Contains(got.LastError, "new key") {
		t.Fatalf("verify, new record unpublished = %+v, %v", got, err)
	}
	z.publish(rotated, PurposeDKIMNext)
	got, err = b.VerifyBrandSender(context.Background(), "ten_a", "brand_a")
	if err != nil || got.Selector != rotated.NextSelector || got.NextSelector != "" || got.RetiredSelector != first.Selector ||
		got.Status != DKIMVerified || got.LastError != "" {
		t.Fatalf("verify, new record published = %+v, %v", got, err)
	}
	if r := record(t, got, PurposeDKIMRetired); r.Value != record(t, first, PurposeDKIM).Value || !strings.Contains(r.Note, "remove") {
		t.Errorf("retired record %+v", r)
	}
	sg, err = b.signer(context.Background(), "ten_a", "Acme <a@MAIL.acme.example>")
	if err != nil || sg.Selector != rotated.NextSelector {
		t.Fatalf("signer after the switch = %+v, %v; want the new key", sg, err)
	}
	// A check made before a rotation does not record over it.
	c := b.CheckBrandSender(context.Background(), got)
	if _, err := inTx(t, e, func(ctx context.Context, tx store.Tx) (BrandSender, error) {
		return b.RotateBrandSender(ctx, tx, "ten_a", "brand_a")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := inTx(t, e, func(ctx context.Context, tx store.Tx) (BrandSender, error) {
		return b.RecordCheck(ctx, tx, "ten_a", "brand_a", c)
	}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("stale RecordCheck = %v, want a conflict", err)
	}
}

func testSenderDomainChange(t *testing.T, e *env) {
	e.brand(t, "ten_a", "brand_a")
	b := e.senders(t, e.settings(t, SettingsOptions{}), &zone{})
	first, err := putSender(t, e, b, "brand_a", BrandSenderInput{Address: "a@mail.acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	renamed, err := putSender(t, e, b, "brand_a", BrandSenderInput{Address: "b@mail.acme.example", Name: "Acme"})
	if err != nil || renamed.Selector != first.Selector || renamed.Address != "b@mail.acme.example" {
		t.Fatalf("same domain = %+v, %v; want the key kept", renamed, err)
	}
	moved, err := putSender(t, e, b, "brand_a", BrandSenderInput{Address: "b@news.acme.example"})
	if err != nil || moved.Selector == first.Selector || moved.Domain != "news.acme.example" || moved.Status != DKIMPending {
		t.Fatalf("new domain = %+v, %v; want a new key", moved, err)
	}
}

func testSenderDelete(t *testing.T, e *env) {
	e.brand(t, "ten_a", "brand_a")
	e.brand(t, "ten_a", "brand_b")
	b := e.senders(t, e.settings(t, SettingsOptions{}), &zone{})
	for _, id := range []string{"brand_a", "brand_b"} {
		if _, err := putSender(t, e, b, id, BrandSenderInput{Address: "a@mail.acme.example"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := inTx(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
		return 0, b.DeleteBrandSender(ctx, tx, "ten_a", "brand_a")
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := inTx(t, e, func(ctx context.Context, tx store.Tx) (int, error) {
		return 0, b.DeleteBrandSender(ctx, tx, "ten_a", "brand_a")
	}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second Delete = %v, want not found", err)
	}
	if _, err := inTx(t, e, func(ctx context.Context, tx store.Tx) (int64, error) {
		return tx.Exec(ctx, `DELETE FROM brands WHERE id = ?`, "brand_b")
	}); err != nil {
		t.Fatalf("deleting a brand with a sender: %v", err)
	}
	if _, err := getSender(t, e, b, "brand_b"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the sender outlived its brand: %v", err)
	}
}

// verifyRaw checks a received message with go-msgauth, serving z.
func verifyRaw(raw []byte, z *zone) ([]*msgauth.Verification, error) {
	return msgauth.VerifyWithOptions(bytes.NewReader(raw), &msgauth.VerifyOptions{
		LookupTXT: func(name string) ([]string, error) { return z.LookupTXT(context.Background(), name) }})
}

func testSenderDeliverSigned(t *testing.T, e *env) {
	e.brand(t, "ten_a", "brand_a")
	e.brand(t, "ten_a", "brand_b")
	sk := mailtest.Start(t)
	s := e.settings(t, SettingsOptions{Egress: loopbackEgress()})
	if _, err := put(t, e, s, "ten_a", RelayInput{Host: sk.Host, Port: sk.Port, TLS: NoTLS, From: "Acme <no-reply@acme.example>"}); err != nil {
		t.Fatal(err)
	}
	z := &zone{}
	b := e.senders(t, s, z)
	sender, err := putSender(t, e, b, "brand_a", BrandSenderInput{Address: "no-reply@mail.acme.example", Name: "Acme Støre"})
	if err != nil {
		t.Fatal(err)
	}
	z.publish(sender, PurposeDKIM)
	r := NewRouter(s, loopbackEgress(), RouterOptions{Timeout: 10 * time.Second, Senders: b})
	enqueueFrom := func(brandID string) {
		t.Helper()
		err := e.st.Tx(context.Background(), func(ctx context.Context, tx store.Tx) error {
			from, err := s.FromBrand(ctx, tx, "ten_a", brandID)
			if err != nil {
				return err
			}
			m := message()
			m.From, m.Subject = from, "Zamówienie №42 — kod 123456 "+strings.Repeat("ü", 30)
			m.Text += "\n\n\n" + strings.Repeat("A long line. ", 100) + "\n\n"
			_, err = e.ob.Enqueue(ctx, tx, m)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	enqueueFrom("brand_a")
	enqueueFrom("brand_b")
	if sent, failed, err := e.ob.Deliver(context.Background(), r, 10); err != nil || sent != 2 || failed != 0 {
		t.Fatalf("Deliver = %d, %d, %v", sent, failed, err)
	}
	msgs := sk.Wait(t, 2, 10*time.Second)
	var signed, unsigned []byte
	for _, m := range msgs {
		if strings.Contains(m.Header.Get("From"), "mail.acme.example") {
			signed = m.Raw
		} else {
			unsigned = m.Raw
		}
	}
	vs, err := verifyRaw(signed, z)
	if err != nil || len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "mail.acme.example" {
		t.Fatalf("go-msgauth on the delivered message: %v, %+v\n%s", err, vs, signed)
	}
	if v := vs[0]; !v.Time.Equal(e.clk.Now().Truncate(time.Second)) {
		t.Errorf("t= %v, want the clock's %v", v.Time, e.clk.Now())
	}
	if bytes.Contains(unsigned, []byte("DKIM-Signature")) {
		t.Errorf("mail from the tenant's own address (no brand key) was signed")
	}
	for name, tamper := range map[string]func([]byte) []byte{
		"body": func(m []byte) []byte {
			i := bytes.Index(m, []byte("\r\n\r\n"))
			return append(m[:i:i], bytes.Replace(m[i:], []byte("123456"), []byte("654321"), 1)...)
		},
		"subject": func(m []byte) []byte { return bytes.Replace(m, []byte("kod_123456"), []byte("kod_000000"), 1) },
		"from": func(m []byte) []byte {
			return bytes.Replace(m, []byte("\r\nFrom: "), []byte("\r\nFrom: m@evil.example\r\nFrom: "), 1)
		},
	} {
		tampered := tamper(bytes.Clone(signed))
		if bytes.Equal(tampered, signed) {
			t.Fatalf("tampering with the %s changed nothing", name)
		}
		vs, err := verifyRaw(tampered, z)
		if err == nil && len(vs) == 1 && vs[0].Err == nil {
			t.Errorf("a tampered %s verifies", name)
		}
	}
}

func testSenderKeyDoesNotOpen(t *testing.T, e *env) {
	e.brand(t, "ten_a", "brand_a")
	e.brand(t, "ten_a", "brand_b")
	sk := mailtest.Start(t)
	s := e.settings(t, SettingsOptions{Egress: loopbackEgress()})
	if _, err := put(t, e, s, "ten_a", RelayInput{Host: sk.Host, Port: sk.Port, TLS: NoTLS, From: "Acme <no-reply@acme.example>"}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	b := NewBrandSenders(s, BrandSendersOptions{Resolver: &zone{}, Logger: slogTo(&logs)})
	for _, id := range []string{"brand_a", "brand_b"} {
		if _, err := putSender(t, e, b, id, BrandSenderInput{Address: id + "@" + strings.ReplaceAll(id, "_", "") + ".example"}); err != nil {
			t.Fatal(err)
		}
	}
	// brand_b's sealed key copied to brand_a does not open: it is bound
	// to its own brand and selector.
	var sealed []byte
	if _, err := inTx(t, e, func(ctx context.Context, tx store.Tx) (int64, error) {
		if err := tx.QueryRow(ctx, `SELECT private_sealed FROM brand_senders WHERE brand_id = ?`, "brand_b").Scan(&sealed); err != nil {
			return 0, err
		}
		return tx.Exec(ctx, `UPDATE brand_senders SET private_sealed = ? WHERE brand_id = ?`, sealed, "brand_a")
	}); err != nil {
		t.Fatal(err)
	}
	r := NewRouter(s, loopbackEgress(), RouterOptions{Timeout: 10 * time.Second, Senders: b})
	m := message()
	m.From = "brand_a@branda.example"
	id := e.enqueue(t, e.ob, m)
	if sent, failed, err := e.ob.Deliver(context.Background(), r, 10); err != nil || sent != 0 || failed != 1 {
		t.Fatalf("Deliver = %d, %d, %v; want 1 failed", sent, failed, err)
	}
	en := e.lookup(t, id)
	if en.Status != Pending || en.Attempts != 1 || en.LastError != "the DKIM key of the sender's domain does not open" {
		t.Fatalf("entry %+v; want pending, retried", en)
	}
	if len(sk.Messages()) != 0 {
		t.Fatal("an unsigned message went out")
	}
	if !strings.Contains(logs.String(), "dkim key does not open") || strings.Contains(logs.String(), fmt.Sprintf("%x", sealed[:16])) ||
		strings.Contains(logs.String(), "PRIVATE") {
		t.Fatalf("log: %s", logs.String())
	}
}

func slogTo(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }
