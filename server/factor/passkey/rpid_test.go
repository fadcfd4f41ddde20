package passkey_test

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
	"github.com/lintel-id/lintel/server/factor/passkey"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept):\n got %s\nwant %s", name, got, want)
	}
}

func TestRPID(t *testing.T) {
	const public = "id.example.com"
	for _, tc := range []struct {
		name, host, public, want string
		wantInvalid              bool
	}{
		{name: "uses the registrable domain of a customer's host", host: "login.acme.com", public: public, want: "acme.com"},
		{name: "uses the registrable domain under a two-label suffix", host: "login.acme.co.uk", public: public, want: "acme.co.uk"},
		{name: "uses the apex itself", host: "acme.com", public: public, want: "acme.com"},
		{name: "lowercases and strips a port and a trailing dot", host: "Login.ACME.com.:8443", public: public, want: "acme.com"},
		{name: "keeps the full host under the public domain", host: "acme.id.example.com", public: public, want: "acme.id.example.com"},
		{name: "keeps the full host deep under the public domain", host: "eu.acme.id.example.com", public: public, want: "eu.acme.id.example.com"},
		{name: "keeps the public domain itself", host: "id.example.com:443", public: "ID.example.com.", want: "id.example.com"},
		{name: "does not treat a sibling of the public domain as under it", host: "xid.example.com", public: public, want: "example.com"},
		{name: "treats a private public suffix as a suffix", host: "acme.github.io", public: public, want: "acme.github.io"},
		{name: "works without a public domain", host: "login.acme.com", want: "acme.com"},
		{name: "keeps localhost", host: "localhost:8080", public: public, want: "localhost"},
		{name: "refuses an IPv4 literal", host: "127.0.0.1", public: public},
		{name: "refuses an IPv4 literal with a port", host: "127.0.0.1:8080", public: public},
		{name: "refuses a bracketed IPv6 literal", host: "[::1]:8080", public: public},
		{name: "refuses a bare IPv6 literal", host: "::1", public: public},
		{name: "refuses a public suffix", host: "co.uk", public: public},
		{name: "refuses a private public suffix", host: "github.io", public: public},
		{name: "refuses a top-level domain", host: "com", public: public, wantInvalid: true},
		{name: "refuses an empty host", host: "", public: public, wantInvalid: true},
		{name: "refuses a host with a space", host: "login acme.com", public: public, wantInvalid: true},
		{name: "refuses an empty label", host: "login..acme.com", public: public, wantInvalid: true},
		{name: "refuses a non-ASCII host", host: "login.bücher.de", public: public, wantInvalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := passkey.RPID(tc.host, tc.public)
			if tc.want == "" {
				if !errors.Is(err, passkey.ErrNoRPID) || got != "" {
					t.Fatalf("RPID(%q) = %q, %v; want ErrNoRPID", tc.host, got, err)
				}
				if invalid.Is(err) != tc.wantInvalid {
					t.Errorf("RPID(%q): %v: invalid.Is = %t, want %t", tc.host, err, !tc.wantInvalid, tc.wantInvalid)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("RPID(%q, %q) = %q, %v; want %q", tc.host, tc.public, got, err, tc.want)
			}
		})
	}
}

func TestRelatedOriginsGolden(t *testing.T) {
	// Unsorted, with duplicates once normalized, the RP ID's own origins
	// (which need no listing), a default port, and five labels in all:
	// acme (acme.com, acme.co.uk, acme.de), acmeshop, acme-fr, localhost,
	// acmecorp.
	doc, err := passkey.RelatedOrigins("acme.com", []string{
		"https://acme.de",
		"https://ACME.co.uk",
		"https://login.acme.com",
		"https://acme.co.uk:443",
		"https://acmeshop.com",
		"https://www.acme-fr.fr:8443",
		"http://localhost:8080",
		"https://shop.acmecorp.io",
		"https://acme.de",
	})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "related-origins.golden", doc)
	// Same input, same bytes, whatever the order.
	again, err := passkey.RelatedOrigins("acme.com", []string{
		"https://acme.de", "http://localhost:8080", "https://shop.acmecorp.io", "https://www.acme-fr.fr:8443",
		"https://acmeshop.com", "https://login.acme.com", "https://acme.co.uk",
	})
	if err != nil || !bytes.Equal(again, doc) {
		t.Errorf("reordered input gave %s, %v", again, err)
	}
}

func TestRelatedOriginsRefuses(t *testing.T) {
	six := []string{"https://a.com", "https://b.com", "https://c.com", "https://d.com", "https://e.com", "https://f.com"}
	for _, tc := range []struct {
		name    string
		rpID    string
		origins []string
		field   string
	}{
		{"an http origin", "acme.com", []string{"http://acme.de"}, "origins[0]"},
		{"another scheme", "acme.com", []string{"https://acme.de", "ftp://acme.de"}, "origins[1]"},
		{"an origin with a path", "acme.com", []string{"https://acme.de/login"}, "origins[0]"},
		{"an origin with a trailing slash", "acme.com", []string{"https://acme.de/"}, "origins[0]"},
		{"an origin with a query", "acme.com", []string{"https://acme.de?x=1"}, "origins[0]"},
		{"an origin with an empty fragment", "acme.com", []string{"https://acme.de#"}, "origins[0]"},
		{"an origin with userinfo", "acme.com", []string{"https://ana@acme.de"}, "origins[0]"},
		{"an IP origin", "acme.com", []string{"https://192.0.2.1"}, "origins[0]"},
		{"a port out of range", "acme.com", []string{"https://acme.de:70000"}, "origins[0]"},
		{"a port with a leading zero", "acme.com", []string{"https://acme.de:0443"}, "origins[0]"},
		{"a host that is not a DNS name", "acme.com", []string{"https://acme"}, "origins[0]"},
		{"no origins", "acme.com", nil, "origins"},
		{"an RP ID that is an IP", "127.0.0.1", []string{"https://acme.de"}, "rp_id"},
		{"an uppercase RP ID", "ACME.com", []string{"https://acme.de"}, "rp_id"},
		{"more labels than browsers honour", "a.com", six, "origins"},
	} {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			doc, err := passkey.RelatedOrigins(tc.rpID, tc.origins)
			var fields []string
			for _, e := range invalid.All(err) {
				fields = append(fields, e.Field)
			}
			if doc != nil || !slices.Contains(fields, tc.field) {
				t.Errorf("RelatedOrigins = %s, %v; want an error naming %q", doc, err, tc.field)
			}
		})
	}
}

func TestRelatedOriginsCountsLabelsNotDomains(t *testing.T) {
	// Ten registrable domains but five labels: within what browsers honour.
	origins := []string{
		"https://a.com", "https://a.de", "https://b.com", "https://b.fr", "https://c.com",
		"https://c.co.uk", "https://d.com", "https://d.com.au", "https://e.com", "https://e.io",
	}
	doc, err := passkey.RelatedOrigins("a.com", origins)
	if err != nil {
		t.Fatalf("RelatedOrigins: %v", err)
	}
	if n := bytes.Count(doc, []byte("https://")); n != len(origins) {
		t.Errorf("document lists %d origins, want %d:\n%s", n, len(origins), doc)
	}
}

func TestAddRelated(t *testing.T) {
	own := []string{"https://login.acme.com", "https://login.acme.co.uk"}
	got := passkey.AddRelated(own, "https://shop.acme.com", "HTTPS://B.COM:443", "https://b.com", "http://c.com", "https://10.0.0.1",
		"https://c.com", "https://d.com", "https://e.com", "https://shop.c.com", "http://localhost:3000")
	want := []string{"https://login.acme.com", "https://login.acme.co.uk", "https://shop.acme.com", "https://b.com", "https://c.com",
		"https://d.com", "https://e.com", "https://shop.c.com"}
	if !slices.Equal(got, want) {
		t.Fatalf("AddRelated = %q\nwant %q", got, want)
	}
	if _, err := passkey.RelatedOrigins("acme.com", got); err != nil {
		t.Fatalf("the result is not a valid document: %v", err)
	}
}
