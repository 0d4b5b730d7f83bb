package web

import (
	"net/http"
	"runtime"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// Admission: at most a few requests work at once, and one that finds them all busy waits
// a short while for its turn, then is answered 503 "busy, try again" with Retry-After
// before it has read or changed anything. Beyond what the server can do, more requests at
// once only make every one of them slower, until all time out; shed early instead, so the
// requests let in stay fast and a refused one can simply be sent again.
const (
	defaultQueueWait = time.Second
	retryAfter       = "5" // seconds, on every 503
)

// errBusy answers a request that found no free slot in time.
var errBusy = echo.NewHTTPError(http.StatusServiceUnavailable, "busy")

func defaultMaxActive() int { return max(8, 4*runtime.GOMAXPROCS(0)) }

// admit is the admission middleware. Static files, health and metrics are not counted:
// they cost next to nothing, and an operator must see a busy server's health.
func (s *Server) admit(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		p := c.Request().URL.Path
		if strings.HasPrefix(p, "/static/") || p == "/healthz" || p == "/metrics" {
			return next(c)
		}
		select {
		case s.slots <- struct{}{}:
		default:
			t := time.NewTimer(s.queueWait)
			select {
			case s.slots <- struct{}{}:
				t.Stop()
			case <-t.C:
				s.metrics.shed.Inc()
				return errBusy
			case <-c.Request().Context().Done():
				t.Stop()
				return c.Request().Context().Err()
			}
		}
		defer func() { <-s.slots }()
		return next(c)
	}
}
