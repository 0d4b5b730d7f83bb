package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// TestAdmitShedsBeyondCapacity: with every slot taken, a request waits its turn for a
// while and then gets a translated 503 with Retry-After, without reaching its handler; one
// that waits while a slot frees gets in; static files and health are never held back.
func TestAdmitShedsBeyondCapacity(t *testing.T) {
	s, logs := newTestServer(t)
	s.slots = make(chan struct{}, 2)
	s.queueWait = 100 * time.Millisecond
	release := make(chan struct{})
	var entered sync.WaitGroup
	reached := make(chan string, 10)
	s.e.GET("/slow/:n", func(c echo.Context) error {
		reached <- c.Param("n")
		entered.Done()
		<-release
		return c.String(http.StatusOK, "done")
	})
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	var wg sync.WaitGroup
	entered.Add(2)
	for _, n := range []string{"1", "2"} {
		wg.Go(func() { get("/slow/" + n) })
	}
	entered.Wait() // both slots taken

	start := time.Now()
	rec := get("/slow/3")
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(rec.Body.String(), "服务器太忙了") {
		t.Errorf("a request beyond capacity: %d, Retry-After %q, body %q", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	if waited := time.Since(start); waited < s.queueWait {
		t.Errorf("refused after %v, before waiting its turn (%v)", waited, s.queueWait)
	}
	if strings.Contains(logs.String(), "request failed") {
		t.Error("a shed request was logged as a failure")
	}
	if rec := get("/healthz"); rec.Code != http.StatusOK {
		t.Errorf("health while busy: %d", rec.Code)
	}

	// A request waiting when a slot frees gets in.
	entered.Add(1)
	late := make(chan int, 1)
	go func() { late <- get("/slow/4").Code }()
	time.Sleep(20 * time.Millisecond)
	release <- struct{}{} // one of the first two finishes
	entered.Wait()
	close(release)
	if code := <-late; code != http.StatusOK {
		t.Errorf("a request that waited while a slot freed: %d", code)
	}
	wg.Wait()
	close(reached)
	var seen []string
	for n := range reached {
		seen = append(seen, n)
	}
	if strings.Contains(strings.Join(seen, ","), "3") {
		t.Errorf("the refused request reached its handler: %v", seen)
	}
}
