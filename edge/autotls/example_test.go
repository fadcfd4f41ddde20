package autotls_test

import (
	"context"
	"log"
	"log/slog"
	"net/http"
	"os"

	"github.com/caddyserver/certmagic"

	"github.com/lintel-id/lintel/edge/autotls"
	"github.com/lintel-id/lintel/internal/clock"
)

// verifiedDomains stands in for the directory of custom domains.
type verifiedDomains struct{}

func (verifiedDomains) Allowed(context.Context, string) error       { return nil }
func (verifiedDomains) Obtained(context.Context, string) error      { return nil }
func (verifiedDomains) Failed(context.Context, string, error) error { return nil }

// The wiring of one node: the HTTPS listener uses TLSConfig, the plain
// HTTP listener HTTPHandler, both on the ports the Config names.
func Example() {
	m, err := autotls.New(autotls.Config{
		Storage:   &certmagic.FileStorage{Path: "/var/lib/lintel/certs"}, // edge/certstore in a cluster
		Domains:   verifiedDomains{},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
		Clock:     clock.System(),
		Directory: autotls.LetsEncryptStaging,
		Email:     "ops@example.com",
		HTTPPort:  80,
		TLSPort:   443,
	})
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	app := http.NotFoundHandler() // the edge's handler
	https := &http.Server{Addr: ":443", Handler: app, TLSConfig: m.TLSConfig()}
	plain := &http.Server{Addr: ":80", Handler: m.HTTPHandler(nil)}
	go func() { log.Fatal(plain.ListenAndServe()) }()
	log.Fatal(https.ListenAndServeTLS("", "")) // certificates come from TLSConfig
}
