// Package apptest starts a real Cunlu (real router, real database, demo data) for tests and
// gives them a browser-like client: a cookie jar, no automatic redirects, and CSRF tokens
// added to forms the way the pages add them.
package apptest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/textproto"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cunlu/app"
	"cunlu/app/account"
	"cunlu/app/config"
	"cunlu/app/course"
	"cunlu/app/db/dbtest"
	"cunlu/app/progress"
)

// Env is one running Cunlu on a fresh database.
type Env struct {
	App   *app.App
	URL   string // the test server's base URL
	DBURL string
	srv   *httptest.Server
}

type options struct {
	kind  string
	args  []string
	demo  bool
	env   map[string]string
	dburl string
}

// Option changes how New starts Cunlu.
type Option func(*options)

// Postgres runs on a fresh PostgreSQL database (needs CUNLU_TEST_POSTGRES_URL).
func Postgres() Option { return func(o *options) { o.kind = "postgres" } }

// Kind runs on a fresh database of the given kind ("sqlite" or "postgres").
func Kind(kind string) Option { return func(o *options) { o.kind = kind } }

// NoDemo starts on an empty database, without the demo data.
func NoDemo() Option { return func(o *options) { o.demo = false } }

// Args adds command-line flags.
func Args(args ...string) Option { return func(o *options) { o.args = append(o.args, args...) } }

// DatabaseURL reuses an existing database instead of a fresh one (to test restarts).
func DatabaseURL(u string) Option { return func(o *options) { o.dburl = u } }

// ModuleRoot finds the folder holding go.mod, so tests read templates/, static/ and
// courses/ from the source tree.
func ModuleRoot(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("go.mod not found above the test's folder")
		}
		dir = parent
	}
}

// Assets returns the shipped folders read from the source tree.
func Assets(tb testing.TB) app.Assets {
	tb.Helper()
	a, err := app.SubAssets(os.DirFS(ModuleRoot(tb)))
	if err != nil {
		tb.Fatal(err)
	}
	return a
}

// New starts Cunlu with the demo data on a fresh SQLite database (or as the options say).
func New(tb testing.TB, opts ...Option) *Env {
	tb.Helper()
	o := options{kind: "sqlite", demo: true}
	for _, f := range opts {
		f(&o)
	}
	e := &Env{DBURL: o.dburl}
	if e.DBURL == "" {
		e.DBURL = dbtest.URL(tb, o.kind)
	}
	args := append([]string{"-database-url", e.DBURL, "-addr", "127.0.0.1:0"}, o.args...)
	if kf := dbtest.KeyFile(tb, e.DBURL); kf != "" {
		args = append(args, "-key-file", kf)
	}
	if o.demo {
		args = append(args, "-demo")
	}
	cfg, err := config.Parse(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		tb.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{tb}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := app.New(context.Background(), cfg, Assets(tb), log, io.Discard)
	if err != nil {
		tb.Fatalf("start cunlu: %v", err)
	}
	e.App = a
	e.srv = httptest.NewServer(a.Handler())
	e.URL = e.srv.URL
	tb.Cleanup(func() {
		e.srv.Close()
		a.Close()
	})
	return e
}

type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// Client is a browser-like client of one Env.
type Client struct {
	tb     testing.TB
	env    *Env
	http   *http.Client
	Header http.Header // sent with every request
}

// OpenLessons has login open every lesson they see, as their lesson pages would: a
// practice task counts only what its learner did in the sandbox after opening its lesson.
func (e *Env) OpenLessons(tb testing.TB, login string) {
	tb.Helper()
	var u account.User
	if err := e.App.Accounts.DB().Where("login = ?", login).Take(&u).Error; err != nil {
		tb.Fatalf("find %s: %v", login, err)
	}
	who := progress.Learner{ID: u.ID, Name: u.Name, Audience: course.AudiencePartner}
	if u.Role == account.RoleVillager {
		who.Audience = course.AudienceVillager
	}
	ctx := context.Background()
	sn, err := e.App.Progress.Snapshot(ctx, who)
	if err != nil {
		tb.Fatal(err)
	}
	for _, co := range e.App.Courses.Catalog().Courses {
		for _, l := range co.LessonsFor(who.Audience) {
			if err := e.App.Progress.Opened(ctx, sn, l); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// Client returns a new client with an empty cookie jar.
func (e *Env) Client(tb testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{tb: tb, env: e, Header: http.Header{}, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Resp is a finished response with its body read.
type Resp struct {
	Status   int
	Body     string
	Header   http.Header
	Location string
	Cookies  []*http.Cookie
}

// Do sends a request built by the caller.
func (c *Client) Do(req *http.Request) *Resp {
	c.tb.Helper()
	for k, v := range c.Header {
		if req.Header.Get(k) == "" {
			req.Header[k] = v
		}
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return &Resp{Status: res.StatusCode, Body: string(body), Header: res.Header, Location: res.Header.Get("Location"), Cookies: res.Cookies()}
}

// Get fetches a path.
func (c *Client) Get(path string) *Resp {
	c.tb.Helper()
	req, err := http.NewRequest(http.MethodGet, c.env.URL+path, nil)
	if err != nil {
		c.tb.Fatal(err)
	}
	return c.Do(req)
}

// CSRF returns this client's CSRF token, fetching a page first if it has none yet.
func (c *Client) CSRF() string {
	c.tb.Helper()
	for range 2 {
		for _, name := range []string{"_csrf", "__Host-csrf"} { // http, https
			if ck := c.Cookie(name); ck != nil {
				return ck.Value
			}
		}
		c.Get("/login")
	}
	c.tb.Fatal("no CSRF cookie after GET /login")
	return ""
}

// Post submits a form with this client's CSRF token, as a page would.
func (c *Client) Post(path string, form url.Values) *Resp {
	c.tb.Helper()
	f := url.Values{}
	for k, v := range form {
		f[k] = v
	}
	if f.Get("_csrf") == "" {
		f.Set("_csrf", c.CSRF())
	}
	return c.PostRaw(path, f)
}

// PostRaw submits a form exactly as given (no CSRF token added).
func (c *Client) PostRaw(path string, form url.Values) *Resp {
	c.tb.Helper()
	req, err := http.NewRequest(http.MethodPost, c.env.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// PostFile submits a multipart form with one file, with this client's CSRF token.
func (c *Client) PostFile(path string, form url.Values, field, filename, contentType string, data []byte) *Resp {
	c.tb.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	if form.Get("_csrf") == "" {
		w.WriteField("_csrf", c.CSRF())
	}
	for k, vs := range form {
		for _, v := range vs {
			w.WriteField(k, v)
		}
	}
	if field != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, filename))
		h.Set("Content-Type", contentType)
		part, _ := w.CreatePart(h)
		part.Write(data)
	}
	w.Close()
	req, err := http.NewRequest(http.MethodPost, c.env.URL+path, &body)
	if err != nil {
		c.tb.Fatal(err)
	}
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.Do(req)
}

// SignIn signs in with login and password and fails the test unless it worked.
func (c *Client) SignIn(login, password string) *Resp {
	c.tb.Helper()
	r := c.Post("/login", url.Values{"login": {login}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		c.tb.Fatalf("sign in as %s: status %d, want 303\n%s", login, r.Status, r.Body)
	}
	return r
}

// ChooseOwnPassword replaces a password someone else chose (which is all such an account
// may do first: account.User.MustChangePassword) with next.
func (c *Client) ChooseOwnPassword(given, next string) {
	c.tb.Helper()
	r := c.Post("/account/password", url.Values{"current": {given}, "password": {next}, "confirm": {next}})
	if r.Status != http.StatusSeeOther {
		c.tb.Fatalf("choose own password: status %d, want 303\n%s", r.Status, r.Body)
	}
}

// Cookie returns the cookie the jar holds for the site under name, or nil.
func (c *Client) Cookie(name string) *http.Cookie {
	u, _ := url.Parse(c.env.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck
		}
	}
	return nil
}

// SetCookie puts a cookie into the jar (to replay an old session token, say).
func (c *Client) SetCookie(ck *http.Cookie) {
	u, _ := url.Parse(c.env.URL)
	c.http.Jar.SetCookies(u, []*http.Cookie{ck})
}
