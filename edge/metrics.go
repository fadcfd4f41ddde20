package edge

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// unmatchedRoute is the route label of requests no pattern matched.
const unmatchedRoute = "unmatched"

// metrics holds the edge's collectors. Every label value comes from a
// bounded set: route is a registered mux pattern or "unmatched", method is
// a standard method or "OTHER", code is a status the edge itself chose.
type metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	panics   prometheus.Counter
}

// newMetrics creates the edge's collectors and registers them on reg. On
// error it leaves reg as it found it.
func newMetrics(reg prometheus.Registerer, version string) (*metrics, error) {
	if version == "" {
		version = "unknown"
	}
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "lintel_http_requests_total",
			Help: "HTTP requests served by the edge, by status code, method and matched route.",
		}, []string{"code", "method", "route"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "lintel_http_request_duration_seconds",
			Help:    "Time to serve HTTP requests at the edge, by method and matched route.",
			Buckets: prometheus.DefBuckets,
		}, []string{"method", "route"}),
		panics: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "lintel_http_panics_total",
			Help: "Handler panics recovered by the edge.",
		}),
	}
	buildInfo := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "lintel_build_info",
		Help:        "Always 1; the version label names the running build.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	buildInfo.Set(1)

	var done []prometheus.Collector
	for _, c := range []prometheus.Collector{m.requests, m.duration, m.panics, buildInfo} {
		if err := reg.Register(c); err != nil {
			for _, d := range done {
				reg.Unregister(d)
			}
			if are := (prometheus.AlreadyRegisteredError{}); errors.As(err, &are) {
				return nil, fmt.Errorf("edge: metrics already registered (one Registry per edge): %w", err)
			}
			return nil, fmt.Errorf("edge: register metrics: %w", err)
		}
		done = append(done, c)
	}
	return m, nil
}

// observe records one served request.
func (m *metrics) observe(method, route string, status int, dur time.Duration) {
	method = methodLabel(method)
	m.requests.WithLabelValues(strconv.Itoa(status), method, route).Inc()
	m.duration.WithLabelValues(method, route).Observe(dur.Seconds())
}

// methodLabel maps a request method to a bounded label value: clients may
// send any token as a method.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions,
		http.MethodConnect, http.MethodTrace:
		return method
	}
	return "OTHER"
}
