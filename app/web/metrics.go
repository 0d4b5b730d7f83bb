package web

import (
	"log/slog"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	shed     prometheus.Counter // requests answered 503 by admission (admit.go)
}

func newHTTPMetrics(reg *prometheus.Registry) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cunlu_http_requests_total", Help: "HTTP requests by route, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "cunlu_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.002, .005, .01, .025, .05, .1, .2, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
	}
	m.shed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cunlu_http_requests_shed_total", Help: "Requests answered 503 busy because every slot stayed taken (admission).",
	})
	reg.MustRegister(m.requests, m.duration, m.shed)
	return m
}

// observe records each request's route, status and latency, and logs it.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the error page now, so its status is what gets counted
		}
		route := c.Path()
		if route == "" {
			route = "unmatched"
		}
		status := c.Response().Status
		elapsed := time.Since(start)
		s.metrics.requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(status)).Inc()
		s.metrics.duration.WithLabelValues(route, c.Request().Method).Observe(elapsed.Seconds())
		if s.log.Enabled(c.Request().Context(), slog.LevelDebug) { // its arguments cost allocations
			s.log.Debug("request", "method", c.Request().Method, "path", c.Request().URL.Path, "route", route,
				"status", status, "ms", elapsed.Milliseconds(), "ip", c.RealIP())
		}
		return nil
	}
}

func (s *Server) metricsHandler() echo.HandlerFunc {
	// The gzip middleware compresses every response; promhttp must not do it a second time.
	return echo.WrapHandler(promhttp.HandlerFor(s.registry, promhttp.HandlerOpts{DisableCompression: true}))
}
