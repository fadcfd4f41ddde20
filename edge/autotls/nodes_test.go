package autotls_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/caddyserver/certmagic"

	"github.com/lintel-id/lintel/edge/autotls"
	"github.com/lintel-id/lintel/internal/clock"
)

// nodeEnv, when set, makes the test binary run as a second Lintel node
// (see runNode) instead of running tests. A separate process shares
// nothing with the first but Storage: certmagic's process-wide challenge
// memory and issuance coalescing cannot stand in for the cluster.
const nodeEnv = "AUTOTLS_TEST_NODE"

func TestMain(m *testing.M) {
	if spec := os.Getenv(nodeEnv); spec != "" {
		os.Exit(runNode(spec))
	}
	os.Exit(m.Run())
}

// nodeSpec configures a node process. Its HTTP and TLS listeners are
// inherited as file descriptors 3 and 4.
type nodeSpec struct {
	StorageDir        string
	Directory         string
	ServerRootsPEM    []byte
	ListenHost        string
	HTTPPort, TLSPort int
	DisableTLSALPN    bool
	Allowed           []string
}

// runNode serves a Manager for the spec in $AUTOTLS_TEST_NODE until its
// standard input closes. It writes "ready" on standard output once
// serving, then "obtained HOST" and "failed HOST" as Domains hears them.
func runNode(specJSON string) int {
	var spec nodeSpec
	if err := json.Unmarshal([]byte(specJSON), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "node: spec:", err)
		return 2
	}
	out := &lineWriter{w: os.Stdout}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(spec.ServerRootsPEM)
	m, err := autotls.New(autotls.Config{
		Storage:        &certmagic.FileStorage{Path: spec.StorageDir},
		Domains:        &reportingDomains{allowed: spec.Allowed, out: out},
		Logger:         slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Clock:          clock.System(),
		Directory:      spec.Directory,
		TrustedRoots:   roots,
		Email:          "ops@lintel.test",
		ListenHost:     spec.ListenHost,
		HTTPPort:       spec.HTTPPort,
		TLSPort:        spec.TLSPort,
		DisableTLSALPN: spec.DisableTLSALPN,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "node:", err)
		return 2
	}
	defer m.Close()
	httpLn, err := net.FileListener(os.NewFile(3, "http"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "node: http listener:", err)
		return 2
	}
	tlsLn, err := net.FileListener(os.NewFile(4, "tls"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "node: tls listener:", err)
		return 2
	}
	quiet := log.New(io.Discard, "", 0)
	cfg := m.TLSConfig()
	https := &http.Server{Handler: http.NotFoundHandler(), TLSConfig: cfg, ErrorLog: quiet}
	plain := &http.Server{Handler: m.HTTPHandler(nil), ErrorLog: quiet}
	go https.Serve(tls.NewListener(tlsLn, cfg))
	go plain.Serve(httpLn)
	out.line("ready")
	_, _ = io.Copy(io.Discard, os.Stdin) // until the test closes it
	https.Close()
	plain.Close()
	return 0
}

// reportingDomains allows a fixed list and reports the rest on out.
type reportingDomains struct {
	allowed []string
	out     *lineWriter
}

func (d *reportingDomains) Allowed(_ context.Context, host string) error {
	for _, h := range d.allowed {
		if h == host {
			return nil
		}
	}
	return errNotCustomer
}

func (d *reportingDomains) Obtained(_ context.Context, host string) error {
	d.out.line("obtained " + host)
	return nil
}

func (d *reportingDomains) Failed(_ context.Context, host string, _ error) error {
	d.out.line("failed " + host)
	return nil
}

type lineWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lineWriter) line(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintln(l.w, s)
}

// otherNode is a node process started by startNode.
type otherNode struct {
	mu    sync.Mutex
	lines []string
}

// reported is how many times the node wrote line.
func (o *otherNode) reported(line string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	n := 0
	for _, l := range o.lines {
		if l == line {
			n++
		}
	}
	return n
}

// startNode runs spec in a new process of this test binary, on the node
// listeners w holds for spec.ListenHost (which this process stops
// serving), until t ends.
func startNode(t *testing.T, w *world, spec nodeSpec) *otherNode {
	t.Helper()
	specJSON, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	var files []*os.File
	for _, ln := range []net.Listener{w.httpLns[spec.ListenHost], w.tlsLns[spec.ListenHost]} {
		f, err := ln.(*net.TCPListener).File()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
		ln.Close() // the child's copy keeps the socket
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), nodeEnv+"="+string(specJSON))
	cmd.ExtraFiles = files
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		f.Close()
	}

	o := &otherNode{}
	ready := make(chan struct{})
	scanned := make(chan struct{})
	go func() {
		defer close(scanned)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "ready" {
				close(ready)
				continue
			}
			o.mu.Lock()
			o.lines = append(o.lines, sc.Text())
			o.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		<-scanned
		if err := cmd.Wait(); err != nil {
			t.Errorf("node %s: %v", spec.ListenHost, err)
		}
		if t.Failed() || testing.Verbose() {
			t.Logf("node %s log:\n%s", spec.ListenHost, stderr.String())
		}
	})
	select {
	case <-ready:
	case <-scanned:
		t.Fatalf("node %s exited before serving:\n%s", spec.ListenHost, strings.TrimSpace(stderr.String()))
	}
	return o
}

func TestTwoNodesShareOneCertificate(t *testing.T) {
	const a, b = "127.0.0.2", "127.0.0.3"
	tests := []struct {
		name     string
		change   func(*autotls.Config)
		together bool // handshakes at both nodes at once; otherwise at A, then B
	}{
		{"http-01 answered by the node that did not order", func(c *autotls.Config) { c.DisableTLSALPN = true }, false},
		{"tls-alpn-01 answered by the node that did not order", func(c *autotls.Config) { c.HTTPPort = 0 }, false},
		{"handshakes at both nodes at once", func(*autotls.Config) {}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const name = "login.acme.test"
			w := newWorld(t, a, b)
			// The CA validates at B: only B's listeners answer for name.
			w.point(name, b)
			d := newFakeDomains(name)
			cfg, _ := w.config(t, d, a)
			tc.change(&cfg)
			dir := cfg.Storage.(*certmagic.FileStorage).Path
			serve(t, newManager(t, cfg), w.httpLns[a], w.tlsLns[a])
			other := startNode(t, w, nodeSpec{
				StorageDir:     dir,
				Directory:      w.ca.DirectoryURL(),
				ServerRootsPEM: w.ca.ServerRootsPEM(),
				ListenHost:     b,
				HTTPPort:       cfg.HTTPPort,
				TLSPort:        cfg.TLSPort,
				DisableTLSALPN: cfg.DisableTLSALPN,
				Allowed:        []string{name},
			})

			leaves := make([]*x509.Certificate, 2)
			errs := make([]error, 2)
			if tc.together {
				var wg sync.WaitGroup
				for i, ip := range []string{a, b} {
					wg.Go(func() { leaves[i], errs[i] = w.leaf(ip, name) })
				}
				wg.Wait()
			} else {
				leaves[0], errs[0] = w.leaf(a, name)
				leaves[1], errs[1] = w.leaf(b, name)
			}
			for i, ip := range []string{a, b} {
				if errs[i] != nil {
					t.Fatalf("handshake at %s: %v", ip, errs[i])
				}
			}
			if leaves[0].SerialNumber.Cmp(leaves[1].SerialNumber) != 0 {
				t.Errorf("nodes serve different certificates: %x and %x", leaves[0].SerialNumber, leaves[1].SerialNumber)
			}
			if got := w.ca.Orders(name); got != 1 {
				t.Errorf("CA saw %d orders, want 1", got)
			}
			obtainedA, obtainedB := d.timesObtained(name), other.reported("obtained "+name)
			if obtainedA+obtainedB != 1 {
				t.Errorf("Obtained called %d times at A and %d at B, want once in all", obtainedA, obtainedB)
			}
			if !tc.together && obtainedA != 1 {
				t.Errorf("A placed the order but Obtained was called %d times there", obtainedA)
			}
		})
	}
}
