package clientip_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/lintel-id/lintel/internal/clientip"
)

func ExampleProxies() {
	// The operator's load balancers send from 10.0.0.0/8.
	proxies, err := clientip.ParseProxies([]string{"10.0.0.0/8"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := httptest.NewRequest("GET", "/", nil)
	// The client wrote the first address itself; the load balancer
	// appended the address it saw, then another proxy appended its own.
	r.Header.Set("X-Forwarded-For", "203.0.113.1, 198.51.100.7, 10.0.0.2")

	r.RemoteAddr = "10.0.0.1:41234" // the load balancer
	fmt.Println(proxies.OfRequest(r))
	r.RemoteAddr = "198.51.100.9:5555" // a client connecting directly
	fmt.Println(proxies.OfRequest(r))
	// Output:
	// 198.51.100.7
	// 198.51.100.9
}
