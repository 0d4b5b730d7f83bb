package app_test

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"cunlu/app"
	"cunlu/app/apptest"
	"cunlu/app/db/dbtest"
	"cunlu/app/demo"
)

// TestRunFirstStartAndRestart starts the real program twice on one database, the way an
// operator does: the first start creates the administrator and prints its password once.
func TestRunFirstStartAndRestart(t *testing.T) {
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			dbURL := dbtest.URL(t, kind)

			first := start(t, "-database-url", dbURL)
			m := regexp.MustCompile(`(?m)^\s*password:\s+(\S+)\s*$`).FindStringSubmatch(first.stdout.String())
			if !strings.Contains(first.stdout.String(), "First start") || m == nil {
				t.Fatalf("first start printed no administrator password:\n%s", first.stdout)
			}
			password := m[1]

			res, body := first.get(t, newClient(), "/healthz")
			if res.StatusCode != http.StatusOK || strings.TrimSpace(body) != "ok" {
				t.Errorf("GET /healthz = %d %q, want 200 ok", res.StatusCode, body)
			}

			c := newClient()
			if res, _ := first.signIn(t, c, "/login", url.Values{"login": {"admin"}, "password": {password + "x"}}); res.StatusCode != http.StatusUnauthorized {
				t.Errorf("sign in with a wrong password: status %d, want 401", res.StatusCode)
			}
			// The printed password was seen by whoever started the server: the first thing
			// the admin does is choose their own.
			res, _ = first.signIn(t, c, "/login", url.Values{"login": {"admin"}, "password": {password}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
				t.Fatalf("sign in with the printed password: status %d to %q, want 303 to /account", res.StatusCode, res.Header.Get("Location"))
			}
			if res, _ := first.get(t, c, "/admin"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/account" {
				t.Errorf("GET /admin before choosing a password = %d to %q, want 303 to /account", res.StatusCode, res.Header.Get("Location"))
			}
			own := "the-admins-own-pass-1"
			if res, body := first.submit(t, c, "/account", "/account/password", url.Values{"current": {password}, "password": {own}, "confirm": {own}}); res.StatusCode != http.StatusSeeOther {
				t.Fatalf("choose own password = %d\n%s", res.StatusCode, body)
			}
			if res, body := first.get(t, c, "/admin"); res.StatusCode != http.StatusOK {
				t.Errorf("GET /admin after choosing a password = %d, want 200\n%s", res.StatusCode, body)
			}
			first.stop(t)

			second := start(t, "-database-url", dbURL)
			if out := second.stdout.String(); strings.Contains(out, "password:") || strings.Contains(out, password) {
				t.Errorf("second start printed a password again:\n%s", out)
			}
			res, _ = second.signIn(t, newClient(), "/login", url.Values{"login": {"admin"}, "password": {"the-admins-own-pass-1"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/admin" {
				t.Errorf("after a restart, sign in with the admin's own password: status %d to %q, want 303 to /admin", res.StatusCode, res.Header.Get("Location"))
			}
			second.stop(t)
		})
	}
}

// TestRunDemo starts with -demo twice on one database: the data loads once, and the
// documented sign-ins work.
func TestRunDemo(t *testing.T) {
	signIns := []struct {
		path string
		form url.Values
		home string
	}{
		{"/login", url.Values{"login": {demo.AdminLogin}, "password": {demo.AdminPassword}}, "/admin"},
		{"/login", url.Values{"login": {demo.CoordLogin}, "password": {demo.CoordPassword}}, "/coord"},
		{"/login", url.Values{"login": {demo.PartnerLogin}, "password": {demo.PartnerPassword}}, "/"},
		{"/login", url.Values{"login": {demo.VillagerLogin}, "password": {demo.VillagerPassword}}, "/"},
		{"/login/pin", url.Values{"phone": {demo.VillagerPhone}, "pin": {demo.VillagerPIN}}, "/"},
	}
	for _, kind := range dbtest.Kinds() {
		t.Run(kind, func(t *testing.T) {
			dbURL := dbtest.URL(t, kind)

			first := start(t, "-database-url", dbURL, "-demo")
			out := first.stdout.String()
			if !strings.Contains(out, "Demo data loaded.") {
				t.Errorf("first -demo start did not say it loaded the demo data:\n%s", out)
			}
			if !strings.Contains(out, demo.SignInHelp) {
				t.Errorf("-demo start did not print the demo sign-ins:\n%s", out)
			}
			if strings.Contains(out, "password:") {
				t.Errorf("-demo start printed a one-time administrator password:\n%s", out)
			}
			for _, s := range signIns {
				c := newClient()
				res, body := first.signIn(t, c, s.path, s.form)
				if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != s.home {
					t.Errorf("POST %s %v: status %d to %q, want 303 to %s\n%s", s.path, s.form, res.StatusCode, res.Header.Get("Location"), s.home, body)
					continue
				}
				if res, body := first.get(t, c, s.home); res.StatusCode != http.StatusOK {
					t.Errorf("GET %s after POST %s %v = %d, want 200\n%s", s.home, s.path, s.form, res.StatusCode, body)
				}
			}
			first.stop(t)

			second := start(t, "-database-url", dbURL, "-demo")
			if out := second.stdout.String(); strings.Contains(out, "Demo data loaded.") {
				t.Errorf("second -demo start loaded the demo data again:\n%s", out)
			}
			res, _ := second.signIn(t, newClient(), "/login", signIns[1].form)
			if res.StatusCode != http.StatusSeeOther {
				t.Errorf("coordinator sign-in after a restart: status %d, want 303", res.StatusCode)
			}
			second.stop(t)
		})
	}
}

// TestRunRefusesToStart checks the exit codes and messages of starts that cannot work.
func TestRunRefusesToStart(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stderr string
	}{
		{name: "unknown flag", args: []string{"-no-such-flag"}, code: 2, stderr: "no-such-flag"},
		{name: "bad flag value", args: []string{"-demo=maybe"}, code: 2, stderr: "-demo"},
		{name: "bad environment", env: map[string]string{"CUNLU_LOG_LEVEL": "loud"}, code: 2, stderr: "CUNLU_LOG_LEVEL"},
		{name: "stray argument", args: []string{"serve"}, code: 2, stderr: `"serve"`},
		{name: "help", args: []string{"-h"}, code: 0, stderr: "-database-url"},
		{name: "address in use", args: []string{"-addr", busy.Addr().String()}, code: 1, stderr: busy.Addr().String()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-database-url", filepath.Join(t.TempDir(), "cunlu.db")}, tt.args...)
			var stdout, stderr bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			code := app.Run(ctx, apptest.Assets(t), args, func(k string) string { return tt.env[k] }, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("Run returned %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr does not mention %q:\n%s", tt.stderr, &stderr)
			}
			if strings.Contains(stdout.String(), "Cunlu is running") {
				t.Errorf("Run said it was running:\n%s", &stdout)
			}
		})
	}
}

// TestRunCoursesLint runs the `courses lint` subcommand on the shipped courses and on a
// broken one.
func TestRunCoursesLint(t *testing.T) {
	broken := t.TempDir()
	if err := os.MkdirAll(filepath.Join(broken, "bad-course"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(broken, "bad-course", "course.zh-CN.md"), []byte("# 没有 front matter\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name           string
		args           []string
		code           int
		stdout, stderr string
	}{
		{name: "shipped courses", args: []string{"courses", "lint"}, code: 0, stdout: "no problems"},
		{name: "broken course", args: []string{"courses", "lint", broken}, code: 1, stdout: "bad-course/course.zh-CN.md:1:", stderr: "problems"},
		{name: "shipped courses, verbose", args: []string{"courses", "lint", "-v"}, code: 0, stdout: "cues buying-online: right option longest in"},
		{name: "no verb", args: []string{"courses"}, code: 2, stderr: "usage: cunlu courses lint [-v] [DIR]"},
		{name: "too many arguments", args: []string{"courses", "lint", "-v", "a", "b"}, code: 2, stderr: "usage: cunlu courses lint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := app.Run(context.Background(), apptest.Assets(t), tt.args, func(string) string { return "" }, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("Run returned %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, &stdout, &stderr)
			}
			if !strings.Contains(stdout.String(), tt.stdout) {
				t.Errorf("stdout does not mention %q:\n%s", tt.stdout, &stdout)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr does not mention %q:\n%s", tt.stderr, &stderr)
			}
		})
	}
}

// running is one app.Run in a goroutine.
type running struct {
	stdout, stderr *syncBuffer
	base           string // http://HOST:PORT it listens on
	cancel         context.CancelFunc
	done           chan int
	stopped        bool
}

var listening = regexp.MustCompile(`Cunlu is running: open \S+ \(listening on ([^)]+)\)`)

// start runs the program on a free loopback port with args added and an empty environment,
// and returns once it says it is listening. The test's end stops it if the test has not.
func start(t *testing.T, args ...string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{stdout: &syncBuffer{}, stderr: &syncBuffer{}, cancel: cancel, done: make(chan int, 1)}
	args = append([]string{"-addr", "127.0.0.1:0"}, args...)
	for i, a := range args {
		if a == "-database-url" && i+1 < len(args) {
			if kf := dbtest.KeyFile(t, args[i+1]); kf != "" {
				args = append(args, "-key-file", kf)
			}
			break
		}
	}
	assets := apptest.Assets(t)
	go func() {
		r.done <- app.Run(ctx, assets, args, func(string) string { return "" }, r.stdout, r.stderr)
	}()
	t.Cleanup(func() {
		if !r.stopped {
			cancel()
			<-r.done
		}
	})
	deadline := time.After(2 * time.Minute)
	for {
		if m := listening.FindStringSubmatch(r.stdout.String()); m != nil {
			r.base = "http://" + m[1]
			return r
		}
		select {
		case code := <-r.done:
			r.stopped = true
			t.Fatalf("Run returned %d before listening\nstdout:\n%s\nstderr:\n%s", code, r.stdout, r.stderr)
		case <-deadline:
			t.Fatalf("Run did not say it was listening within two minutes\nstdout:\n%s\nstderr:\n%s", r.stdout, r.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop cancels the context, as SIGTERM does, and expects a clean exit within a few seconds.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case code := <-r.done:
		r.stopped = true
		if code != 0 {
			t.Errorf("Run returned %d after its context ended, want 0\nstderr:\n%s", code, r.stderr)
		}
		if !strings.Contains(r.stderr.String(), "shutting down") {
			t.Errorf("Run did not log its shutdown:\n%s", r.stderr)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("Run still running 5 s after its context ended\nstderr:\n%s", r.stderr)
	}
	// The port is closed once Run has returned.
	if _, err := http.Get(r.base + "/healthz"); err == nil {
		t.Errorf("%s still answers after Run returned", r.base)
	}
}

// newClient is a browser without automatic redirects.
func newClient() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{
		Jar:           jar,
		Timeout:       30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func (r *running) get(t *testing.T, c *http.Client, path string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(r.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return res, readBody(t, res)
}

// signIn opens the sign-in page at path (which sets the CSRF cookie) and posts form to it
// with the token, as the page's form does.
func (r *running) signIn(t *testing.T, c *http.Client, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	return r.submit(t, c, path, path, form)
}

// submit opens page (for its CSRF cookie) and posts form to action with the token.
func (r *running) submit(t *testing.T, c *http.Client, page, action string, form url.Values) (*http.Response, string) {
	t.Helper()
	if res, body := r.get(t, c, page); res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200\n%s", page, res.StatusCode, body)
	}
	u, _ := url.Parse(r.base)
	token := ""
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "_csrf" {
			token = ck.Value
		}
	}
	if token == "" {
		t.Fatalf("GET %s set no _csrf cookie", page)
	}
	f := url.Values{"_csrf": {token}}
	for k, v := range form {
		f[k] = v
	}
	res, err := c.PostForm(r.base+action, f)
	if err != nil {
		t.Fatalf("POST %s: %v", action, err)
	}
	return res, readBody(t, res)
}

func readBody(t *testing.T, res *http.Response) string {
	t.Helper()
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

// syncBuffer is a bytes.Buffer that Run's goroutine writes while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
