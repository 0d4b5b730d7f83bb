package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"cunlu/app/apptest"
)

func TestCSRF(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	c.SignIn("partner", "demo-partner-pass")
	form := url.Values{"name": {"新村民"}, "phone": {"13900000009"}, "pin": {"246813"}, "centre_id": {"1"}}

	if r := c.PostRaw("/partner/villagers", form); r.Status != http.StatusForbidden {
		t.Errorf("no _csrf: status %d, want 403", r.Status)
	}
	bad := url.Values{"_csrf": {"not-the-token"}}
	for k, v := range form {
		bad[k] = v
	}
	if r := c.PostRaw("/partner/villagers", bad); r.Status != http.StatusForbidden {
		t.Errorf("wrong _csrf: status %d, want 403", r.Status)
	}
	// A browser that says the form came from another site is refused even with the token.
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/partner/villagers", strings.NewReader(withCSRF(form, c.CSRF()).Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if r := c.Do(req); r.Status != http.StatusForbidden {
		t.Errorf("cross-site with token: status %d, want 403", r.Status)
	}
	if r := c.Get("/partner/villagers"); strings.Contains(r.Body, "新村民") {
		t.Fatal("a refused request still registered the villager")
	}
	if r := c.Post("/partner/villagers", form); r.Status != http.StatusOK {
		t.Fatalf("with _csrf: status %d, want 200 (the hand-over slip)\n%s", r.Status, r.Body)
	}
}

func withCSRF(form url.Values, token string) url.Values {
	f := url.Values{"_csrf": {token}}
	for k, v := range form {
		f[k] = v
	}
	return f
}

func TestSignInThrottling(t *testing.T) {
	env := apptest.New(t)
	attacker := env.Client(t)
	for i := 0; i < 5; i++ {
		// A forged X-Forwarded-For is not believed: no trusted proxy is configured.
		attacker.Header.Set("X-Forwarded-For", "203.0.113."+string(rune('1'+i)))
		r := attacker.Post("/login", url.Values{"login": {"partner03"}, "password": {"guess-number-" + string(rune('a'+i))}})
		if r.Status != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, r.Status)
		}
	}
	attacker.Header.Set("X-Forwarded-For", "198.51.100.77")
	r := attacker.Post("/login", url.Values{"login": {"partner03"}, "password": {"demo-partner-pass"}})
	if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "15") {
		t.Fatalf("right password while throttled: status %d, want 429 with a wait message", r.Status)
	}
	// Another person at the same centre (same IP) is not locked out.
	neighbour := env.Client(t)
	neighbour.SignIn("partner04", "demo-partner-pass")
	// Nor is a villager signing in with a PIN.
	if r := env.Client(t).Post("/login/pin", url.Values{"phone": {"13800000005"}, "pin": {"135790"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("villager PIN sign-in from the same IP: %d", r.Status)
	}
}

func TestTrustedProxyXForwardedFor(t *testing.T) {
	// Behind a trusted proxy, each client IP has its own IP throttle; the account throttle
	// still applies whatever the header says.
	env := apptest.New(t, apptest.Args("-trusted-proxies", "127.0.0.1"))
	c := env.Client(t)
	for i := 0; i < 5; i++ {
		c.Header.Set("X-Forwarded-For", "203.0.113.9")
		c.Post("/login", url.Values{"login": {"partner05"}, "password": {"wrong-password-x"}})
	}
	c.Header.Set("X-Forwarded-For", "203.0.113.10")
	if r := c.Post("/login", url.Values{"login": {"partner05"}, "password": {"demo-partner-pass"}}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("changing the forwarded IP escaped the account throttle: %d", r.Status)
	}
}

func TestSecurityHeadersAndCookieFlags(t *testing.T) {
	for _, tt := range []struct {
		name, baseURL, cookie string
		secure                bool
	}{
		{"http", "http://localhost:8080", "cunlu_session", false},
		{"https", "https://cunlu.example.cn", "__Host-cunlu_session", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := apptest.New(t, apptest.Args("-base-url", tt.baseURL))
			c := env.Client(t)
			r := c.Get("/login")
			h := r.Header
			csp := h.Get("Content-Security-Policy")
			for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'self'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") {
				t.Errorf("CSP allows unsafe-inline: %q", csp)
			}
			for k, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if hsts := h.Get("Strict-Transport-Security"); (hsts != "") != tt.secure {
				t.Errorf("HSTS = %q with secure=%v", hsts, tt.secure)
			}
			csrfName := "_csrf"
			if tt.secure {
				csrfName = "__Host-csrf"
			}
			csrf := findCookie(r.Cookies, csrfName)
			if csrf == nil || !csrf.HttpOnly || csrf.SameSite != http.SameSiteLaxMode || csrf.Secure != tt.secure {
				t.Errorf("CSRF cookie flags wrong: %+v", csrf)
			}
			login := c.Post("/login", url.Values{"login": {"partner"}, "password": {"demo-partner-pass"}})
			sess := findCookie(login.Cookies, tt.cookie)
			if sess == nil {
				t.Fatalf("no %s cookie set at sign-in (status %d)", tt.cookie, login.Status)
			}
			if !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Secure != tt.secure || sess.Path != "/" {
				t.Errorf("session cookie flags wrong: %+v", sess)
			}
			if len(sess.Value) < 43 { // 32 random bytes, base64url
				t.Errorf("session token %q is shorter than 256 bits", sess.Value)
			}
		})
	}
}

func findCookie(cs []*http.Cookie, name string) *http.Cookie {
	for _, c := range cs {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestBodyLimit(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	big := url.Values{"login": {strings.Repeat("x", 2<<20)}, "password": {"x"}}
	if r := c.Post("/login", big); r.Status != http.StatusRequestEntityTooLarge {
		t.Fatalf("2 MiB form: status %d, want 413", r.Status)
	}
}

func TestErrorPagesAreTranslated(t *testing.T) {
	env := apptest.New(t)
	c := env.Client(t)
	r := c.Get("/no/such/page")
	if r.Status != http.StatusNotFound || !strings.Contains(r.Body, "找不到") {
		t.Fatalf("404 page: %d", r.Status)
	}
	c.Header.Set("Accept-Language", "en-GB,en;q=0.9")
	r = c.Get("/no/such/page")
	if !strings.Contains(r.Body, "cannot be found") || !strings.Contains(r.Body, `lang="en"`) {
		t.Fatalf("English 404 page missing: %s", r.Body)
	}
}
