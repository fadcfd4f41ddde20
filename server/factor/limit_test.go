package factor

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
)

// gate is a key derivation that blocks until released, recording how
// many run at once. It returns a fixed key, so no argon2 runs.
type gate struct {
	entered, waited chan struct{}
	release         chan struct{}
	now, max        atomic.Int64
	calls           atomic.Int64
}

func newGate(p *Passwords, n int) *gate {
	g := &gate{entered: make(chan struct{}, n), waited: make(chan struct{}, n), release: make(chan struct{})}
	p.kdf = func(_, _ []byte, a argonParams) []byte {
		g.calls.Add(1)
		cur := g.now.Add(1)
		for {
			m := g.max.Load()
			if cur <= m || g.max.CompareAndSwap(m, cur) {
				break
			}
		}
		g.entered <- struct{}{}
		<-g.release
		g.now.Add(-1)
		return make([]byte, a.keyLen)
	}
	p.onWait = func() { g.waited <- struct{}{} }
	return g
}

func TestSemaphoreBoundsConcurrency(t *testing.T) {
	const limit, callers = 3, 10
	p := NewPasswords(limit)
	g := newGate(p, callers)
	h := mustHash(t, NewPasswords(1), "pw")
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			switch i % 3 {
			case 0:
				_, _ = p.Hash(context.Background(), "pw")
			case 1:
				_, _ = p.Verify(context.Background(), h, "pw")
			default:
				p.VerifyDummy(context.Background(), "pw")
			}
		})
	}
	// Every caller either holds a slot (and blocks in the gate) or waits
	// for one: exactly limit hold one while the others wait.
	var entered, waited int
	for entered+waited < callers || entered < limit {
		select {
		case <-g.entered:
			entered++
		case <-g.waited:
			waited++
		}
	}
	if entered != limit || g.now.Load() != limit {
		t.Fatalf("%d hashes running at once, want %d", g.now.Load(), limit)
	}
	close(g.release)
	wg.Wait()
	if g.max.Load() != limit || g.calls.Load() != callers {
		t.Fatalf("at most %d of %d hashes ran at once, want %d of %d", g.max.Load(), g.calls.Load(), limit, callers)
	}
}

func TestWaitingRespectsContext(t *testing.T) {
	h := mustHash(t, NewPasswords(1), "pw")
	for _, tc := range []struct {
		name string
		call func(ctx context.Context, p *Passwords) error
	}{
		{"Hash returns ctx.Err() when cancelled while waiting", func(ctx context.Context, p *Passwords) error {
			_, err := p.Hash(ctx, "pw")
			return err
		}},
		{"Verify returns ctx.Err() when cancelled while waiting", func(ctx context.Context, p *Passwords) error {
			ok, err := p.Verify(ctx, h, "pw")
			if ok {
				return errors.New("verified while cancelled")
			}
			return err
		}},
		{"VerifyDummy returns when cancelled while waiting", func(ctx context.Context, p *Passwords) error {
			p.VerifyDummy(ctx, "pw")
			return ctx.Err()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := NewPasswords(1)
			g := newGate(p, 2)
			busy := make(chan struct{})
			go func() { defer close(busy); _, _ = p.Hash(context.Background(), "pw") }()
			<-g.entered // the only slot is taken
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error)
			go func() { done <- tc.call(ctx, p) }()
			<-g.waited
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v, want context.Canceled", err)
			}
			close(g.release)
			<-busy
			if n := g.calls.Load(); n != 1 {
				t.Fatalf("%d hashes ran, want only the one holding the slot", n)
			}
		})
	}
}

func TestCancelledContextHashesNothing(t *testing.T) {
	p := NewPasswords(1)
	g := newGate(p, 1)
	close(g.release)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := p.Hash(ctx, "pw"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Hash: %v, want context.Canceled", err)
	}
	if n := g.calls.Load(); n != 0 {
		t.Fatalf("%d hashes ran for a cancelled context", n)
	}
}
