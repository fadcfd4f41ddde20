package egress_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"

	"github.com/lintel-id/lintel/internal/egress"
)

// New builds the one Dialer a server uses for outbound calls; its Client
// refuses internal destinations unless the allowlist names them, as tests
// do for loopback.
func ExampleNew() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `{"keys":[]}`)
	}))
	defer srv.Close()

	// Production: no allowlist, so the loopback test server is refused.
	_, err := egress.New(egress.Options{}).Client().Get(srv.URL)
	fmt.Println("refused:", errors.Is(err, egress.ErrForbidden))

	// Tests: allow loopback.
	d := egress.New(egress.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	resp, err := d.Client().Get(srv.URL)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output:
	// refused: true
	// {"keys":[]}
}

// CheckURL gives a tenant an early, clear answer when a URL it registers
// cannot be called; the check at dial time still applies on every call.
func ExampleDialer_CheckURL() {
	d := egress.New(egress.Options{})
	for _, u := range []string{
		"https://93.184.216.34/jwks",
		"https://10.0.0.1/jwks",
		"http://93.184.216.34/jwks",
	} {
		err := d.CheckURL(context.Background(), u)
		fmt.Println(u, errors.Is(err, egress.ErrForbidden))
	}
	// Output:
	// https://93.184.216.34/jwks false
	// https://10.0.0.1/jwks true
	// http://93.184.216.34/jwks true
}
