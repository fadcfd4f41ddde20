package edge

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// readyTimeout bounds the store ping behind /readyz, so a hung database
// turns into a 503 before the probe itself times out.
const readyTimeout = 2 * time.Second

// health serves the liveness and readiness probes.
type health struct {
	store  Pinger
	logger *slog.Logger
}

// healthBody is the JSON body of /healthz and /readyz.
type healthBody struct {
	Status string            `json:"status"`
	Checks map[string]string `json:"checks,omitempty"`
}

// live answers /healthz: the process is up and serving. It touches no
// dependency, so a slow store never gets the process restarted.
func (h health) live(w http.ResponseWriter, r *http.Request) {
	writeHealth(w, http.StatusOK, healthBody{Status: "ok"})
}

// ready answers /readyz: 200 when the store answers a ping within
// readyTimeout, 503 otherwise. The ping error is logged, never returned:
// it may contain connection strings.
func (h health) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := h.store.Ping(ctx); err != nil {
		h.logger.LogAttrs(r.Context(), slog.LevelWarn, "readiness check failed",
			slog.String("check", "store"),
			slog.String("request_id", RequestID(r.Context())),
			slog.Any("error", err),
		)
		writeHealth(w, http.StatusServiceUnavailable, healthBody{
			Status: "unavailable",
			Checks: map[string]string{"store": "unavailable"},
		})
		return
	}
	writeHealth(w, http.StatusOK, healthBody{Status: "ready"})
}

// writeHealth writes body as an uncacheable JSON response.
func writeHealth(w http.ResponseWriter, status int, body healthBody) {
	b, err := json.Marshal(body)
	if err != nil {
		// healthBody holds only strings; this cannot happen.
		panic(err)
	}
	hdr := w.Header()
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
