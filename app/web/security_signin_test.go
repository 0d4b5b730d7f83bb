package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"cunlu/app/apptest"
)

// TestSecuritySignInRaced: many wrong PINs for one phone sent at once, as a guesser with 50
// connections would, are evaluated only up to the limit (5); the rest are refused before their
// PIN is checked, and the right PIN sent after them finds the phone locked. An evaluated
// wrong attempt answers 401, a refused one 429.
func TestSecuritySignInRaced(t *testing.T) {
	env := apptest.New(t)
	const phone = "13800000009"
	statuses := make(chan int, 50)
	var wg sync.WaitGroup
	for i := range 50 {
		c := env.Client(t)
		c.CSRF()
		wg.Go(func() {
			statuses <- c.Post("/login/pin", url.Values{"phone": {phone}, "pin": {fmt.Sprintf("9%05d", i)}}).Status
		})
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for st := range statuses {
		count[st]++
	}
	if count[http.StatusUnauthorized] != 5 || count[http.StatusTooManyRequests] != 45 {
		t.Fatalf("answers %v: want 5 evaluated (401) and 45 refused (429)", count)
	}
	if r := env.Client(t).Post("/login/pin", url.Values{"phone": {phone}, "pin": {"135790"}}); r.Status != http.StatusTooManyRequests {
		t.Errorf("the right PIN after the race: %d, want 429", r.Status)
	}
}

// TestSecurityCSRFToken: the token counts only from the form body (a token in the address
// leaks through logs, history and Referer), a new one is issued at sign-in so one seen or
// planted before it is worthless afterwards, and with https its cookie has the __Host-
// prefix.
func TestSecurityCSRFToken(t *testing.T) {
	env := apptest.New(t)

	t.Run("only from the body", func(t *testing.T) {
		c := env.Client(t)
		c.SignIn("partner", "demo-partner-pass")
		token := c.CSRF()
		r := c.PostRaw("/lang?_csrf="+url.QueryEscape(token), url.Values{"lang": {"en"}, "next": {"/account"}})
		if r.Status != http.StatusForbidden {
			t.Errorf("token in the query string: %d, want 403", r.Status)
		}
		if page := c.Get("/account"); !strings.Contains(page.Body, `lang="zh-CN"`) {
			t.Error("the language changed on a request with the token in its address")
		}
		if r := c.PostRaw("/lang", url.Values{"lang": {"en"}, "next": {"/account"}, "_csrf": {token}}); r.Status != http.StatusSeeOther {
			t.Errorf("token in the body: %d, want 303", r.Status)
		}
	})

	t.Run("rotated at sign-in", func(t *testing.T) {
		c := env.Client(t)
		before := c.CSRF()
		r := c.Post("/login", url.Values{"login": {"partner02"}, "password": {"demo-partner-pass"}})
		if r.Status != http.StatusSeeOther {
			t.Fatalf("sign-in: %d", r.Status)
		}
		after := c.CSRF()
		if after == before || after == "" {
			t.Fatalf("CSRF token %q before sign-in and %q after: not rotated", before, after)
		}
		if n := strings.Count(strings.Join(r.Header.Values("Set-Cookie"), "\n"), "_csrf="); n != 1 {
			t.Errorf("the sign-in answer sets the CSRF cookie %d times, want once", n)
		}
		if r := c.PostRaw("/lang", url.Values{"lang": {"en"}, "_csrf": {before}}); r.Status != http.StatusForbidden {
			t.Errorf("the token from before sign-in: %d, want 403", r.Status)
		}
		if r := c.Post("/lang", url.Values{"lang": {"en"}}); r.Status != http.StatusSeeOther {
			t.Errorf("the new token: %d, want 303", r.Status)
		}
	})

	t.Run("__Host- prefix with https", func(t *testing.T) {
		secure := apptest.New(t, apptest.Args("-base-url", "https://cunlu.example.cn"))
		r := secure.Client(t).Get("/login")
		ck := findCookie(r.Cookies, "__Host-csrf")
		if ck == nil || !ck.Secure || ck.Path != "/" || ck.Domain != "" || !ck.HttpOnly {
			t.Fatalf("CSRF cookie on https: %+v, want __Host-csrf, Secure, Path=/, no Domain", ck)
		}
		if findCookie(r.Cookies, "_csrf") != nil {
			t.Error("a _csrf cookie without the prefix is still set on https")
		}
	})
}
