package app_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cunlu/app/demo"
)

// TestGracefulShutdown ends Run's context while a sign-in is in flight (its form only half
// sent): Run stops accepting connections but waits for the request, which finishes with
// its 303 and its session committed; then Run returns 0 and the SQLite database is closed
// cleanly, its write-ahead log checkpointed and removed.
func TestGracefulShutdown(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "cunlu.db")
	r := start(t, "-database-url", dbPath, "-demo")
	host := strings.TrimPrefix(r.base, "http://")

	c := newClient()
	if res, body := r.get(t, c, "/login"); res.StatusCode != http.StatusOK {
		t.Fatalf("GET /login = %d\n%s", res.StatusCode, body)
	}
	u, _ := url.Parse(r.base)
	token := ""
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "_csrf" {
			token = ck.Value
		}
	}
	body := url.Values{"_csrf": {token}, "login": {demo.PartnerLogin}, "password": {demo.PartnerPassword}}.Encode()
	conn, err := net.Dial("tcp", host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	half := len(body) / 2
	fmt.Fprintf(conn, "POST /login HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: %d\r\nCookie: _csrf=%s\r\n\r\n%s",
		host, len(body), token, body[:half])
	time.Sleep(100 * time.Millisecond) // the server reads the headers and starts the handler

	r.cancel()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(r.stderr.String(), "shutting down"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Run did not log its shutdown within 5 s\n%s", r.stderr)
		}
	}
	select {
	case code := <-r.done:
		r.stopped = true
		t.Fatalf("Run returned %d while a request was in flight", code)
	case <-time.After(300 * time.Millisecond):
	}
	if nc, err := net.DialTimeout("tcp", host, time.Second); err == nil {
		nc.Close()
		t.Errorf("%s still accepts connections while shutting down", host)
	}

	if _, err := conn.Write([]byte(body[half:])); err != nil {
		t.Fatalf("send the rest of the form: %v", err)
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("the request in flight got no answer: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Fatalf("the sign-in in flight: %d to %q, want 303 to /", res.StatusCode, res.Header.Get("Location"))
	}
	select {
	case code := <-r.done:
		r.stopped = true
		if code != 0 {
			t.Fatalf("Run returned %d, want 0\n%s", code, r.stderr)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("Run did not return within 5 s of the last request\n%s", r.stderr)
	}

	// Closed cleanly: the last connection's close checkpointed the WAL and removed it.
	if st, err := os.Stat(dbPath + "-wal"); err == nil && st.Size() > 0 {
		t.Errorf("%s-wal is still there (%d bytes) after Run returned", dbPath, st.Size())
	}
	g := openCheck(t, dbPath)
	checkConsistent(t, "sqlite", g)
	closeCheck(g)

	// The session the in-flight sign-in created was committed: it works after a restart.
	again := start(t, "-database-url", dbPath, "-demo")
	c2 := newClient()
	u2, _ := url.Parse(again.base)
	c2.Jar.SetCookies(u2, res.Cookies())
	if len(res.Cookies()) == 0 {
		t.Fatal("the sign-in set no cookie")
	}
	if res, body := again.get(t, c2, "/"); res.StatusCode != http.StatusOK {
		t.Errorf("GET / with the session from the sign-in during shutdown = %d to %q, want 200\n%s", res.StatusCode, res.Header.Get("Location"), body)
	}
	again.stop(t)
}
