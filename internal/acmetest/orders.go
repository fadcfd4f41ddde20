package acmetest

import (
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/letsencrypt/pebble/v2/acme"
	"github.com/letsencrypt/pebble/v2/core"
	"github.com/letsencrypt/pebble/v2/db"
)

// newOrderPath is where Pebble's WFE takes new-order requests (unexported in
// package wfe; the directory names it "newOrder").
const newOrderPath = "/order-plz"

// orderBook records every order Pebble creates, across all accounts. Pebble's
// MemoryStore can find an order by ID but cannot list them, so the book sits
// in front of the WFE: when a new-order request is answered 201 Created, the
// Location header names the order that Pebble has just stored, and the book
// keeps a pointer to it. A request Pebble refuses (malformed, bad nonce,
// unknown account) creates no order and is not counted; a client that retries
// after a refusal is counted once.
//
// The book also retires authorizations: before each new order, every valid
// authorization that only finished orders use is deactivated, so that Pebble
// cannot reuse it and the new order must be validated again. PEBBLE_AUTHZREUSE
// is set to 0 as well, which still lets Pebble reuse an authorization one time
// in a hundred: the retirement is what makes revalidation certain.
//
// Its methods are safe for concurrent use.
type orderBook struct {
	store *db.MemoryStore

	mu     sync.Mutex
	orders []*core.Order
}

// wrap puts the book in front of Pebble's WFE handler.
func (b *orderBook) wrap(wfe http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != newOrderPath {
			wfe.ServeHTTP(w, r)
			return
		}
		b.retireAuthorizations()
		wfe.ServeHTTP(&orderRecorder{ResponseWriter: w, book: b}, r)
	})
}

// orderRecorder records the order when Pebble answers 201. It does so in
// WriteHeader, before the client can read the answer, so a test that asks
// the book after its client got the order finds it counted.
type orderRecorder struct {
	http.ResponseWriter
	book    *orderBook
	written bool
}

func (o *orderRecorder) WriteHeader(status int) {
	if !o.written && status == http.StatusCreated {
		if id := path.Base(o.Header().Get("Location")); id != "" {
			o.book.record(id)
		}
	}
	o.written = true
	o.ResponseWriter.WriteHeader(status)
}

func (o *orderRecorder) Write(p []byte) (int, error) {
	o.written = true // an implicit 200: not an order
	return o.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (o *orderRecorder) Unwrap() http.ResponseWriter { return o.ResponseWriter }

// record adds the stored order with this ID to the book.
func (b *orderBook) record(id string) {
	order := b.store.GetOrderByID(id)
	if order == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.orders = append(b.orders, order)
}

// count is how many recorded orders name the identifier name (a DNS name or
// an IP address, compared case-insensitively, trailing dot ignored), and how
// many of those have had a certificate issued.
func (b *orderBook) count(name string) (orders, issued int) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, order := range b.orders {
		order.RLock()
		for _, ident := range order.Identifiers {
			// Pebble lower-cases DNS identifiers when it creates the order.
			if strings.EqualFold(ident.Value, name) {
				orders++
				if order.CertificateObject != nil {
					issued++
				}
				break
			}
		}
		order.RUnlock()
	}
	return orders, issued
}

// retireAuthorizations deactivates every valid authorization that belongs
// only to finished orders (issued, or failed). A deactivated authorization
// makes its order read as invalid if a client asks again; finished orders'
// clients no longer ask.
func (b *orderBook) retireAuthorizations() {
	b.mu.Lock()
	defer b.mu.Unlock()
	inUse := make(map[*core.Authorization]bool)
	var done []*core.Authorization
	for _, order := range b.orders {
		order.RLock()
		finished := order.CertificateObject != nil || order.Error != nil
		for _, authz := range order.AuthorizationObjects {
			if finished {
				done = append(done, authz)
			} else {
				inUse[authz] = true
			}
		}
		order.RUnlock()
	}
	for _, authz := range done {
		if inUse[authz] {
			continue
		}
		authz.Lock()
		if authz.Status == acme.StatusValid {
			authz.Status = acme.StatusDeactivated
		}
		authz.Unlock()
	}
}
