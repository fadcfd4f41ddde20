package scim

import (
	"flag"
	"net/http"
	"strings"
	"testing"

	"github.com/lintel-id/lintel/internal/scimtest"
)

var update = flag.Bool("update", false, "rewrite testdata/rfc7644/*.response.json from the service's answers")

// TestRFC7644 replays testdata/rfc7644 (see internal/scimtest) in name
// order on one service and compares each answer, normalised, to its
// .response.json. cmd/lintel runs the same table through the edge with
// real access tokens.
func TestRFC7644(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		scimtest.Run(t, scimtest.Config{
			Dir: "testdata/rfc7644", Client: e.srv.Client(), Base: e.srv.URL,
			Header: http.Header{"Authorization": {"Bearer " + allScopes}},
			Update: *update && strings.HasPrefix(t.Name(), "TestRFC7644/sqlite"),
		})
	})
}
