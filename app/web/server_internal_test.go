package web

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"cunlu/app/account"
	"cunlu/app/db/dbtest"
	"cunlu/app/errs"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// newTestServer builds a Server on a fresh SQLite database, reading templates and static
// files from the source tree, and returns it with its log.
func newTestServer(t *testing.T) (*Server, *lockedBuffer) {
	t.Helper()
	logs := &lockedBuffer{}
	base, _ := url.Parse("http://localhost:8080")
	s, err := New(Options{
		Accounts:  account.NewService(dbtest.Open(t, "sqlite"), account.Options{}),
		Ping:      func(context.Context) error { return nil },
		Templates: os.DirFS("../../templates"),
		Static:    os.DirFS("../../static"),
		BaseURL:   base,
		Logger:    slog.New(slog.NewTextHandler(logs, nil)),
		Registry:  prometheus.NewRegistry(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, logs
}

func TestPanicBecomesTranslated500(t *testing.T) {
	s, logs := newTestServer(t)
	s.e.GET("/boom", func(echo.Context) error { panic("kaboom") })
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/boom", nil))
	if rec.Code != http.StatusInternalServerError || !strings.Contains(rec.Body.String(), "服务器出错了") {
		t.Fatalf("panic: status %d, body %q", rec.Code, rec.Body.String())
	}
	if strings.Contains(rec.Body.String(), "kaboom") {
		t.Error("the panic's cause leaked into the page")
	}
	if !strings.Contains(logs.String(), "kaboom") {
		t.Error("the panic was not logged")
	}
}

func TestDomainErrorsMapToStatuses(t *testing.T) {
	s, logs := newTestServer(t)
	cases := map[string]struct {
		err    error
		status int
		text   string
	}{
		"/invalid":  {errs.Field("name", "error.required"), 400, "这一项必须填"},
		"/forbid":   {errs.New(errs.Forbidden, "error.forbidden"), 403, "没有权限"},
		"/missing":  {errs.New(errs.NotFound, "error.not_found"), 404, "找不到"},
		"/conflict": {errs.New(errs.Conflict, "error.login_taken"), 409, "已经有人用了"},
		"/toomany":  {errs.New(errs.TooMany, "error.too_many_attempts"), 429, "尝试次数太多"},
		"/internal": {errs.Wrap(io.ErrUnexpectedEOF, "read thing"), 500, "服务器出错了"},
		"/timeout":  {errs.Wrap(context.DeadlineExceeded, "slow query"), 503, "太忙"},
	}
	for path, c := range cases {
		err := c.err
		s.e.GET(path, func(echo.Context) error { return err })
	}
	for path, c := range cases {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.text) {
			t.Errorf("%s: status %d, want %d with %q", path, rec.Code, c.status, c.text)
		}
	}
	if !strings.Contains(logs.String(), "unexpected EOF") {
		t.Error("internal error not logged")
	}
	if strings.Contains(logs.String(), "error.login_taken") {
		t.Error("a conflict (not internal) was logged as an error")
	}
}

// TestBusyAnswers503WithRetryAfter: "busy, try again" (errs.Busy) is a 503 with
// Retry-After, on the error page and on a form shown again with what was typed.
func TestBusyAnswers503WithRetryAfter(t *testing.T) {
	s, _ := newTestServer(t)
	busy := &errs.Error{Code: errs.Busy, Key: "sell.error.photo_busy", Field: "photo"}
	s.e.GET("/busy", func(echo.Context) error { return busy })
	s.e.GET("/busy-form", func(c echo.Context) error {
		return s.showFormError(c, "login", loginView{Login: "typed-login"}, busy)
	})
	for path, kept := range map[string]string{"/busy": "", "/busy-form": `value="typed-login"`} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		body := rec.Body.String()
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" || !strings.Contains(body, "再选一次照片") || !strings.Contains(body, kept) {
			t.Errorf("%s: status %d, Retry-After %q; want 503 with Retry-After, the message and %q", path, rec.Code, rec.Header().Get("Retry-After"), kept)
		}
	}
}

func TestGzipAndStaticCaching(t *testing.T) {
	s, _ := newTestServer(t)
	req := httptest.NewRequest(http.MethodGet, "/login", nil)
	req.Header.Set("Accept-Encoding", "gzip")
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("login page not gzipped: %v", rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(zr)
	if !strings.Contains(string(body), "<html") {
		t.Fatal("gzipped body is not the page")
	}

	hashed, err := s.assets.URL("app.css")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), hashed) {
		t.Errorf("page does not link the hashed stylesheet %s", hashed)
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, hashed, nil))
	if rec.Code != 200 || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
		t.Errorf("hashed CSS: %d %v", rec.Code, rec.Header())
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/static/app.0000000000.css", nil))
	if rec.Code != 200 || strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("stale hash must be served but not cached for long: %d %v", rec.Code, rec.Header())
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/static/../go.mod", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("path outside static/: %d", rec.Code)
	}
}
