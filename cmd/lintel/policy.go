package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lintel-id/lintel/server/mgmt"
)

// Exit codes of `lintel policy test`.
const (
	exitTestsFailed = 1 // a test did not get what it expects
	exitUsage       = 2 // bad command line or test file
	exitUnreachable = 3 // the server could not be asked, or answered other than 200
)

func (e *env) policyCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Check the access policies of a running Lintel",
	}
	cmd.AddCommand(e.policyTestCommand())
	return cmd
}

func (e *env) policyTestCommand() *cobra.Command {
	var baseURL, token string
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "test FILE",
		Short: "Run a file of token-request assertions against a running Lintel",
		Long: `Run the tests of FILE (YAML, see docs/policy-test.md) through the token
preview of a running Lintel: for each token request (client, grant, scopes,
user, IP) whether it is granted or denied, by which rule, with which scopes
and claims. Nothing is issued.

It prints one line per test and a summary. Exit status: 0 when every test
passes, 1 when one fails, 2 for a bad command line or file, 3 when the server
cannot be reached or answers other than 200.

The token needs scope authservers:read, and users:read for tests that name
a user. It is never printed.`,
		Example: `  LINTEL_URL=https://login.example.com LINTEL_TOKEN=lmgt_… lintel policy test policies.yaml`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return exitError{exitUsage, fmt.Errorf("policy test: want one FILE, got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := readPolicyFile(args[0])
			if err != nil {
				return exitError{exitUsage, err}
			}
			c, err := e.newPreviewClient(cmd, baseURL, token, timeout)
			if err != nil {
				return exitError{exitUsage, fmt.Errorf("policy test: %w", err)}
			}
			return e.runPolicyTests(cmd.Context(), c, f)
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return exitError{exitUsage, err} })
	fl := cmd.Flags()
	fl.StringVar(&baseURL, "url", "", "the Lintel instance's base URL, e.g. https://login.example.com (env LINTEL_URL)")
	fl.StringVar(&token, "token", "", "a management token (lmgt_…) or management access token; prefer the environment variable (env LINTEL_TOKEN)")
	fl.DurationVar(&timeout, "timeout", 30*time.Second, "how long to wait for each answer (flag only)")
	return cmd
}

// readPolicyFile reads and checks a test file; "-" is standard input.
func readPolicyFile(name string) (policyFile, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(os.Stdin)
		name = "standard input"
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return policyFile{}, fmt.Errorf("%w: %w", errBadPolicyFile, err)
	}
	return parsePolicyFile(name, data)
}

// runPolicyTests runs every test in order and prints its outcome.
func (e *env) runPolicyTests(ctx context.Context, c *previewClient, f policyFile) error {
	failed := 0
	for i, t := range f.Tests {
		got, err := c.preview(ctx, f.Tenant, f.Server, t)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return exitError{exitUnreachable, fmt.Errorf("policy test: test %q (%d of %d): %w", t.Name, i+1, len(f.Tests), err)}
		}
		diffs := t.compare(got)
		if len(diffs) == 0 {
			fmt.Fprintf(e.stdout, "ok   %s\n", t.Name)
			continue
		}
		failed++
		fmt.Fprintf(e.stdout, "FAIL %s: %s\n", t.Name, strings.Join(diffs, "; "))
		report(e.stdout, got)
	}
	fmt.Fprintf(e.stdout, "%d passed, %d failed\n", len(f.Tests)-failed, failed)
	if failed > 0 {
		return exitError{exitTestsFailed, fmt.Errorf("policy test: %d of %d tests failed", failed, len(f.Tests))}
	}
	return nil
}

// previewClient asks a Lintel instance's management API for token
// previews.
type previewClient struct {
	base  string // scheme://host[/path], without a trailing slash
	token string
	http  *http.Client
}

// newPreviewClient makes a client from the flags, or LINTEL_URL and
// LINTEL_TOKEN when a flag is not set.
func (e *env) newPreviewClient(cmd *cobra.Command, baseURL, token string, timeout time.Duration) (*previewClient, error) {
	if !cmd.Flags().Changed("url") {
		baseURL = e.getenv("LINTEL_URL")
	}
	if !cmd.Flags().Changed("token") {
		token = e.getenv("LINTEL_TOKEN")
	}
	u, err := url.Parse(baseURL)
	switch {
	case baseURL == "":
		return nil, errors.New("--url or LINTEL_URL is required: the instance's base URL")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return nil, fmt.Errorf("--url %q: want http(s)://host[:port][/path]", baseURL)
	case u.User != nil:
		return nil, errors.New("--url: leave credentials out of the URL; use --token or LINTEL_TOKEN")
	case u.RawQuery != "" || u.Fragment != "":
		return nil, errors.New("--url: want the base URL, without a query or fragment")
	case token == "":
		return nil, errors.New("--token or LINTEL_TOKEN is required: a management token")
	case strings.ContainsAny(token, " \t\r\n"):
		return nil, errors.New("--token: a token has no spaces or line breaks")
	case timeout <= 0:
		return nil, errors.New("--timeout: must be positive")
	}
	return &previewClient{
		base:  strings.TrimRight(u.String(), "/"),
		token: token,
		http: &http.Client{
			Timeout: timeout,
			// A redirect would send the token elsewhere; report it instead.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// getenv returns the value of a variable of the command's environment.
func (e *env) getenv(name string) string {
	for _, kv := range e.environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// previewRequest is the body of the token preview route.
type previewRequest struct {
	ClientID  string   `json:"client_id"`
	GrantType string   `json:"grant_type"`
	Scopes    []string `json:"scopes,omitempty"`
	UserID    string   `json:"user_id,omitempty"`
	IP        string   `json:"ip,omitempty"`
}

// maxPreviewBytes bounds an answer: tokens are at most 64 KiB of claims.
const maxPreviewBytes = 4 << 20

// preview asks what test t's token request would get. Any answer other
// than 200 is an error saying what came back.
func (c *previewClient) preview(ctx context.Context, tenantRef, server string, t policyCase) (mgmt.PreviewView, error) {
	body, err := json.Marshal(previewRequest{ClientID: t.Client, GrantType: t.Grant, Scopes: t.Scopes, UserID: t.User, IP: t.IP})
	if err != nil {
		return mgmt.PreviewView{}, err
	}
	u := c.base + mgmt.Prefix + "/tenants/" + url.PathEscape(tenantRef) + "/authorization-servers/" + url.PathEscape(server) + "/preview"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return mgmt.PreviewView{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return mgmt.PreviewView{}, fmt.Errorf("cannot reach %s: %w", c.base, unwrapURLError(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxPreviewBytes+1))
	if err != nil {
		return mgmt.PreviewView{}, fmt.Errorf("reading the answer of POST %s: %w", u, unwrapURLError(err))
	}
	if resp.StatusCode != http.StatusOK {
		return mgmt.PreviewView{}, fmt.Errorf("POST %s answered %s%s", u, resp.Status, answerDetail(resp, data))
	}
	if len(data) > maxPreviewBytes {
		return mgmt.PreviewView{}, fmt.Errorf("POST %s answered more than %d bytes", u, maxPreviewBytes)
	}
	var v mgmt.PreviewView
	if err := json.Unmarshal(data, &v); err != nil {
		return mgmt.PreviewView{}, fmt.Errorf("POST %s answered 200 but not a token preview: %w", u, err)
	}
	return v, nil
}

// answerDetail says what a refusal or an unexpected answer is about: the
// problem's detail, where a redirect leads, or a hint.
func answerDetail(resp *http.Response, body []byte) string {
	var p struct {
		Detail string `json:"detail"`
		Errors []struct {
			Message  string `json:"message"`
			Location string `json:"location"`
		} `json:"errors"`
	}
	var parts []string
	if json.Unmarshal(body, &p) == nil && p.Detail != "" {
		parts = append(parts, p.Detail)
		for _, e := range p.Errors {
			parts = append(parts, strings.TrimSpace(e.Location+" "+e.Message))
		}
	}
	switch {
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		parts = append(parts, fmt.Sprintf("redirect to %q: is --url the instance's base URL?", resp.Header.Get("Location")))
	case resp.StatusCode == http.StatusUnauthorized:
		parts = append(parts, "check the token: unknown, expired or revoked")
	case resp.StatusCode == http.StatusNotFound:
		parts = append(parts, "is --url the instance's base URL, and do the tenant and server exist?")
	}
	if len(parts) == 0 {
		return ""
	}
	return ": " + strings.Join(parts, "; ")
}

// unwrapURLError drops the *url.Error wrapper, whose text repeats the
// method and URL already named.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("no answer in time (--timeout): %w", ue.Err)
		}
		return ue.Err
	}
	return err
}
