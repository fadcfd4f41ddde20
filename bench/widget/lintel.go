package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// lintel is `lintel serve --demo` on a random loopback port with a fresh
// data directory, behind a TLS front in this process that the browser
// reaches as https://login.acme-test.com. The front records every
// response (as served: encoding and bytes) so that the report can size
// what the page fetched before its first paint.
type lintel struct {
	cmd      *exec.Cmd
	front    *httptest.Server
	clientID string
	// client reaches the front as the browser does.
	client *http.Client
	log    *responseLog
}

// startLintel runs the binary and makes, through the management API, the
// shop's app (its redirect URI on the shop) and the shop's trusted origin.
func startLintel(ctx context.Context, bin, tmp string) (*lintel, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("%s: %w (make build makes it)", bin, err)
	}
	cmd := exec.CommandContext(ctx, bin, "serve", "--demo",
		"--addr", "127.0.0.1:0", "--public-url", "https://"+lintelHost,
		"--data-dir", filepath.Join(tmp, "lintel-data"), "--log-format", "json", "--log-level", "warn")
	cmd.Stderr = os.Stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	l := &lintel{cmd: cmd, log: &responseLog{}}
	addr, token, err := readBanner(out)
	if err != nil {
		l.stop()
		return nil, fmt.Errorf("lintel serve: %w", err)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()

	target := &url.URL{Scheme: "http", Host: addr}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
		},
		Transport:      &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 32},
		ModifyResponse: l.log.record,
	}
	if l.front, err = serveTLS(lintelHost, proxy); err != nil {
		l.stop()
		return nil, err
	}
	front := l.front.Listener.Addr().String()
	l.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the front's self-signed certificate
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, front)
		},
	}}
	if err := l.setUp(ctx, token); err != nil {
		l.stop()
		return nil, err
	}
	return l, nil
}

// readBanner reads the first start's output for the listen address and
// the demo admin token (printed once).
func readBanner(out io.Reader) (addr, token string, err error) {
	sc := bufio.NewScanner(out)
	wantToken := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case wantToken:
			token, wantToken = line, false
		case strings.HasPrefix(line, "admin token"):
			wantToken = true
		case strings.HasPrefix(line, "Lintel is listening on http://"):
			rest := strings.TrimPrefix(line, "Lintel is listening on http://")
			addr, _, _ = strings.Cut(rest, ";")
		case strings.HasPrefix(line, "Lintel is running."):
			return "", "", errors.New("unexpected banner: " + line)
		}
		if addr != "" {
			if token == "" {
				return "", "", errors.New("no demo admin token printed (a data directory used before?)")
			}
			return addr, token, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", "", err
	}
	return "", "", errors.New("exited before serving")
}

// setUp creates the shop's app and trusts the shop's origin for it.
func (l *lintel) setUp(ctx context.Context, token string) error {
	var app struct {
		ID string `json:"id"`
	}
	if err := l.mgmt(ctx, token, "/tenants/demo/apps", map[string]any{
		"name": "Bench shop", "type": "web", "redirect_uris": []string{"https://" + lintelShop + "/callback"},
	}, &app); err != nil {
		return fmt.Errorf("create the shop's app: %w", err)
	}
	l.clientID = app.ID
	if err := l.mgmt(ctx, token, "/tenants/demo/trusted-origins", map[string]any{
		"name": "Bench shop", "origin": "https://" + lintelShop, "app_ids": []string{app.ID},
	}, nil); err != nil {
		return fmt.Errorf("trust the shop's origin: %w", err)
	}
	return nil
}

func (l *lintel) mgmt(ctx context.Context, token, path string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+lintelHost+"/api/v1/mgmt"+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := l.client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("POST %s: %s: %s", path, res.Status, body)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

// servable reports why the widget cannot be measured, or "" when its
// loader is served.
func (l *lintel) servable(ctx context.Context) string {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+lintelHost+"/widget/lintel.js", nil)
	if err != nil {
		return err.Error()
	}
	res, err := l.client.Do(req)
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != http.StatusOK {
		return "GET /widget/lintel.js answered " + res.Status
	}
	return ""
}

func (l *lintel) stop() {
	if l.front != nil {
		l.front.Close()
	}
	if l.cmd.Process != nil {
		_ = l.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = l.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = l.cmd.Process.Kill()
			<-done
		}
	}
}

// served is one response as Lintel sent it.
type served struct {
	method, url string
	status      int
	ctype       string
	encoding    string
	body        []byte // as sent, still encoded
}

// responseLog keeps the responses the front relays, while on.
type responseLog struct {
	mu   sync.Mutex
	on   bool
	seen []served
}

// record is the proxy's ModifyResponse: it lets the browser time
// Lintel's cross-origin responses (Timing-Allow-Origin) and, while on,
// keeps a copy of each body as sent.
func (l *responseLog) record(res *http.Response) error {
	res.Header.Set("Timing-Allow-Origin", "*")
	l.mu.Lock()
	on := l.on
	l.mu.Unlock()
	if !on {
		return nil
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return err
	}
	res.Body = io.NopCloser(bytes.NewReader(body))
	l.mu.Lock()
	l.seen = append(l.seen, served{
		method: res.Request.Method, url: "https://" + res.Request.Host + res.Request.URL.RequestURI(), status: res.StatusCode,
		ctype: res.Header.Get("Content-Type"), encoding: res.Header.Get("Content-Encoding"), body: body,
	})
	l.mu.Unlock()
	return nil
}

// capture turns recording on with an empty log.
func (l *responseLog) capture() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on, l.seen = true, nil
}

// stop turns recording off and returns what was kept.
func (l *responseLog) stop() []served {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.seen
}
