package autotls_test

import (
	"context"
	"net"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/certmagic"
)

// unlockSignal is a FileStorage that reports when one lock is released.
type unlockSignal struct {
	*certmagic.FileStorage
	key      string
	unlocked chan struct{}
}

func (s *unlockSignal) Unlock(ctx context.Context, key string) error {
	err := s.FileStorage.Unlock(ctx, key)
	if key == s.key {
		s.unlocked <- struct{}{}
	}
	return err
}

// On-demand certificates are not renewed by certmagic's maintenance
// cycle (it skips on-demand configs); a handshake that finds its cached
// certificate due starts the renewal, which re-reads Storage under the
// issuance lock. A certificate another node renewed meanwhile is then
// loaded instead of ordered again.
func TestRenewalPicksUpCertificateAnotherNodeRenewed(t *testing.T) {
	const name = "login.acme.test"
	d := newFakeDomains(name)
	renewalAsks := make(chan struct{})
	proceed := make(chan struct{})
	var asked atomic.Int32
	d.onAllowed = func(string) {
		// The first ask is the handshake's, the second the renewal's.
		if asked.Add(1) == 2 {
			close(renewalAsks)
			<-proceed
		}
	}
	cfg, clk := baseConfig(t, d, unreachableCA)
	storage := &unlockSignal{
		FileStorage: cfg.Storage.(*certmagic.FileStorage),
		key:         "issue_cert_" + name, // certmagic's issuance lock
		unlocked:    make(chan struct{}, 1),
	}
	cfg.Storage = storage
	lns, port := listeners(t, "127.0.0.2")
	cfg.ListenHost, cfg.TLSPort, cfg.HTTPPort = "127.0.0.2", port, 0
	m := newManager(t, cfg)
	serve(t, m, nil, lns[0])
	addr := net.JoinHostPort("127.0.0.2", strconv.Itoa(port))

	// 10 of its 90 days left: inside the renewal window (the last 30).
	now := clk.Now()
	oldPEM, oldKey, _ := selfSigned(t, name, now.Add(-80*24*time.Hour), now.Add(10*24*time.Hour))
	storeCert(t, storage, m.IssuerKey(), name, oldPEM, oldKey)
	st, err := handshake(addr, name, nil)
	if err != nil {
		t.Fatalf("first handshake: %v", err)
	}
	if got, want := st.PeerCertificates[0].NotAfter, now.Add(10*24*time.Hour).Truncate(time.Second); !got.Equal(want) {
		t.Fatalf("first handshake served NotAfter %v, want the stored %v", got, want)
	}

	// The handshake started a renewal in the background; meanwhile another
	// node renews the certificate.
	<-renewalAsks
	renewedNotAfter := now.Add(89 * 24 * time.Hour).Truncate(time.Second)
	newPEM, newKey, _ := selfSigned(t, name, now.Add(-time.Hour), renewedNotAfter)
	storeCert(t, storage, m.IssuerKey(), name, newPEM, newKey)
	close(proceed)
	<-storage.unlocked // the renewal read Storage under the lock and let go

	// The reload into memory follows the unlock at once.
	for i := 0; ; i++ {
		st, err := handshake(addr, name, nil)
		if err != nil {
			t.Fatalf("handshake after the renewal: %v", err)
		}
		if st.PeerCertificates[0].NotAfter.Equal(renewedNotAfter) {
			break
		}
		if i == 1000 {
			t.Fatalf("still serving NotAfter %v after %d handshakes", st.PeerCertificates[0].NotAfter, i)
		}
	}
	// Nothing was ordered (the CA is unreachable) and nothing reported.
	if got := d.timesObtained(name); got != 0 {
		t.Errorf("Obtained called %d times", got)
	}
	if got := d.failures(name); len(got) != 0 {
		t.Errorf("Failed called: %v", got)
	}
}
