package tenant

import (
	"net/url"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/invalid"
)

var appTypes = []AppType{AppWeb, AppSPA, AppNative, AppService}

func FuzzRedirectURI(f *testing.F) {
	for _, s := range []string{
		"https://app.example.com/callback", "http://127.0.0.1:51234/cb", "http://[::1]/cb", "http://localhost:8080/x?y=1",
		"com.example.app:/callback", "com.example.app://cb", "https://*.example.com/", "https://a/#f", "https://u@a/",
		"http://example.com/", "myapp:/cb", "HTTPS://a/", `https://a\@b/`, "https://[::1%25eth0]/", "https://a:0/", "/rel",
	} {
		for i := range appTypes {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, raw string, kind uint8) {
		typ := appTypes[int(kind)%len(appTypes)]
		err := checkRedirectURI("redirect_uris[0]", raw, typ)
		if err != nil {
			if errs := invalid.All(err); len(errs) != 1 || errs[0].Field != "redirect_uris[0]" {
				t.Fatalf("%q refused with %v, want one field error", raw, err)
			}
			return
		}
		if again := checkRedirectURI("redirect_uris[0]", raw, typ); again != nil {
			t.Fatalf("%q accepted, then refused: %v", raw, again)
		}
		u, perr := url.Parse(raw)
		switch {
		case perr != nil:
			t.Fatalf("accepted %q that does not parse: %v", raw, perr)
		case strings.ContainsAny(raw, "*# \\"), u.User != nil, u.Fragment != "":
			t.Fatalf("accepted %q with a wildcard, fragment, space, backslash or userinfo", raw)
		case u.Scheme == "https":
		case u.Scheme == "http":
			if !isLoopback(u.Hostname()) {
				t.Fatalf("accepted http on %q", u.Hostname())
			}
		case typ != AppNative || !strings.Contains(u.Scheme, "."):
			t.Fatalf("accepted custom scheme %q for a %s app", u.Scheme, typ)
		}
	})
}

func FuzzOrigin(f *testing.F) {
	for _, s := range []string{
		"https://example.com", "HTTPS://Example.COM:443", "http://localhost:8080", "http://[::1]:80", "https://[2001:DB8::1]",
		"https://example.com/", "https://*.example.com", "http://example.com", "https://example.com:", "null", "https://a:08443",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		norm, err := normalizeOrigin("origin", raw)
		if err != nil {
			if errs := invalid.All(err); len(errs) != 1 || errs[0].Field != "origin" {
				t.Fatalf("%q refused with %v, want one field error", raw, err)
			}
			return
		}
		again, err := normalizeOrigin("origin", norm)
		if err != nil || again != norm {
			t.Fatalf("%q normalized to %q, which normalizes to %q, %v", raw, norm, again, err)
		}
		u, err := url.Parse(norm)
		switch {
		case err != nil:
			t.Fatalf("normal form %q does not parse: %v", norm, err)
		case norm != strings.ToLower(norm):
			t.Fatalf("normal form %q is not lowercase", norm)
		case u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "":
			t.Fatalf("normal form %q has more than scheme, host and port", norm)
		case u.Scheme == "https":
		case u.Scheme == "http" && isLoopback(u.Hostname()):
		default:
			t.Fatalf("accepted %q", norm)
		}
		if p := u.Port(); p == "443" && u.Scheme == "https" || p == "80" && u.Scheme == "http" || strings.HasPrefix(p, "0") {
			t.Fatalf("normal form %q keeps a default or padded port", norm)
		}
	})
}
